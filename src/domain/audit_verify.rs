//! Walking the audit chain in `seq` order and naming the first break (docs/AUDIT_INTEGRITY.md).
//!
//! The walk trusts PostgreSQL, where the chain is fixed before delivery: its head (the last
//! position given and its hash) and which positions are not delivered yet. Everything read
//! from the event store is checked: each event's fields against its `content_hash`, its
//! `hash` against `prev_hash || content_hash`, its `prev_hash` against the event before it,
//! and positions against 1, 2, 3, ... up to the head.

use uuid::Uuid;

use super::audit::AuditEvent;
use super::audit_chain::{Digest32, canonical_bytes, link_hash, sha256};

crate::choices! {
    /// How the chain broke.
    pub enum BreakKind as "ChainBreakKind", "modified: an event's fields or hashes are not what was chained; missing: a position has no event; unexpected: an event at a position taken or not given; reordered: an event stands where it was not chained; truncated: delivered events at the end are gone; checkpoint_invalid: a checkpoint is altered, forged or signed by an unknown key." {
        Modified => "modified",
        Missing => "missing",
        Unexpected => "unexpected",
        Reordered => "reordered",
        Truncated => "truncated",
        CheckpointInvalid => "checkpoint_invalid",
    }
}

/// The first break found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub event_id: Option<Uuid>,
    pub kind: BreakKind,
    pub detail: String,
}

/// How far an event whose content verifies at another position is looked for (a swap).
const REORDER_REACH: i64 = 16;

/// What PostgreSQL says of the chain when a walk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainState {
    /// The last position given, and its hash.
    pub head_seq: i64,
    pub head_hash: Digest32,
    /// The first position not delivered yet (`None`: all delivered). The walk stops before
    /// it: what follows is pending, never missing.
    pub pending_from: Option<i64>,
}

pub struct ChainWalk {
    state: ChainState,
    /// The next position expected.
    expected: i64,
    /// The hash the next event must name as `prev_hash` (`None`: take the first one's).
    prev: Option<Digest32>,
}

impl ChainWalk {
    /// A walk from position `from` (1 for the whole chain; later, the first event's link to
    /// its predecessor is taken as stored).
    pub fn new(state: ChainState, from: i64) -> Self {
        let from = from.max(1);
        Self {
            state,
            expected: from,
            prev: (from == 1).then_some(Digest32::GENESIS),
        }
    }

    /// A walk that goes on after position `from - 1`, already verified, whose hash is
    /// `prev` (a checkpoint passed by an earlier walk).
    pub fn resume(state: ChainState, from: i64, prev: Digest32) -> Self {
        Self {
            state,
            expected: from.max(1),
            prev: Some(prev),
        }
    }

    /// The hash of the last position checked (`None` before any, on a walk from the middle).
    pub fn last_hash(&self) -> Option<Digest32> {
        self.prev
    }

    /// At a signed checkpoint the walk has just reached: the chain must end in its hash
    /// there, or events before it were rewritten (their hashes recomputed to match).
    pub fn passes_checkpoint(&self, seq: i64, hash: Digest32) -> Result<(), ChainBreak> {
        if seq != self.verified_through() || self.prev == Some(hash) {
            return Ok(());
        }
        Err(ChainBreak {
            seq,
            event_id: None,
            kind: BreakKind::Modified,
            detail: format!(
                "the chain at seq {seq} does not have the hash its signed checkpoint fixed"
            ),
        })
    }

    /// The positions checked so far end here (`from - 1` before any).
    pub fn verified_through(&self) -> i64 {
        self.expected - 1
    }

    /// Where the walk stops: the first pending position, or past the head.
    fn end(&self) -> i64 {
        self.state
            .pending_from
            .unwrap_or(self.state.head_seq + 1)
            .min(self.state.head_seq + 1)
    }

    /// Checks the next event read in `seq` order (then `_id`); events without a position
    /// (stored before the chain) are not part of it.
    pub fn check(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let Some(link) = event.chain else {
            return Ok(());
        };
        let broken = |kind, detail: String| ChainBreak {
            seq: link.seq,
            event_id: Some(event.id),
            kind,
            detail,
        };
        if link.seq > self.state.head_seq {
            return Err(broken(
                BreakKind::Unexpected,
                format!(
                    "seq {} is past the chain's head ({}): no such position was ever given",
                    link.seq, self.state.head_seq
                ),
            ));
        }
        if link.seq >= self.end() {
            return Ok(()); // delivered ahead of a pending position: checked once that is
        }
        if link.seq < self.expected {
            return Err(broken(
                BreakKind::Unexpected,
                format!("a second event at seq {}", link.seq),
            ));
        }
        if link.seq > self.expected {
            return Err(ChainBreak {
                seq: self.expected,
                event_id: None,
                kind: BreakKind::Missing,
                detail: format!(
                    "no event at seq {} (the next stored is seq {})",
                    self.expected, link.seq
                ),
            });
        }
        let content = sha256(&canonical_bytes(event, link.seq));
        if content != link.content_hash {
            if let Some(home) = self.chained_at(event, link.content_hash) {
                return Err(broken(
                    BreakKind::Reordered,
                    format!("stands at seq {} but was chained at seq {home}", link.seq),
                ));
            }
            return Err(broken(
                BreakKind::Modified,
                "its fields do not hash to its content_hash".to_owned(),
            ));
        }
        if link.hash != link_hash(&link.prev_hash, &link.content_hash) {
            return Err(broken(
                BreakKind::Modified,
                "its hash is not SHA-256(prev_hash || content_hash)".to_owned(),
            ));
        }
        if let Some(prev) = self.prev
            && link.prev_hash != prev
        {
            return Err(broken(
                BreakKind::Reordered,
                format!(
                    "its prev_hash is not the hash of the event at seq {}",
                    link.seq - 1
                ),
            ));
        }
        self.prev = Some(link.hash);
        self.expected += 1;
        Ok(())
    }

    /// A nearby position at which the event's fields give its stored content hash.
    fn chained_at(&self, event: &AuditEvent, content_hash: Digest32) -> Option<i64> {
        let seq = event.chain?.seq;
        (1..=REORDER_REACH)
            .flat_map(|d| [seq - d, seq + d])
            .filter(|s| *s >= 1)
            .find(|s| sha256(&canonical_bytes(event, *s)) == content_hash)
    }

    /// After the last event: positions before the end that never came were delivered and are
    /// gone; a walk that reached the head must end in the head's hash.
    pub fn finish(&self) -> Result<(), ChainBreak> {
        let end = self.end();
        if self.expected < end {
            return Err(ChainBreak {
                seq: self.expected,
                event_id: None,
                kind: BreakKind::Truncated,
                detail: format!(
                    "seq {} to {} were delivered but are not in the event store",
                    self.expected,
                    end - 1
                ),
            });
        }
        let at_head = self.verified_through() == self.state.head_seq;
        if let Some(prev) = self.prev
            && at_head
            && self.state.head_seq > 0
            && prev != self.state.head_hash
        {
            return Err(ChainBreak {
                seq: self.state.head_seq,
                event_id: None,
                kind: BreakKind::Modified,
                detail: "the stored chain does not end in the hash PostgreSQL fixed".to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
