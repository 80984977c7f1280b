//! The outbox relay: moves committed audit events from PostgreSQL to MongoDB.
//!
//! At-least-once delivery, exactly-once storage (MongoDB `_id` = event id). While MongoDB is
//! down the backlog grows and the relay backs off; nothing is lost and no request fails.

use std::time::Duration;

use chrono::Utc;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

use crate::config::OutboxConfig;
use crate::repo::mongo::EventStore;
use crate::repo::pg::outbox::{BatchResult, DeliveryOutcome};
use crate::repo::pg::{DbError, PgOutbox, PgPool};

const MAX_BACKOFF: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const PRUNE_BATCH: i64 = 10_000;
/// How long a graceful shutdown may spend delivering what is left.
const FINAL_FLUSH: Duration = Duration::from_secs(5);
const MAX_REASON_CHARS: usize = 500;

#[derive(Clone)]
pub struct OutboxRelay {
    pool: PgPool,
    outbox: PgOutbox,
    events: EventStore,
    config: OutboxConfig,
}

impl OutboxRelay {
    pub fn new(pool: PgPool, events: EventStore, config: OutboxConfig) -> Self {
        Self {
            pool,
            outbox: PgOutbox,
            events,
            config,
        }
    }

    /// Claims and delivers one batch.
    pub async fn run_once(&self) -> Result<BatchResult, DbError> {
        let events = self.events.clone();
        let result = self
            .outbox
            .deliver_batch(&self.pool, self.config.batch_size, async move |batch| {
                match events.insert_audit_batch(&batch).await {
                    Ok(report) => {
                        if !report.already_stored.is_empty() {
                            metrics::counter!("outbox_redelivered_total").increment(report.already_stored.len() as u64);
                        }
                        let mut delivered = report.inserted;
                        delivered.extend(report.already_stored);
                        DeliveryOutcome { delivered, failed: report.failed }
                    }
                    Err(err) => {
                        let reason: String = format!("event store: {err}").chars().take(MAX_REASON_CHARS).collect();
                        tracing::warn!(batch = batch.len(), error = %reason, "audit batch not delivered; will retry");
                        DeliveryOutcome { delivered: vec![], failed: batch.iter().map(|e| (e.id, reason.clone())).collect() }
                    }
                }
            })
            .await?;
        metrics::counter!("outbox_delivered_total").increment(result.delivered as u64);
        if result.failed > 0 {
            metrics::counter!("outbox_delivery_failures_total").increment(result.failed as u64);
        }
        Ok(result)
    }

    /// Delivers batches until the backlog is empty or a batch fails; returns the events
    /// delivered, or an error when the relay should back off.
    pub async fn drain(&self) -> Result<usize, RelayStall> {
        let mut delivered = 0;
        loop {
            let batch = self.run_once().await.map_err(RelayStall::Database)?;
            delivered += batch.delivered;
            if batch.failed > 0 {
                return Err(RelayStall::Delivery {
                    failed: batch.failed,
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
    }

    async fn prune(&self) {
        let retention =
            chrono::Duration::from_std(self.config.retention).unwrap_or(chrono::Duration::days(7));
        match self
            .outbox
            .prune_delivered(&self.pool, Utc::now() - retention, PRUNE_BATCH)
            .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "pruned delivered outbox rows"),
            Err(err) => tracing::warn!(error = %err, "pruning the outbox failed"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayStall {
    #[error("database: {0}")]
    Database(DbError),
    #[error("{failed} events not delivered")]
    Delivery { failed: usize },
}
