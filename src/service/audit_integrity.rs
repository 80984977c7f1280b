//! Verifying the audit chain (docs/AUDIT_INTEGRITY.md): the event store walked in `seq`
//! order against what PostgreSQL fixed and the signed checkpoints, naming the first break.

mod checkpoints;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_chain::Digest32;
use crate::domain::audit_checkpoint::{AuditKeys, Checkpoint};
use crate::domain::audit_verify::{BreakKind, ChainBreak, ChainState, ChainWalk};
use crate::repo::mongo::audit_chain::Stored;
use crate::repo::mongo::{AuditChainRepo, AuditCheckpointStore};
use crate::repo::pg::{PgAuditChain, PgOutbox, PgPool};
use checkpoints::CheckpointFeed;

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
    /// The last signed checkpoint the walk passed intact: a later walk may start after it.
    pub last_checkpoint: Option<Checkpoint>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Where a walk starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkStart {
    /// At this position, its link to the one before taken as stored (1: the whole chain).
    At(i64),
    /// After a checkpoint an earlier walk passed intact.
    After { seq: i64, hash: Digest32 },
}

#[derive(Clone)]
pub struct AuditIntegrityService {
    pool: PgPool,
    chain: PgAuditChain,
    store: AuditChainRepo,
    checkpoints: AuditCheckpointStore,
    keys: AuditKeys,
}

impl AuditIntegrityService {
    pub fn new(
        pool: PgPool,
        store: AuditChainRepo,
        checkpoints: AuditCheckpointStore,
        keys: AuditKeys,
    ) -> Self {
        Self {
            pool,
            chain: PgAuditChain,
            store,
            checkpoints,
            keys,
        }
    }

    pub fn keys(&self) -> &AuditKeys {
        &self.keys
    }

    /// Records a verification someone asked for as `audit.verified` (`event` names who),
    /// with what it found. The background verifier never does: it would feed itself.
    pub async fn record_verified(
        &self,
        event: AuditEvent,
        verification: &Verification,
        start: WalkStart,
    ) -> ServiceResult<()> {
        let status = if verification.is_intact() {
            "intact"
        } else {
            "broken"
        };
        let from = match start {
            WalkStart::At(seq) => seq,
            WalkStart::After { seq, .. } => seq + 1,
        };
        let mut event = event
            .with_metadata("full", (from <= 1).into())
            .with_metadata("from_seq", from.into())
            .with_metadata("status", status.into())
            .with_metadata(
                "verified_through_seq",
                verification.verified_through_seq.into(),
            )
            .with_metadata("head_seq", verification.head_seq.into());
        if let Some(broken) = &verification.first_break {
            event = event
                .with_metadata("first_break_seq", broken.seq.into())
                .with_metadata("first_break_kind", broken.kind.as_str().into());
        }
        Ok(PgOutbox.record(&self.pool, &[event]).await?)
    }

    /// Walks the chain from `start`, calling `progress` with each position checked. Reads
    /// PostgreSQL's head first, so events chained meanwhile are left for the next run
    /// rather than taken for strangers.
    pub async fn verify(
        &self,
        start: WalkStart,
        mut progress: impl FnMut(i64, i64),
    ) -> ServiceResult<Verification> {
        let head = self.chain.head(&self.pool).await?;
        let pending_from = self.chain.first_pending(&self.pool, head.seq).await?;
        let state = ChainState {
            head_seq: head.seq,
            head_hash: head.hash,
            pending_from,
        };
        let (mut walk, from) = match start {
            WalkStart::At(from) => (ChainWalk::new(state, from), from.max(1)),
            WalkStart::After { seq, hash } => (ChainWalk::resume(state, seq + 1, hash), seq + 1),
        };
        let mut feed = CheckpointFeed::new(&self.pool, &self.checkpoints, &self.keys, from);
        let mut last_checkpoint = None;
        let mut stored = self
            .store
            .chained(from, head.seq)
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
            let checked = match checked {
                Ok(()) => {
                    self.pass_checkpoints(&mut feed, &walk, &mut last_checkpoint)
                        .await?
                }
                broken => broken,
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
            first_break = beyond_the_walk(&mut feed, &walk, head.seq).await?;
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
            last_checkpoint,
        })
    }

    /// The checkpoints at or before where the walk now stands: each must be trusted and,
    /// at the walk's position, name the hash the chain has there.
    async fn pass_checkpoints(
        &self,
        feed: &mut CheckpointFeed<'_>,
        walk: &ChainWalk,
        last: &mut Option<Checkpoint>,
    ) -> ServiceResult<Result<(), ChainBreak>> {
        while let Some(seq) = feed.peek().await?
            && seq <= walk.verified_through()
        {
            let Some(next) = feed.next().await? else {
                break;
            };
            let checkpoint = match next {
                Ok(checkpoint) => checkpoint,
                Err(broken) => return Ok(Err(broken)),
            };
            if let Err(broken) = walk.passes_checkpoint(checkpoint.seq, checkpoint.hash) {
                return Ok(Err(broken));
            }
            *last = Some(checkpoint);
        }
        Ok(Ok(()))
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

/// Checkpoints past where the walk stopped: those over pending positions are checked when
/// those are delivered; one past PostgreSQL's head names events that were signed for and
/// are gone, with the head rolled back (tail truncation).
async fn beyond_the_walk(
    feed: &mut CheckpointFeed<'_>,
    walk: &ChainWalk,
    head_seq: i64,
) -> ServiceResult<Option<ChainBreak>> {
    while let Some(next) = feed.next().await? {
        let checkpoint = match next {
            Ok(checkpoint) => checkpoint,
            Err(broken) => return Ok(Some(broken)),
        };
        if checkpoint.seq > head_seq {
            return Ok(Some(ChainBreak {
                seq: walk.verified_through() + 1,
                event_id: None,
                kind: BreakKind::Truncated,
                detail: format!(
                    "a signed checkpoint covers seq {} but the chain ends at seq {head_seq}: \
                     seq {} to {} are gone",
                    checkpoint.seq,
                    walk.verified_through() + 1,
                    checkpoint.seq
                ),
            }));
        }
    }
    Ok(None)
}

fn unavailable(err: mongodb::error::Error) -> ServiceError {
    tracing::warn!(error = %err, "the event store could not be read for verification");
    ServiceError::Unavailable("the event store could not be read; retry shortly")
}
