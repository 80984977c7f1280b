//! Builds the application from configuration and runs it until a shutdown signal.

mod command_line;
mod identity;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::EndpointExt;
use poem::endpoint::BoxEndpoint;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, ApiState, HttpSettings};
use crate::config::{Config, HttpConfig};
use crate::http::server;
use crate::repo::mongo::activity_sink::ActivitySink;
use crate::repo::mongo::indexes::{StoreSpecs, TtlSettings};
use crate::repo::mongo::spec_files::SpecSource;
use crate::repo::mongo::{
    self, AnalyticsRepo, AuditChainRepo, AuditCheckpointStore, AuditQueryRepo, EventStore,
    RollupRepo,
};
use crate::repo::pg::{self, PgPool, PoolSettings};
use crate::service::ServiceContext;
use crate::service::analytics::AnalyticsService;
use crate::service::audit::AuditService;
use crate::service::audit_integrity::AuditIntegrityService;
use crate::service::audit_trail::{AuditTrailParts, AuditTrailService, LatestVerification};
use crate::service::auth::AuthService;
use crate::service::health::HealthService;
use crate::service::product_cache::ProductCache;
use crate::service::products::ProductService;
use crate::telemetry;
use crate::worker::activity::activity_pipeline;
use crate::worker::checkpoints::Checkpointer;
use crate::worker::relay::OutboxRelay;
use crate::worker::rollups::RollupWorker;
use crate::worker::verifier::BackgroundVerifier;
use crate::worker::{catalog_notifier, cleanup, event_store_setup, listener};
pub use command_line::{audit_integrity, create_admin};
pub use identity::Identity;

const HEALTH_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Handles on the stores and pipelines, for the CLI and the test harness.
#[derive(Clone)]
pub struct Handles {
    pub pool: PgPool,
    pub events: EventStore,
    pub activity: ActivitySink,
    pub auth: AuthService,
}

/// Pending connections the kernel queues before `accept` (it caps this at `somaxconn`).
const ACCEPT_BACKLOG: u32 = 4_096;

