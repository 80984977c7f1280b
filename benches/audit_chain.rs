//! The audit chain's own CPU cost, apart from the stores (scripts/bench.sh audit): chaining
//! (what the relay computes per event), the verifier's walk over chained events in memory
//! (its own rate, without the store's read rate), and signing and verifying checkpoints.
//! The bound beside each: raw SHA-256 over the same canonical bytes, in the same run.
//!
//! `cargo bench --bench audit_chain [-- EVENTS] [--export FILE]` (default 200,000 events);
//! with `--export`, also the verifier over an NDJSON export file (as the API writes it):
//! reading and parsing it, then the walk.

use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use stockroom::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target, TargetKind};
use stockroom::domain::audit_chain::{ChainLink, Digest32, canonical_bytes, sha256};
use stockroom::domain::audit_checkpoint::AuditKeys;
use stockroom::domain::audit_verify::{ChainState, ChainWalk};

/// An event shaped like a stock adjustment's, the most frequent write.
fn event(n: usize) -> AuditEvent {
    AuditEvent::new(
        AuditAction::ProductStockAdjusted,
        Outcome::Success,
        Actor {
            user_id: Some(uuid::Uuid::now_v7()),
            email: Some("clerk@example.com".into()),
            ip: Some("203.0.113.7".into()),
            user_agent: Some("bench/1.0".into()),
        },
        Target::new(TargetKind::Product, uuid::Uuid::now_v7()),
    )
    .with_change("stock_quantity", (n as i64).into(), (n as i64 + 1).into())
    .with_metadata("delta", 1.into())
    .with_metadata("reason", "delivery".into())
    .with_request_id(Some(uuid::Uuid::now_v7().to_string()))
}

fn rate(count: usize, started: Instant) -> f64 {
    count as f64 / started.elapsed().as_secs_f64()
}

/// An exported line as the verifier needs it: the event and its link, from the API's JSON.
fn parse_line(line: &str) -> Option<AuditEvent> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let digest = |key: &str| Digest32::from_hex(value[key].as_str()?);
    let link = ChainLink {
        seq: value["seq"].as_i64()?,
        prev_hash: digest("prev_hash")?,
        content_hash: digest("content_hash")?,
        hash: digest("hash")?,
    };
    let mut event: AuditEvent = serde_json::from_value(value).ok()?;
    event.chain = Some(link);
    Some(event)
}

/// The verifier over an export file: read and parse, then walk in `seq` order.
fn verify_export(path: &str) {
    let started = Instant::now();
    let text = std::fs::read_to_string(path).expect("the export file");
    let mut events: Vec<AuditEvent> = text.lines().filter_map(parse_line).collect();
    events.sort_by_key(|event| event.chain.map(|link| link.seq));
    let parsing = rate(events.len(), started);
    let last = events
        .last()
        .and_then(|event| event.chain)
        .expect("chained events");
    let state = ChainState {
        head_seq: last.seq,
        head_hash: last.hash,
        pending_from: None,
    };
    let walked = Instant::now();
    let mut walk = ChainWalk::new(state, 1);
    for event in &events {
        walk.check(event).expect("an intact export");
    }
    walk.finish().expect("ends at its last event");
    let walking = rate(events.len(), walked);
    println!(
        "export file, {} events: read and parsed {parsing:.0} events/s, walked {walking:.0} events/s, whole {:.0} events/s",
        events.len(),
        rate(events.len(), started)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let events: usize = args
        .iter()
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(200_000);
    let export = args
        .iter()
        .position(|arg| arg == "--export")
        .and_then(|at| args.get(at + 1));
    let mut chain: Vec<AuditEvent> = (0..events).map(event).collect();

    let started = Instant::now();
    for (index, event) in chain.iter().enumerate() {
        black_box(sha256(&canonical_bytes(event, index as i64 + 1)));
    }
    let hashing = rate(events, started);

    let started = Instant::now();
    let mut prev = Digest32::GENESIS;
    for (index, event) in chain.iter_mut().enumerate() {
        let link = ChainLink::new(event, index as i64 + 1, prev);
        prev = link.hash;
        event.chain = Some(link);
    }
    let chaining = rate(events, started);

    let state = ChainState {
        head_seq: events as i64,
        head_hash: prev,
        pending_from: None,
    };
    let started = Instant::now();
    let mut walk = ChainWalk::new(state, 1);
    for event in &chain {
        walk.check(event).expect("an intact chain");
    }
    walk.finish().expect("ends at the head");
    let verifying = rate(events, started);

    let keys = AuditKeys::new([7; 32], Vec::new());
    let rounds = 10_000;
    let started = Instant::now();
    let checkpoints: Vec<_> = (0..rounds)
        .map(|n| keys.sign(n as i64 + 1, prev, Utc::now()))
        .collect();
    let signing = started.elapsed().as_secs_f64() / rounds as f64;
    let started = Instant::now();
    for checkpoint in &checkpoints {
        keys.verify(checkpoint).expect("a valid signature");
    }
    let checking = started.elapsed().as_secs_f64() / rounds as f64;

    println!("audit chain, {events} events in memory (one core):");
    println!("  bound: SHA-256 of canonical bytes {hashing:>12.0} events/s");
    println!(
        "  chaining (relay's hashing)        {chaining:>12.0} events/s  ({:.2} x the bound)",
        chaining / hashing
    );
    println!(
        "  verifying (the walk)              {verifying:>12.0} events/s  ({:.2} x the bound)",
        verifying / hashing
    );
    println!(
        "  checkpoint: sign {:.1} us, verify {:.1} us",
        signing * 1e6,
        checking * 1e6
    );
    if let Some(path) = export {
        verify_export(path);
    }
}
