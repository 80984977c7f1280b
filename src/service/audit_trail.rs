//! The audit trail's integrity for API callers (`audit:read`): the background verifier's
//! latest result or a whole verification now, the signed checkpoints, the trusted keys and
//! per-event proofs (docs/AUDIT_INTEGRITY.md).

use super::caller::Authorized;
use crate::domain::names::permission;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use uuid::Uuid;

use super::audit_integrity::{AuditIntegrityService, Verification, WalkStart};
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::audit_checkpoint::{Checkpoint, CheckpointCursor, TrustedKey};
use crate::domain::audit_query::PageSize;
use crate::repo::mongo::audit_chain::LinkHashes;
use crate::repo::mongo::{AuditChainRepo, AuditQueryRepo};
use crate::repo::pg::{PgAuditCheckpoints, PgPool};

/// A proof carries at most this many links; checkpoints come every
/// `AUDIT_CHECKPOINT_EVERY` events (at most 10 million), so this bounds the answer, not
/// the configuration in use.
const MAX_PROOF_LINKS: i64 = 100_000;

/// The background verifier's latest result, shared with the API.
#[derive(Clone, Default)]
pub struct LatestVerification(Arc<RwLock<Option<Verification>>>);

impl LatestVerification {
    pub fn get(&self) -> Option<Verification> {
        self.0
            .read()
            .map(|latest| latest.clone())
            .unwrap_or_default()
    }

    pub fn set(&self, verification: Verification) {
        if let Ok(mut latest) = self.0.write() {
            *latest = Some(verification);
        }
    }
}

/// What an offline client needs to check that one event is in the signed history.
#[derive(Debug, Clone)]
pub struct Proof {
    pub event: AuditEvent,
    /// Each link after the event, up to and including the checkpoint's position.
    pub chain: Vec<LinkHashes>,
    pub checkpoint: Checkpoint,
}

#[derive(Clone)]
pub struct AuditTrailService {
    pool: PgPool,
    integrity: AuditIntegrityService,
    latest: LatestVerification,
    checkpoints: PgAuditCheckpoints,
    chain: AuditChainRepo,
    events: AuditQueryRepo,
    /// How long a verification asked for over HTTP may run.
    time_limit: Duration,
    /// One verification asked for over HTTP at a time per instance: each reads the whole
    /// chain, so callers cannot pile them up.
    verifying: Arc<Semaphore>,
    /// How long until the next checkpoint at most (`Retry-After` of a proof not ready).
    checkpoint_interval: Duration,
}

pub struct AuditTrailParts {
    pub pool: PgPool,
    pub integrity: AuditIntegrityService,
    pub latest: LatestVerification,
    pub chain: AuditChainRepo,
    pub events: AuditQueryRepo,
    pub time_limit: Duration,
    pub checkpoint_interval: Duration,
}

impl AuditTrailService {
    pub fn new(parts: AuditTrailParts) -> Self {
        Self {
            pool: parts.pool,
            integrity: parts.integrity,
            latest: parts.latest,
            checkpoints: PgAuditCheckpoints,
            chain: parts.chain,
            events: parts.events,
            time_limit: parts.time_limit,
            verifying: Arc::new(Semaphore::new(1)),
            checkpoint_interval: parts.checkpoint_interval,
        }
    }

    /// The background verifier's latest result, or, with `full`, the whole chain verified
    /// now within the query time limit (recorded as `audit.verified`).
    pub async fn verification(
        &self,
        caller: &Authorized<permission::AuditRead>,
        full: bool,
    ) -> ServiceResult<Verification> {
        if !full && let Some(latest) = self.latest.get() {
            return Ok(latest);
        }
        let _turn = self
            .verifying
            .try_acquire()
            .map_err(|_| ServiceError::Overloaded {
                detail: "a verification of the whole chain is already running here; retry shortly",
                retry_after_secs: self.time_limit.as_secs().max(1),
            })?;
        let verification = tokio::time::timeout(
            self.time_limit,
            self.integrity.verify(WalkStart::At(1), |_, _| {}),
        )
        .await
        .map_err(|_| {
            ServiceError::Unavailable(
                "the chain could not be verified within the query time limit; \
                 `stockroom audit verify` has no limit",
            )
        })??;
        if full {
            let event = caller.event(
                AuditAction::AuditVerified,
                Outcome::Success,
                Target::unidentified(TargetKind::AuditTrail),
            );
            self.integrity
                .record_verified(event, &verification, WalkStart::At(1))
                .await?;
        } else {
            self.latest.set(verification.clone());
        }
        Ok(verification)
    }

    /// Signed checkpoints, newest first.
    pub async fn checkpoints(
        &self,
        _caller: &Authorized<permission::AuditRead>,
        size: PageSize,
        before: Option<CheckpointCursor>,
    ) -> ServiceResult<(Vec<Checkpoint>, Option<CheckpointCursor>)> {
        let limit = size.value();
        let mut page = self
            .checkpoints
            .newest(&self.pool, before.map(|c| c.0), limit + 1)
            .await?;
        let more = page.len() as i64 > limit;
        page.truncate(limit as usize);
        let next = more
            .then(|| page.last().map(|c| CheckpointCursor(c.seq)))
            .flatten();
        Ok((page, next))
    }

    /// The keys checkpoints are verified with (the active one first).
    pub async fn keys(
        &self,
        _caller: &Authorized<permission::AuditRead>,
    ) -> ServiceResult<Vec<TrustedKey>> {
        Ok(self.integrity.keys().trusted())
    }

    /// The event, its following links and the first checkpoint at or after it.
    pub async fn proof(
        &self,
        _caller: &Authorized<permission::AuditRead>,
        id: Uuid,
    ) -> ServiceResult<Proof> {
        let event = self
            .events
            .find_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound("audit event"))?;
        let Some(link) = event.chain else {
            return Err(ServiceError::Conflict(
                "This event was stored before the audit chain started; it has no proof.".into(),
            ));
        };
        let not_yet = || ServiceError::NotYet {
            detail: format!(
                "No signed checkpoint covers seq {} yet; one is written within {} seconds.",
                link.seq,
                self.checkpoint_interval.as_secs().max(1)
            ),
            retry_after_secs: self.checkpoint_interval.as_secs().max(1),
        };
        let checkpoint = self
            .checkpoints
            .from(&self.pool, link.seq, 1)
            .await?
            .into_iter()
            .next()
            .ok_or_else(not_yet)?;
        if checkpoint.seq - link.seq > MAX_PROOF_LINKS {
            return Err(ServiceError::Unavailable(
                "the next checkpoint is too far after this event for one proof",
            ));
        }
        let chain = self
            .chain
            .links(link.seq, checkpoint.seq, self.time_limit)
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "the event store could not be read for a proof");
                ServiceError::Unavailable("the event store could not be read; retry shortly")
            })?;
        // A checkpoint may sign positions still on their way to the event store.
        if (chain.len() as i64) < checkpoint.seq - link.seq {
            return Err(ServiceError::NotYet {
                detail: format!(
                    "The events up to the checkpoint at seq {} are still being delivered; \
                     retry shortly.",
                    checkpoint.seq
                ),
                retry_after_secs: 1,
            });
        }
        Ok(Proof {
            event,
            chain,
            checkpoint,
        })
    }
}