pub struct Application {
    listener: tokio::net::TcpListener,
    port: u16,
    endpoint: Arc<BoxEndpoint<'static>>,
    http: HttpConfig,
    handles: Handles,
    /// Shut down last, once nothing that uses it runs any more.
    mongo_client: mongodb::Client,
    shutdown_timeout: Duration,
    background: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Applies pending migrations and the MongoDB index specs, builds the pools, binds the
    /// listener (port 0 picks a free one) and starts the background workers.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let applied = pg::run_pending_migrations(&config.database_url)
            .await
            .context("applying database migrations")?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied database migrations");
        }
        let pool = pg::build_pool(
            &config.database_url,
            &PoolSettings {
                max_size: config.database_pool_size,
                wait_timeout: config.database_pool_timeout,
                statement_timeout: config.database_statement_timeout,
            },
        )
        .context("building the PostgreSQL pool")?;
        let mongo_client = mongo::connect(&config.mongodb_url, config.mongodb_timeout)
            .await
            .context("configuring the MongoDB client")?;
        let events = EventStore::new(mongo_client.database(&config.mongodb_database));

        let background = CancellationToken::new();
        let mut tasks = Vec::new();
        let specs = StoreSpecs::load(
            &SpecSource::new(config.mongo_indexes_dir.clone()),
            TtlSettings {
                activity_retention: config.activity.retention,
                rollup_retention: config.activity.rollups.retention,
            },
        )
        .context("loading MongoDB index specs and validators")?;
        let applied = match specs.apply(events.database()).await {
            Ok(_) => true,
            Err(err) => {
                // MongoDB down at start-up must not stop the service (audit events wait in
                // the outbox); keep trying in the background.
                tracing::warn!(error = %err, "MongoDB specs not applied yet; retrying in the background");
                false
            }
        };
        // Rollups start once the documents they read are in `schema_version` 1.
        let rollups = config.activity.rollups.enabled.then(|| RollupWorker {
            repo: RollupRepo::new(&events),
            interval: config.activity.rollups.interval,
            raw_retention: config.activity.retention,
        });
        let setup = event_store_setup::run(
            events.clone(),
            (!applied).then_some(specs),
            background.clone(),
        );
        let stop = background.clone();
        tasks.push(tokio::spawn(async move {
            setup.await;
            if let Some(rollups) = rollups {
                rollups.run(stop).await;
            }
        }));

        let checkpointer = Checkpointer::new(
            pool.clone(),
            AuditCheckpointStore::new(&events),
            config.audit.keys.clone(),
            config.audit.checkpoint,
        );
        let relay = OutboxRelay::new(
            pool.clone(),
            events.clone(),
            config.outbox.clone(),
            checkpointer,
        );
        tasks.push(tokio::spawn(relay.run(background.clone())));
        let (activity, writer) = activity_pipeline(events.clone(), &config.activity);
        tasks.push(tokio::spawn(writer.run(background.clone())));

        let identity = Identity::build(&config, pool.clone(), activity.clone()).await?;
        tasks.push(tokio::spawn(listener::run(
            config.database_url.clone(),
            identity.identities.clone(),
            background.clone(),
        )));
        let (catalog_cache, announcements) = ProductCache::new(&config.catalog_cache);
        tasks.push(tokio::spawn(listener::run(
            config.database_url.clone(),
            catalog_cache.clone(),
            background.clone(),
        )));
        tasks.push(tokio::spawn(catalog_notifier::run(
            pool.clone(),
            announcements,
            background.clone(),
        )));
        tasks.push(tokio::spawn(cleanup::run(pool.clone(), background.clone())));

        let auth_handle = identity.auth.clone();
        let query_time_limit = config.mongodb_query_timeout;
        let audit = AuditService::new(
            AuditQueryRepo::new(&events, query_time_limit),
            identity.auth.clone(),
            pool.clone(),
        );
        let integrity = AuditIntegrityService::new(
            pool.clone(),
            AuditChainRepo::new(&events),
            AuditCheckpointStore::new(&events),
            config.audit.keys.clone(),
        );
        let latest = LatestVerification::default();
        tasks.push(tokio::spawn(
            BackgroundVerifier {
                integrity: integrity.clone(),
                latest: latest.clone(),
                interval: config.audit.verify_interval,
            }
            .run(background.clone()),
        ));
        let audit_trail = AuditTrailService::new(AuditTrailParts {
            pool: pool.clone(),
            integrity,
            latest,
            chain: AuditChainRepo::new(&events),
            events: AuditQueryRepo::new(&events, query_time_limit),
            time_limit: query_time_limit,
            checkpoint_interval: config.audit.checkpoint.interval,
        });
        let analytics = AnalyticsService::new(
            AnalyticsRepo::new(&events, query_time_limit, config.activity.rollups.enabled),
            pool.clone(),
        );
        let state = ApiState {
            services: ServiceContext { pool: pool.clone() },
            health: HealthService::new(pool.clone(), events.clone(), HEALTH_CHECK_TIMEOUT),
            metrics: telemetry::metrics_handle(),
            auth: identity.auth,
            accounts: identity.accounts,
            audit,
            audit_trail,
            users: identity.users,
            roles: identity.roles,
            products: ProductService::new(pool.clone(), activity.clone(), catalog_cache.clone()),
            analytics,
        };
        let endpoint = api::app(
            state,
            HttpSettings {
                max_body_bytes: config.max_body_bytes,
                body_read_timeout: config.http.body_read_timeout,
                cors_allowed_origins: config.cors_allowed_origins.clone(),
                trusted_proxies: config.trusted_proxies.clone(),
            },
        )
        .boxed();

        server::raise_file_limit(config.http.max_connections);
        let listener = server::bind(config.bind_addr, ACCEPT_BACKLOG)
            .with_context(|| format!("binding {}", config.bind_addr))?;
        let port = listener
            .local_addr()
            .context("reading the bound port")?
            .port();

        Ok(Self {
            listener,
            port,
            endpoint: Arc::new(endpoint),
            http: config.http.clone(),
            handles: Handles {
                pool,
                events,
                activity,
                auth: auth_handle,
            },
            mongo_client,
            shutdown_timeout: config.shutdown_timeout,
            background,
            tasks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handles(&self) -> Handles {
        self.handles.clone()
    }

    /// Serves until `shutdown` resolves, then stops in order: the HTTP server drains
    /// in-flight requests (bounded by the shutdown timeout; open exports are cut there), the
    /// workers flush what they hold (bounded by it again; the outbox keeps undelivered audit
    /// events for the next start, activity events are best effort), and only then is the
    /// MongoDB client shut down, so nothing issues an operation after it.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "serving");
        server::serve(
            self.listener,
            self.endpoint,
            &self.http,
            shutdown,
            self.shutdown_timeout,
        )
        .await;
        tracing::info!("HTTP server stopped; flushing background workers");
        drop(self.handles);
        self.background.cancel();
        stop_tasks(self.tasks, self.shutdown_timeout).await;
        mongo::shutdown(self.mongo_client, self.shutdown_timeout).await;
        Ok(())
    }
}

/// Waits for `tasks` within `bound`; whatever still runs then is aborted (and waited for,
/// so it no longer holds a store's client when that is shut down).
async fn stop_tasks(tasks: Vec<JoinHandle<()>>, bound: Duration) {
    let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
    let mut all = futures::future::join_all(tasks);
    if tokio::time::timeout(bound, &mut all).await.is_err() {
        tracing::warn!(
            timeout = ?bound,
            "background workers did not finish flushing; stopping them"
        );
        for abort in &aborts {
            abort.abort();
        }
        all.await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
