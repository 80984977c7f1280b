//! The outbox relay: moves committed audit events from PostgreSQL to MongoDB.
//!
//! At-least-once delivery, exactly-once storage (MongoDB `_id` = event id). While MongoDB is
//! down the backlog grows and the relay backs off; nothing is lost and no request fails. An
//! event MongoDB refuses on its own (or whose payload cannot be read) counts an attempt each
//! time; after `MAX_DELIVERY_ATTEMPTS` it is parked (left in the outbox, no longer claimed,
//! counted by the `outbox_parked` gauge) so it cannot slow down the events behind it.

use std::time::Duration;

use chrono::Utc;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

use super::checkpoints::Checkpointer;
use crate::config::OutboxConfig;
use crate::repo::mongo::EventStore;
use crate::repo::pg::outbox::{BatchResult, DeliveryOutcome};
use crate::repo::pg::{DbError, PgAuditChain, PgOutbox, PgPool};

const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one batch insert may take while its rows are locked in a PostgreSQL transaction;
/// past it the batch counts as undelivered (a late insert is harmless: `_id` deduplicates).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
pub const MAX_DELIVERY_ATTEMPTS: i32 = 10;
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Rows deleted per statement, so one prune never holds a long lock; a round repeats full
/// batches up to `PRUNE_BATCHES_PER_ROUND` (a million rows a minute per instance).
const PRUNE_BATCH: i64 = 10_000;
const PRUNE_BATCHES_PER_ROUND: usize = 100;
/// `outbox.last_error` keeps this much of a refusal's reason.
const MAX_REASON_CHARS: usize = 500;
/// How long a graceful shutdown may spend delivering what is left.
const FINAL_FLUSH: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct OutboxRelay {
    pool: PgPool,
    outbox: PgOutbox,
    chain: PgAuditChain,
    events: EventStore,
    config: OutboxConfig,
    checkpointer: Checkpointer,
}

impl OutboxRelay {
    pub fn new(
        pool: PgPool,
        events: EventStore,
        config: OutboxConfig,
        checkpointer: Checkpointer,
    ) -> Self {
        Self {
            pool,
            outbox: PgOutbox,
            chain: PgAuditChain,
            events,
            config,
            checkpointer,
        }
    }

    /// Chains what committed since, then claims and delivers one batch. A batch is chained in
    /// its own short transaction before any delivery, so a delivery interrupted, repeated or
    /// made by another instance stores the same documents.
    pub async fn run_once(&self) -> Result<BatchResult, DbError> {
        let chained = self
            .chain
            .chain_pending(&self.pool, self.config.batch_size, MAX_DELIVERY_ATTEMPTS)
            .await?;
        if chained.chained > 0 {
            metrics::counter!("audit_chain_appended_total").increment(chained.chained as u64);
        }
        if let Some(head) = chained.head
            && let Err(err) = self.checkpointer.after_chaining(head).await
        {
            tracing::warn!(error = %err, "audit checkpoint not written; retried on the next tick");
        }
        let events = self.events.clone();
        let result = self
            .outbox
            .deliver_batch(&self.pool, self.config.batch_size, MAX_DELIVERY_ATTEMPTS, async move |batch| {
                match tokio::time::timeout(DELIVERY_TIMEOUT, events.insert_audit_batch(&batch)).await {
                    Ok(Ok(report)) => {
                        if !report.already_stored.is_empty() {
                            metrics::counter!("outbox_redelivered_total").increment(report.already_stored.len() as u64);
                        }
                        let failed: Vec<(uuid::Uuid, String)> = report.failed.into_iter().map(|(id, reason)| {
                            tracing::error!(event_id = %id, error = %reason, "audit event refused by the event store");
                            (id, reason.chars().take(MAX_REASON_CHARS).collect())
                        }).collect();
                        let mut delivered = report.inserted;
                        delivered.extend(report.already_stored);
                        DeliveryOutcome { delivered, failed, unavailable: false }
                    }
                    Ok(Err(err)) => {
                        tracing::warn!(batch = batch.len(), error = %err, "audit batch not delivered; will retry");
                        DeliveryOutcome { unavailable: true, ..DeliveryOutcome::default() }
                    }
                    Err(_) => {
                        tracing::warn!(batch = batch.len(), timeout = ?DELIVERY_TIMEOUT, "audit batch timed out; will retry");
                        DeliveryOutcome { unavailable: true, ..DeliveryOutcome::default() }
                    }
                }
            })
            .await?;
        metrics::counter!("outbox_delivered_total").increment(result.delivered as u64);
        let undelivered = if result.unavailable {
            result.claimed
        } else {
            result.failed
        };
        if undelivered > 0 {
            metrics::counter!("outbox_delivery_failures_total").increment(undelivered as u64);
        }
        Ok(result)
    }

