//! Signed checkpoints of the audit chain (docs/AUDIT_INTEGRITY.md): every
//! `AUDIT_CHECKPOINT_EVERY` events or `AUDIT_CHECKPOINT_INTERVAL_SECONDS`, whichever comes
//! first and only when the chain moved, the head is signed and written to PostgreSQL, then
//! copied to MongoDB and written as one log line, so it is anchored outside both stores.
//!
//! Several instances may find a checkpoint due at once: positions are the primary key, so
//! the same state is signed once; nearby states may each get one, which is harmless.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::domain::audit_checkpoint::{AuditKeys, Checkpoint, CheckpointPolicy};
use crate::repo::mongo::AuditCheckpointStore;
use crate::repo::pg::audit_chain::ChainHead;
use crate::repo::pg::{DbError, PgAuditChain, PgAuditCheckpoints, PgPool};

/// A checkpoint's position and time.
type SignedAt = (i64, DateTime<Utc>);

/// Checkpoints copied to MongoDB per round.
const COPY_BATCH: i64 = 500;

#[derive(Clone)]
pub struct Checkpointer {
    pool: PgPool,
    chain: PgAuditChain,
    checkpoints: PgAuditCheckpoints,
    store: AuditCheckpointStore,
    keys: AuditKeys,
    policy: CheckpointPolicy,
    /// The latest checkpoint this instance knows of (another instance may have written a
    /// later one: then the check against PostgreSQL finds it not due).
    last: Arc<Mutex<Option<SignedAt>>>,
    /// Some checkpoint may not be in MongoDB yet (at start, and after a failed copy).
    copy_pending: Arc<AtomicBool>,
}

impl Checkpointer {
    pub fn new(
        pool: PgPool,
        store: AuditCheckpointStore,
        keys: AuditKeys,
        policy: CheckpointPolicy,
    ) -> Self {
        Self {
            pool,
            chain: PgAuditChain,
            checkpoints: PgAuditCheckpoints,
            store,
            keys,
            policy,
            last: Arc::new(Mutex::new(None)),
            copy_pending: Arc::new(AtomicBool::new(true)),
        }
    }

    /// How often the relay asks whether the interval has passed.
    pub fn tick(&self) -> Duration {
        (self.policy.interval / 4).clamp(Duration::from_millis(50), Duration::from_secs(5))
    }

    /// After the relay chained events up to `head`: signs it when a checkpoint is due.
    pub async fn after_chaining(&self, head: ChainHead) -> Result<(), DbError> {
        let known = *self.last.lock().await;
        if known.is_some() && !self.policy.due(head.seq, known, Utc::now()) {
            return Ok(());
        }
        self.sign_if_due(head).await
    }

    /// On the relay's timer: the interval may have passed with the chain moved.
    pub async fn on_tick(&self) -> Result<(), DbError> {
        let head = self.chain.head(&self.pool).await?;
        self.sign_if_due(head).await?;
        if self.copy_pending.load(Ordering::Relaxed) {
            self.copy_to_event_store().await;
        }
        Ok(())
    }

    async fn sign_if_due(&self, head: ChainHead) -> Result<(), DbError> {
        let latest = self.checkpoints.latest(&self.pool).await?;
        let mut last = latest.map(|c| (c.seq, c.created_at));
        let now = Utc::now();
        if self.policy.due(head.seq, last, now) {
            let checkpoint = self.keys.sign(head.seq, head.hash, now);
            if self.checkpoints.insert(&self.pool, &checkpoint).await? {
                log_checkpoint(&checkpoint);
                metrics::counter!("audit_checkpoints_signed_total").increment(1);
            }
            last = Some((checkpoint.seq, checkpoint.created_at));
            self.copy_to_event_store().await;
        }
        *self.last.lock().await = last;
        Ok(())
    }

    /// Copies what PostgreSQL has and MongoDB may not; on failure, tried again next tick.
    async fn copy_to_event_store(&self) {
        let copied: Result<(), String> = async {
            loop {
                let batch = self
                    .checkpoints
                    .undelivered(&self.pool, COPY_BATCH)
                    .await
                    .map_err(|e| e.to_string())?;
                if batch.is_empty() {
                    return Ok(());
                }
                self.store.store(&batch).await.map_err(|e| e.to_string())?;
                let seqs: Vec<i64> = batch.iter().map(|c| c.seq).collect();
                self.checkpoints
                    .mark_delivered(&self.pool, &seqs)
                    .await
                    .map_err(|e| e.to_string())?;
                if (batch.len() as i64) < COPY_BATCH {
                    return Ok(());
                }
            }
        }
        .await;
        if let Err(reason) = &copied {
            tracing::warn!(error = %reason, "audit checkpoints not copied to MongoDB yet; will retry");
        }
        self.copy_pending.store(copied.is_err(), Ordering::Relaxed);
    }
}

/// One structured line per checkpoint: log shipping keeps a third copy.
fn log_checkpoint(checkpoint: &Checkpoint) {
    tracing::info!(
        target: "stockroom::audit_checkpoint",
        seq = checkpoint.seq,
        hash = %checkpoint.hash.to_hex(),
        created_at = %checkpoint.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        key_id = %checkpoint.key_id,
        signature = %checkpoint.signature_base64(),
        "audit checkpoint signed"
    );
}
