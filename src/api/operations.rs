//! Operations endpoints: liveness, readiness and Prometheus metrics.

use metrics_exporter_prometheus::PrometheusHandle;
use poem_openapi::payload::PlainText;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use serde::Serialize;

use super::ApiTags;
use crate::http::json::Json;
use crate::service::health::HealthService;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum StoreStatus {
    Up,
    Down,
}

impl From<bool> for StoreStatus {
    fn from(up: bool) -> Self {
        if up {
            StoreStatus::Up
        } else {
            StoreStatus::Down
        }
    }
}

#[derive(Debug, Object, Serialize)]
pub struct Liveness {
    /// Always `ok` while the process serves.
    pub status: String,
}

#[derive(Debug, Object, Serialize)]
pub struct Readiness {
    pub postgres: StoreStatus,
    pub mongodb: StoreStatus,
    /// Audit events committed but not yet delivered to MongoDB (null when PostgreSQL is down).
    pub outbox_backlog: Option<i64>,
}

#[derive(ApiResponse)]
pub enum ReadinessResponse {
    /// Both stores answer.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// A store does not answer; the body says which.
    #[oai(status = 503)]
    NotReady(Json<Readiness>),
}

pub struct OperationsApi {
    pub health: HealthService,
    pub metrics: PrometheusHandle,
}

#[OpenApi(tag = "ApiTags::Operations")]
impl OperationsApi {
    /// Liveness: 200 while the process serves.
    ///
    /// Open to anyone (no token).
    #[oai(path = "/health/live", method = "get", operation_id = "health_live")]
    async fn live(&self) -> Json<Liveness> {
        Json(Liveness {
            status: "ok".to_owned(),
        })
    }

    /// Readiness: 200 when PostgreSQL and MongoDB both answer, else 503 with the same shape.
    ///
    /// Open to anyone (no token).
    #[oai(path = "/health/ready", method = "get", operation_id = "health_ready")]
    async fn ready(&self) -> ReadinessResponse {
        let readiness = self.health.readiness().await;
        if let Some(backlog) = readiness.outbox_backlog {
            metrics::gauge!("outbox_backlog").set(backlog as f64);
        }
        let body = Readiness {
            postgres: readiness.postgres.into(),
            mongodb: readiness.mongodb.into(),
            outbox_backlog: readiness.outbox_backlog,
        };
        if readiness.is_ready() {
            ReadinessResponse::Ready(Json(body))
        } else {
            ReadinessResponse::NotReady(Json(body))
        }
    }

    /// Metrics in the Prometheus text format.
    ///
    /// Open to anyone (no token). Request counts and latency by operation and status, pool
    /// use, outbox backlog and relay throughput, activity drops.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self) -> PlainText<String> {
        let pool = self.health.pool_usage();
        metrics::gauge!("db_pool_connections", "state" => "max").set(pool.max_size as f64);
        metrics::gauge!("db_pool_connections", "state" => "open").set(pool.size as f64);
        metrics::gauge!("db_pool_connections", "state" => "idle").set(pool.available as f64);
        metrics::gauge!("db_pool_connections", "state" => "waiting").set(pool.waiting as f64);
        self.metrics.run_upkeep();
        PlainText(self.metrics.render())
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    #[test]
    fn serde_and_poem_openapi_write_the_same_json() {
        for backlog in [Some(4), None] {
            let readiness = Readiness {
                postgres: StoreStatus::Up,
                mongodb: StoreStatus::Down,
                outbox_backlog: backlog,
            };
            assert_eq!(
                Some(serde_json::to_value(&readiness).unwrap()),
                readiness.to_json()
            );
        }
        let live = Liveness {
            status: "ok".into(),
        };
        assert_eq!(Some(serde_json::to_value(&live).unwrap()), live.to_json());
    }
}
