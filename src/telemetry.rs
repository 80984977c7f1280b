//! Logging (tracing, pretty or JSON) and the Prometheus metrics recorder, set up once.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::config::LogFormat;

/// How often pending histogram samples are folded into their buckets.
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the global subscriber; a second call (tests) is a no-op.
///
/// Whatever `RUST_LOG` says, the PostgreSQL driver logs at INFO at most: at DEBUG it prints
/// every statement's parameters, stored password hashes and token hashes included.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let quiet_drivers = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_target("tokio_postgres", LevelFilter::INFO);
    let filter = filter.and(quiet_drivers);
    let _ = match format {
        LogFormat::Pretty => tracing_subscriber::registry()
            .with(fmt::layer().with_target(false).with_filter(filter))
            .try_init(),
        LogFormat::Json => tracing_subscriber::registry()
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_filter(filter),
            )
            .try_init(),
    };
}

/// The process-wide Prometheus recorder (installed on first use). Several servers in one
/// process (the test suite) share it.
///
/// The recorder queues every histogram sample until upkeep folds it into the buckets; only
/// the exporter's own HTTP listener schedules that, and a render does it too. Without a
/// Prometheus scraping `/metrics`, the queue grew by every request (the soak found
/// +7 MB in ten minutes), so a thread runs upkeep on a fixed interval.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    LATENCY_BUCKETS,
                )
                .expect("non-empty bucket list")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            describe_metrics();
            export_from_zero();
            spawn_upkeep(handle.clone());
            handle
        })
        .clone()
}

/// A plain thread rather than a task: the recorder outlives any one tokio runtime (the
/// test suite starts many).
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(METRICS_UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "cannot start metrics upkeep; histograms grow until scraped");
    }
}

fn describe_metrics() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by operation, method and status"
    );
    metrics::describe_histogram!("http_request_duration_seconds", "HTTP request latency");
    metrics::describe_gauge!(
        "outbox_backlog",
        "Audit events committed but not yet in MongoDB"
    );
    metrics::describe_counter!(
        "outbox_delivered_total",
        "Audit events delivered to MongoDB"
    );
    metrics::describe_counter!(
        "outbox_redelivered_total",
        "Deliveries that found the event already stored"
    );
    metrics::describe_counter!(
        "outbox_delivery_failures_total",
        "Audit event delivery attempts that failed"
    );
    metrics::describe_counter!(
        "activity_events_written_total",
        "Activity events written to MongoDB"
    );
    metrics::describe_counter!(
        "activity_events_dropped_total",
        "Activity events dropped, by reason"
    );
    metrics::describe_gauge!(
        "db_pool_connections",
        "PostgreSQL pool connections, by state"
    );
    metrics::describe_gauge!(
        "outbox_parked",
        "Audit events refused too often, left for an operator"
    );
    metrics::describe_gauge!("http_connections_open", "Open HTTP connections");
    metrics::describe_counter!(
        "http_connections_refused_total",
        "Connections closed at accept because the open connection cap was reached"
    );
    metrics::describe_counter!(
        "http_connections_timed_out_total",
        "Connections closed by a time limit, by reason (header, idle, write)"
    );
}

/// Every counter and gauge a dashboard or alert may name, at 0 from the first scrape (an
/// absent series reads as "no data", not as "nothing happened").
fn export_from_zero() {
    for name in [
        "outbox_delivered_total",
        "outbox_redelivered_total",
        "outbox_delivery_failures_total",
        "activity_events_written_total",
        "http_connections_refused_total",
    ] {
        metrics::counter!(name).increment(0);
    }
    for reason in ["queue_full", "shutting_down", "store_error"] {
        metrics::counter!("activity_events_dropped_total", "reason" => reason).increment(0);
    }
    for reason in ["header", "idle", "write"] {
        metrics::counter!("http_connections_timed_out_total", "reason" => reason).increment(0);
    }
    for name in ["outbox_backlog", "outbox_parked", "http_connections_open"] {
        metrics::gauge!(name).increment(0.0);
    }
}
