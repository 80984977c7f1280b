//! Keeps `activity_rollups` up to date: a pass every `ACTIVITY_ROLLUP_INTERVAL_SECONDS`
//! rolls up the hours that closed since the last one (and the last closed hour again, for
//! events stored late), catching up a week per pipeline after a first start or an outage.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tokio_util::sync::CancellationToken;

use crate::domain::rollups::{chunks, hours_to_roll};
use crate::repo::mongo::RollupRepo;

pub struct RollupWorker {
    pub repo: RollupRepo,
    pub interval: Duration,
    /// TTL of raw events: an hour they may have started to leave is not recomputed.
    pub raw_retention: Duration,
}

impl RollupWorker {
    pub async fn run(self, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                passed = self.pass(&stop) => match passed {
                    Ok(0) => {}
                    Ok(hours) => tracing::debug!(hours, "activity rollups updated"),
                    Err(err) => tracing::warn!(error = %err, "activity rollups not updated; the next pass tries again"),
                },
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Rolls up what is due, oldest first; answers how many hours it covered.
    async fn pass(&self, stop: &CancellationToken) -> Result<i64, mongodb::error::Error> {
        let now = Utc::now();
        let closed_through = self.repo.closed_through().await?;
        let oldest_event = match closed_through {
            Some(_) => None,
            None => self.repo.oldest_event().await?,
        };
        let retention = TimeDelta::from_std(self.raw_retention).unwrap_or(TimeDelta::MAX);
        let Some(hours) = hours_to_roll(now, closed_through, oldest_event, retention) else {
            return Ok(0);
        };
        for chunk in chunks(hours) {
            if stop.is_cancelled() {
                break;
            }
            self.repo.roll(chunk, now).await?;
        }
        Ok((hours.to() - hours.from()).num_hours())
    }
}
