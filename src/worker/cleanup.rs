//! Periodic housekeeping: expired refresh tokens and idle rate-limit state.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::repo::pg::{PgPool, PgRefreshTokenRepo};
use crate::service::rate_limit::RateLimits;

const EVERY: Duration = Duration::from_secs(600);

pub async fn run(pool: PgPool, limits: Arc<RateLimits>, shutdown: CancellationToken) {
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
        limits.forget_idle();
    }
}
