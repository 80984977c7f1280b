use super::*;
use crate::domain::audit::{Actor, AuditAction, Outcome, Target, TargetKind};
use crate::domain::audit_chain::ChainLink;

/// `n` chained events and the state PostgreSQL would hold for them.
fn chain(n: i64) -> (Vec<AuditEvent>, ChainState) {
    let mut prev = Digest32::GENESIS;
    let mut events = Vec::new();
    for seq in 1..=n {
        let mut event = AuditEvent::new(
            AuditAction::ProductUpdated,
            Outcome::Success,
            Actor::system(),
            Target::new(TargetKind::Product, seq),
        );
        let link = ChainLink::new(&event, seq, prev);
        prev = link.hash;
        event.chain = Some(link);
        events.push(event);
    }
    let state = ChainState {
        head_seq: n,
        head_hash: prev,
        pending_from: None,
    };
    (events, state)
}

fn walk(events: &[AuditEvent], state: ChainState) -> Result<i64, ChainBreak> {
    let mut walk = ChainWalk::new(state, 1);
    for event in events {
        walk.check(event)?;
    }
    walk.finish()?;
    Ok(walk.verified_through())
}

fn kind_at(result: Result<i64, ChainBreak>) -> (BreakKind, i64) {
    let broken = result.expect_err("a break");
    (broken.kind, broken.seq)
}

#[test]
fn an_intact_chain_verifies_to_its_head() {
    let (events, state) = chain(5);
    assert_eq!(walk(&events, state), Ok(5));
    assert_eq!(walk(&[], chain(0).1), Ok(0));
}

#[test]
fn each_kind_of_tampering_is_named_at_its_position() {
    let (events, state) = chain(6);
    let mut changed = events.clone();
    changed[2].metadata.insert("price".into(), "0.01".into());
    assert_eq!(kind_at(walk(&changed, state)), (BreakKind::Modified, 3));

    let mut deleted = events.clone();
    deleted.remove(3);
    assert_eq!(kind_at(walk(&deleted, state)), (BreakKind::Missing, 4));

    // Two documents' `seq` exchanged: each keeps its own hashes, read in the new order.
    let mut swapped = events.clone();
    swapped[1].chain.as_mut().unwrap().seq = 3;
    swapped[2].chain.as_mut().unwrap().seq = 2;
    swapped.swap(1, 2);
    assert_eq!(kind_at(walk(&swapped, state)), (BreakKind::Reordered, 2));

    let mut forged = events.clone();
    let mut extra = forged[5].clone();
    extra.id = Uuid::now_v7();
    extra.chain = Some(ChainLink::new(&extra, 7, events[5].chain.unwrap().hash));
    forged.push(extra);
    assert_eq!(kind_at(walk(&forged, state)), (BreakKind::Unexpected, 7));

    let mut twice = events.clone();
    twice.insert(2, events[1].clone());
    assert_eq!(kind_at(walk(&twice, state)), (BreakKind::Unexpected, 2));

    assert_eq!(
        kind_at(walk(&events[..4], state)),
        (BreakKind::Truncated, 5)
    );

    // Fields changed and every hash after them recomputed: the head PostgreSQL keeps differs.
    let mut rewritten = events.clone();
    rewritten[5]
        .metadata
        .insert("note".into(), "rewritten".into());
    let prev = rewritten[4].chain.unwrap().hash;
    rewritten[5].chain = Some(ChainLink::new(&rewritten[5], 6, prev));
    assert_eq!(kind_at(walk(&rewritten, state)), (BreakKind::Modified, 6));
}

#[test]
fn pending_positions_are_never_missing_and_a_walk_can_start_later() {
    let (events, state) = chain(6);
    let pending = ChainState {
        pending_from: Some(4),
        ..state
    };
    // 4 not delivered yet, 5 and 6 delivered after it: verified through 3, intact.
    let delivered: Vec<AuditEvent> = events
        .iter()
        .filter(|e| e.chain.unwrap().seq != 4)
        .cloned()
        .collect();
    assert_eq!(walk(&delivered, pending), Ok(3));
    let mut later = ChainWalk::new(state, 4);
    for event in &events[3..] {
        later.check(event).unwrap();
    }
    later.finish().unwrap();
    assert_eq!(later.verified_through(), 6);
}

#[test]
fn a_chain_rewritten_with_recomputed_hashes_fails_at_the_signed_checkpoint() {
    let (events, state) = chain(4);
    // Rewritten: the second event changed and every hash from it on recomputed.
    let mut rewritten = events.clone();
    rewritten[1]
        .metadata
        .insert("forged".into(), serde_json::Value::Bool(true));
    let mut prev = rewritten[0].chain.unwrap().hash;
    for (i, event) in rewritten.iter_mut().enumerate().skip(1) {
        let link = ChainLink::new(event, i as i64 + 1, prev);
        prev = link.hash;
        event.chain = Some(link);
    }
    let signed_at_three = events[2].chain.unwrap().hash;
    let mut walk = ChainWalk::new(state, 1);
    for event in &rewritten[..3] {
        walk.check(event)
            .expect("each link is consistent on its own");
    }
    let broken = walk.passes_checkpoint(3, signed_at_three).unwrap_err();
    assert_eq!((broken.kind, broken.seq), (BreakKind::Modified, 3));

    let mut honest = ChainWalk::new(state, 1);
    for event in &events[..3] {
        honest.check(event).unwrap();
    }
    assert_eq!(honest.passes_checkpoint(3, signed_at_three), Ok(()));
    assert_eq!(
        honest.passes_checkpoint(2, Digest32::GENESIS),
        Ok(()),
        "not at it yet"
    );
}

#[test]
fn a_resumed_walk_checks_the_link_to_the_checkpoint_it_starts_after() {
    let (events, state) = chain(5);
    let at_two = events[1].chain.unwrap().hash;
    let mut resumed = ChainWalk::resume(state, 3, at_two);
    for event in &events[2..] {
        resumed.check(event).unwrap();
    }
    assert_eq!(resumed.finish(), Ok(()));
    assert_eq!(resumed.verified_through(), 5);

    let mut wrong = ChainWalk::resume(state, 3, Digest32([1; 32]));
    let broken = wrong.check(&events[2]).unwrap_err();
    assert_eq!((broken.kind, broken.seq), (BreakKind::Reordered, 3));
}
