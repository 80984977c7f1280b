//! Liveness of the two stores and the audit backlog, for readiness and metrics.

use std::time::Duration;

use tokio::time::timeout;

use crate::repo::mongo::EventStore;
use crate::repo::pg::{self, PgOutbox, PgPool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub postgres: bool,
    pub mongodb: bool,
    /// Undelivered audit events; `None` when PostgreSQL could not be asked.
    pub outbox_backlog: Option<i64>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.postgres && self.mongodb
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub max_size: usize,
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

#[derive(Clone)]
pub struct HealthService {
    pool: PgPool,
    outbox: PgOutbox,
    events: EventStore,
    check_timeout: Duration,
}

impl HealthService {
    pub fn new(pool: PgPool, events: EventStore, check_timeout: Duration) -> Self {
        Self {
            pool,
            outbox: PgOutbox,
            events,
            check_timeout,
        }
    }

    /// Asks both stores at once, each bounded by the check timeout.
    pub async fn readiness(&self) -> Readiness {
        let postgres = async {
            match timeout(self.check_timeout, pg::ping(&self.pool)).await {
                Ok(Ok(())) => {
                    let backlog =
                        timeout(self.check_timeout, self.outbox.backlog(&self.pool)).await;
                    (true, backlog.ok().and_then(Result::ok))
                }
                _ => (false, None),
            }
        };
        let mongodb = async {
            matches!(
                timeout(self.check_timeout, self.events.ping()).await,
                Ok(Ok(()))
            )
        };
        let ((postgres, outbox_backlog), mongodb) = tokio::join!(postgres, mongodb);
        Readiness {
            postgres,
            mongodb,
            outbox_backlog,
        }
    }

    pub fn pool_usage(&self) -> PoolUsage {
        let status = self.pool.status();
        PoolUsage {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }
}
