//! The signed checkpoints a walk passes, from both stores, merged by position and each
//! trusted only once its signature verifies under a configured key. A position both stores
//! hold must be the same checkpoint in both.

use std::collections::VecDeque;

use crate::domain::audit_checkpoint::{AuditKeys, Checkpoint};
use crate::domain::audit_verify::{BreakKind, ChainBreak};
use crate::repo::mongo::AuditCheckpointStore;
use crate::repo::mongo::audit_checkpoints::StoredCheckpoint;
use crate::repo::pg::{PgAuditCheckpoints, PgPool};
use crate::service::error::ServiceResult;

/// Checkpoints read per round trip, from each store.
const PAGE: i64 = 1_000;

pub struct CheckpointFeed<'a> {
    pool: &'a PgPool,
    pg: PgAuditCheckpoints,
    store: &'a AuditCheckpointStore,
    keys: &'a AuditKeys,
    from_pg: Source<Checkpoint>,
    from_store: Source<StoredCheckpoint>,
}

/// One store's checkpoints from `next` on, a page at a time.
struct Source<T> {
    page: VecDeque<T>,
    next: i64,
    exhausted: bool,
}

impl<T> Source<T> {
    fn new(from: i64) -> Self {
        Self {
            page: VecDeque::new(),
            next: from,
            exhausted: false,
        }
    }
}

fn stored_seq(stored: &StoredCheckpoint) -> i64 {
    match stored {
        StoredCheckpoint::Readable(checkpoint) => checkpoint.seq,
        StoredCheckpoint::Unreadable { seq } => *seq,
    }
}

fn invalid(seq: i64, detail: String) -> ChainBreak {
    ChainBreak {
        seq,
        event_id: None,
        kind: BreakKind::CheckpointInvalid,
        detail,
    }
}

impl<'a> CheckpointFeed<'a> {
    pub fn new(
        pool: &'a PgPool,
        store: &'a AuditCheckpointStore,
        keys: &'a AuditKeys,
        from: i64,
    ) -> Self {
        Self {
            pool,
            pg: PgAuditCheckpoints,
            store,
            keys,
            from_pg: Source::new(from),
            from_store: Source::new(from),
        }
    }

    async fn fill(&mut self) -> ServiceResult<()> {
        if self.from_pg.page.is_empty() && !self.from_pg.exhausted {
            let page = self.pg.from(self.pool, self.from_pg.next, PAGE).await?;
            self.from_pg.exhausted = (page.len() as i64) < PAGE;
            if let Some(last) = page.last() {
                self.from_pg.next = last.seq + 1;
            }
            self.from_pg.page.extend(page);
        }
        if self.from_store.page.is_empty() && !self.from_store.exhausted {
            let page = self
                .store
                .from(self.from_store.next, PAGE)
                .await
                .map_err(super::unavailable)?;
            self.from_store.exhausted = (page.len() as i64) < PAGE;
            if let Some(last) = page.last() {
                self.from_store.next = stored_seq(last) + 1;
            }
            self.from_store.page.extend(page);
        }
        Ok(())
    }

    /// The position of the next checkpoint, if any.
    pub async fn peek(&mut self) -> ServiceResult<Option<i64>> {
        self.fill().await?;
        let pg = self.from_pg.page.front().map(|c| c.seq);
        let store = self.from_store.page.front().map(stored_seq);
        Ok(match (pg, store) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// The next checkpoint, verified; the break it is when it cannot be trusted.
    pub async fn next(&mut self) -> ServiceResult<Option<Result<Checkpoint, ChainBreak>>> {
        let Some(seq) = self.peek().await? else {
            return Ok(None);
        };
        let pg = (self.from_pg.page.front().map(|c| c.seq) == Some(seq))
            .then(|| self.from_pg.page.pop_front())
            .flatten();
        let stored = (self.from_store.page.front().map(stored_seq) == Some(seq))
            .then(|| self.from_store.page.pop_front())
            .flatten();
        Ok(Some(self.trust(seq, pg, stored)))
    }

    fn trust(
        &self,
        seq: i64,
        pg: Option<Checkpoint>,
        stored: Option<StoredCheckpoint>,
    ) -> Result<Checkpoint, ChainBreak> {
        let stored = match stored {
            Some(StoredCheckpoint::Unreadable { .. }) => {
                return Err(invalid(
                    seq,
                    "the event store's checkpoint is no longer a readable checkpoint".into(),
                ));
            }
            Some(StoredCheckpoint::Readable(checkpoint)) => Some(checkpoint),
            None => None,
        };
        for (copy, place) in [(&pg, "PostgreSQL"), (&stored, "the event store")] {
            if let Some(checkpoint) = copy
                && let Err(fault) = self.keys.verify(checkpoint)
            {
                return Err(invalid(seq, format!("the checkpoint in {place}: {fault}")));
            }
        }
        match (pg, stored) {
            (Some(pg), Some(stored)) if pg != stored => Err(invalid(
                seq,
                "the two stores hold different checkpoints at this position, both signed".into(),
            )),
            (Some(checkpoint), _) | (None, Some(checkpoint)) => Ok(checkpoint),
            (None, None) => Err(invalid(seq, "no checkpoint at this position".into())),
        }
    }
}
