//! Periodic housekeeping: expired refresh tokens and rate-limit keys whose budget is whole
//! again (so keys clients choose, emails and addresses, cannot grow the table without bound).

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::repo::pg::{PgPool, PgRateLimitRepo, PgRefreshTokenRepo};

const EVERY: Duration = Duration::from_secs(60);

pub async fn run(pool: PgPool, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        match PgRefreshTokenRepo.delete_expired(&pool, Utc::now()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted expired refresh tokens"),
            Err(err) => tracing::warn!(error = %err, "deleting expired refresh tokens failed"),
        }
        match PgRateLimitRepo.prune(&pool).await {
            Ok(pruned) => tracing::debug!(pruned, "pruned idle rate-limit keys"),
            Err(err) => tracing::warn!(error = %err, "pruning rate-limit keys failed"),
        }
    }
}