    /// Delivers batches until the backlog is empty or the event store is unreachable;
    /// returns the events delivered, or an error when the relay should back off. Events
    /// refused one by one do not stop it (they are retried, then parked).
    pub async fn drain(&self) -> Result<usize, RelayStall> {
        let mut delivered = 0;
        loop {
            let batch = self.run_once().await.map_err(RelayStall::Database)?;
            delivered += batch.delivered;
            if batch.unavailable {
                return Err(RelayStall::Unavailable {
                    pending: batch.claimed,
                });
            }
            if batch.claimed < self.config.batch_size {
                return Ok(delivered);
            }
        }
    }

    /// Runs until `shutdown`, then makes one bounded last attempt to deliver what is left.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::ZERO;
        let mut next_prune = Instant::now();
        let mut next_checkpoint = Instant::now();
        loop {
            let wait = if backoff.is_zero() {
                self.config.poll_interval
            } else {
                backoff
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = sleep(wait) => {}
            }
            backoff = match self.drain().await {
                Ok(_) => Duration::ZERO,
                Err(stall) => {
                    tracing::debug!(%stall, "outbox relay backing off");
                    (backoff * 2).clamp(self.config.poll_interval, MAX_BACKOFF)
                }
            };
            self.report_backlog().await;
            if Instant::now() >= next_checkpoint {
                if let Err(err) = self.checkpointer.on_tick().await {
                    tracing::warn!(error = %err, "audit checkpoint check failed; retried on the next tick");
                }
                next_checkpoint = Instant::now() + self.checkpointer.tick();
            }
            if Instant::now() >= next_prune {
                self.prune().await;
                next_prune = Instant::now() + PRUNE_EVERY;
            }
        }
        match tokio::time::timeout(FINAL_FLUSH, self.drain()).await {
            Ok(Ok(delivered)) => tracing::info!(delivered, "outbox relay flushed on shutdown"),
            Ok(Err(stall)) => {
                tracing::warn!(%stall, "outbox relay stopped with a backlog; it is delivered on next start")
            }
            Err(_) => tracing::warn!(
                "outbox relay flush timed out; the backlog is delivered on next start"
            ),
        }
    }

    async fn report_backlog(&self) {
        if let Ok(backlog) = self.outbox.backlog(&self.pool).await {
            metrics::gauge!("outbox_backlog").set(backlog as f64);
        }
        if let Ok(parked) = self.outbox.parked(&self.pool, MAX_DELIVERY_ATTEMPTS).await {
            metrics::gauge!("outbox_parked").set(parked as f64);
        }
    }

    /// Deletes rows delivered longer ago than the retention, a batch at a time, until a
    /// batch comes back short (or the round's bound is reached; the next round goes on).
    pub async fn prune(&self) -> usize {
        let retention =
            chrono::Duration::from_std(self.config.retention).unwrap_or(chrono::Duration::days(7));
        let before = Utc::now() - retention;
        let mut pruned = 0;
        for _ in 0..PRUNE_BATCHES_PER_ROUND {
            match self
                .outbox
                .prune_delivered(&self.pool, before, PRUNE_BATCH)
                .await
            {
                Ok(count) => {
                    pruned += count;
                    if (count as i64) < PRUNE_BATCH {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "pruning the outbox failed");
                    break;
                }
            }
        }
        if pruned > 0 {
            tracing::info!(pruned, "pruned delivered outbox rows");
        }
        pruned
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayStall {
    #[error("database: {0}")]
    Database(DbError),
    #[error("event store unreachable; {pending} events wait")]
    Unavailable { pending: usize },
}
