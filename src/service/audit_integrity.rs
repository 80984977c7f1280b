//! Verifying the audit chain (docs/AUDIT_INTEGRITY.md): the event store walked in `seq`
//! order against what PostgreSQL fixed, naming the first break.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::error::{ServiceError, ServiceResult};
use crate::domain::audit_verify::{BreakKind, ChainBreak, ChainState, ChainWalk};
use crate::repo::mongo::AuditChainRepo;
use crate::repo::mongo::audit_chain::Stored;
use crate::repo::pg::{PgAuditChain, PgPool};

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Every position through `verified_through_seq` checked and sound.
    pub verified_through_seq: i64,
    /// The last position PostgreSQL had given when the walk started.
    pub head_seq: i64,
    /// Positions given but not delivered yet (not checked, never a break).
    pub pending: i64,
    pub checked_at: DateTime<Utc>,
    pub first_break: Option<ChainBreak>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

#[derive(Clone)]
pub struct AuditIntegrityService {
    pool: PgPool,
    chain: PgAuditChain,
    store: AuditChainRepo,
}

impl AuditIntegrityService {
    pub fn new(pool: PgPool, store: AuditChainRepo) -> Self {
        Self {
            pool,
            chain: PgAuditChain,
            store,
        }
    }

    /// Walks the chain from position `from` (1: all of it), calling `progress` with each
    /// position checked. Reads PostgreSQL's head first, so events chained meanwhile are left
    /// for the next run rather than taken for strangers.
    pub async fn verify(
        &self,
        from: i64,
        mut progress: impl FnMut(i64, i64),
    ) -> ServiceResult<Verification> {
        let head = self.chain.head(&self.pool).await?;
        let pending_from = self.chain.first_pending(&self.pool, head.seq).await?;
        let state = ChainState {
            head_seq: head.seq,
            head_hash: head.hash,
            pending_from,
        };
        let mut walk = ChainWalk::new(state, from);
        let mut stored = self
            .store
            .chained(from.max(1), head.seq)
            .await
            .map_err(unavailable)?;
        let mut first_break = None;
        while let Some(next) = stored.try_next().await.map_err(unavailable)? {
            let checked = match next {
                Stored::Event(event) => walk.check(&event),
                Stored::Unreadable { seq } => Err(ChainBreak {
                    seq: seq.unwrap_or(walk.verified_through() + 1),
                    event_id: None,
                    kind: BreakKind::Modified,
                    detail: "the stored document is no longer a readable audit event".into(),
                }),
            };
            if let Err(broken) = checked {
                first_break = Some(broken);
                break;
            }
            progress(walk.verified_through(), head.seq);
        }
        if first_break.is_none() {
            first_break = walk.finish().err();
        }
        if first_break.is_none() {
            first_break = self.forged_beyond_head().await?;
        }
        let pending = pending_from.map_or(0, |first| head.seq - first + 1);
        Ok(Verification {
            verified_through_seq: walk.verified_through(),
            head_seq: head.seq,
            pending,
            checked_at: Utc::now(),
            first_break,
        })
    }

    /// An event stored at a position PostgreSQL has not given. Positions only grow and only
    /// given ones are delivered, so one found above the head is forged, unless the head moved
    /// past it meanwhile (chained and delivered between the two reads).
    async fn forged_beyond_head(&self) -> ServiceResult<Option<ChainBreak>> {
        let head = self.chain.head(&self.pool).await?.seq;
        let Some(seq) = self.store.first_above(head).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let head = self.chain.head(&self.pool).await?.seq;
        Ok((seq > head).then(|| ChainBreak {
            seq,
            event_id: None,
            kind: BreakKind::Unexpected,
            detail: format!(
                "seq {seq} is past the chain's head ({head}): no such position was ever given"
            ),
        }))
    }
}

fn unavailable(err: mongodb::error::Error) -> ServiceError {
    tracing::warn!(error = %err, "the event store could not be read for verification");
    ServiceError::Unavailable("the event store could not be read; retry shortly")
}
