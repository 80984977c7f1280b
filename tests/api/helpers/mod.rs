//! The test harness: `TestApp::spawn()` runs the real server on a free port with a fresh
//! PostgreSQL database (copied from a template migrated once) and a fresh MongoDB database.

mod admin;
mod databases;
mod processes;
mod proxy;
mod sql;
mod users;

use std::time::Duration;

use stockroom::config::{
    ActivityConfig, AuditConfig, CatalogCacheConfig, Config, HttpConfig, JwtConfig, LogFormat,
    OutboxConfig, PasswordHashConfig, RollupConfig, TrustedProxies,
};
use stockroom::domain::audit_checkpoint::{AuditKeys, CheckpointPolicy};
use stockroom::startup::{Application, Handles};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use admin::{audit_json, problem_fields, unique_role};
pub use databases::{TestDatabase, TestMongo, admin_connection, admin_url, mongo_url};
pub use processes::{
    AUDIT_SIGNING_KEY, JWT_SECRET, Service, StandIn, binary_command, binary_signing_keys,
    create_admin, service_command,
};
pub use proxy::TcpProxy;
pub use users::{PASSWORD, TestUser, unique_email};

/// Knobs a test may turn before the server starts.
pub struct TestOptions {
    /// Route the service's MongoDB traffic through a proxy the test can cut.
    pub mongo_proxy: bool,
    pub max_body_bytes: usize,
    /// How long the activity writer may hold a partial batch.
    pub activity_flush_interval: Duration,
    pub cors_allowed_origins: Vec<String>,
    /// Rate limits per minute (0 = off, the default in tests).
    pub register_per_minute: u32,
    pub login_per_minute: u32,
    pub login_failures_per_minute: u32,
    pub password_change_per_minute: u32,
    /// Peers whose `X-Forwarded-For` is believed (tests that speak for many addresses).
    pub trusted_proxies: &'static str,
    /// TTL of `activity_events` (tests seeding events days back need more than a day).
    pub activity_retention: Duration,
    /// Activity rollups kept and read (off by default: tests seed events in closed hours,
    /// which rollups would already have passed).
    pub rollups: bool,
    /// `maxTimeMS` of audit and analytics reads.
    pub mongodb_query_timeout: Duration,
    /// The HTTP server's time limits and caps.
    pub http: HttpConfig,
    /// Password hashes at once, and the longest one waits for its turn before a 503.
    pub password_hash_concurrency: usize,
    pub password_hash_queue_timeout: Duration,
    /// A signed checkpoint after this many audit events, or this long after the last one.
    pub checkpoint_every: i64,
    pub checkpoint_interval: Duration,
    /// Between two runs of the background verifier.
    pub verify_interval: Duration,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            mongo_proxy: false,
            max_body_bytes: 64 * 1024,
            activity_flush_interval: Duration::from_millis(50),
            cors_allowed_origins: vec![],
            register_per_minute: 0,
            login_per_minute: 0,
            login_failures_per_minute: 0,
            password_change_per_minute: 0,
            trusted_proxies: "",
            activity_retention: Duration::from_secs(86_400),
            rollups: false,
            mongodb_query_timeout: Duration::from_secs(10),
            http: default_http(),
            password_hash_concurrency: 2,
            password_hash_queue_timeout: Duration::from_secs(30),
            checkpoint_every: 1_000,
            checkpoint_interval: Duration::from_secs(1),
            verify_interval: Duration::from_secs(1),
        }
    }
}

/// The service's defaults (README, configuration).
pub fn default_http() -> HttpConfig {
    HttpConfig {
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(30),
        keep_alive_timeout: Duration::from_secs(60),
        max_connections: 16_384,
        max_header_bytes: 16_384,
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub handles: Handles,
    pub db: TestDatabase,
    pub mongo: TestMongo,
    pub mongo_proxy: Option<TcpProxy>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestOptions::default()).await
    }

    pub async fn spawn_with(options: TestOptions) -> TestApp {
        let db = TestDatabase::create().await;
        Self::spawn_on(db, TestMongo::create(), options).await
    }

    /// A second instance on `other`'s stores (which `other` drops), as behind a balancer.
    pub async fn spawn_sharing(other: &TestApp) -> TestApp {
        Self::spawn_on(
            other.db.share(),
            other.mongo.share(),
            TestOptions::default(),
        )
        .await
    }

    /// As `spawn_sharing`, with other knobs.
    pub async fn spawn_sharing_with(other: &TestApp, options: TestOptions) -> TestApp {
        Self::spawn_on(other.db.share(), other.mongo.share(), options).await
    }

    async fn spawn_on(db: TestDatabase, mongo: TestMongo, options: TestOptions) -> TestApp {
        // Server logs only on request (`TEST_LOG=1`), so test output stays readable.
        if std::env::var_os("TEST_LOG").is_some() {
            stockroom::telemetry::init_tracing(LogFormat::Pretty);
        }
        let mongo_proxy = if options.mongo_proxy {
            Some(TcpProxy::start(mongo.upstream_addr()).await)
        } else {
            None
        };
        let mongodb_url = match &mongo_proxy {
            Some(proxy) => format!("mongodb://{}/?directConnection=true", proxy.addr()),
            None => mongo_url(),
        };
        let mut config = test_config(
            db.url.clone(),
            mongodb_url,
            mongo.name.clone(),
            options.max_body_bytes,
        );
        config.activity.flush_interval = options.activity_flush_interval;
        config.activity.retention = options.activity_retention;
        config.activity.rollups.enabled = options.rollups;
        config.mongodb_query_timeout = options.mongodb_query_timeout;
        config.http = options.http;
        config.cors_allowed_origins = options.cors_allowed_origins;
        config.rate_limit_register_per_minute = options.register_per_minute;
        config.rate_limit_login_per_minute = options.login_per_minute;
        config.rate_limit_login_failures_per_minute = options.login_failures_per_minute;
        config.rate_limit_password_change_per_minute = options.password_change_per_minute;
        config.trusted_proxies =
            TrustedProxies::parse_list(options.trusted_proxies).expect("valid trusted proxies");
        config.password_hash.concurrency = options.password_hash_concurrency;
        config.password_hash.queue_timeout = options.password_hash_queue_timeout;
        config.audit.checkpoint = CheckpointPolicy {
            every: options.checkpoint_every,
            interval: options.checkpoint_interval,
        };
        config.audit.verify_interval = options.verify_interval;
        let app = Application::build(config)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handles = app.handles();
        let (shutdown, signal) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = signal.await;
        }));
        TestApp {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            handles,
            db,
            mongo,
            mongo_proxy,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Graceful shutdown, as on SIGTERM; waits for the workers to flush.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
    }
}

impl Drop for TestApp {
    // Stop the server before its databases are dropped (the fields drop after this), so no
    // worker writes into a database that is going away.
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let (Some(server), Ok(runtime)) =
            (self.server.take(), tokio::runtime::Handle::try_current())
        {
            tokio::task::block_in_place(|| {
                let _ = runtime.block_on(tokio::time::timeout(Duration::from_secs(10), server));
            });
        }
    }
}

/// The seed the in-process test servers sign checkpoints with.
pub const TEST_SIGNING_SEED: [u8; 32] = [0x5a; 32];

pub fn test_config(
    database_url: String,
    mongodb_url: String,
    mongodb_database: String,
    max_body_bytes: usize,
) -> Config {
    Config {
        database_url,
        mongodb_url,
        mongodb_database,
        jwt: JwtConfig {
            secret: "test-secret-0123456789abcdefghijklmnopqrstuvwxyz".to_owned(),
            issuer: "stockroom".to_owned(),
            audience: "stockroom-api".to_owned(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(3_600),
        },
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        database_pool_size: 8,
        database_pool_timeout: Duration::from_secs(5),
        database_statement_timeout: Duration::from_secs(10),
        mongodb_timeout: Duration::from_millis(1_500),
        mongodb_query_timeout: Duration::from_secs(10),
        max_body_bytes,
        http: default_http(),
        cors_allowed_origins: vec![],
        trusted_proxies: TrustedProxies::default(),
        rate_limit_register_per_minute: 0,
        rate_limit_login_per_minute: 0,
        rate_limit_login_failures_per_minute: 0,
        rate_limit_password_change_per_minute: 0,
        outbox: OutboxConfig {
            batch_size: 100,
            poll_interval: Duration::from_millis(50),
            retention: Duration::from_secs(3_600),
        },
        activity: ActivityConfig {
            discard: false,
            channel_capacity: 1_000,
            batch_size: 100,
            flush_interval: Duration::from_millis(50),
            retention: Duration::from_secs(86_400),
            rollups: RollupConfig {
                enabled: false,
                interval: Duration::from_millis(200),
                retention: Duration::from_secs(730 * 86_400),
            },
        },
        catalog_cache: CatalogCacheConfig {
            product_entries: 10_000,
            product_bytes: 16 * 1_048_576,
            page_entries: 1_000,
            page_bytes: 16 * 1_048_576,
            lifetime: Duration::from_secs(300),
        },
        password_hash: PasswordHashConfig {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            // The whole suite hashes at once: waits there are load, not what a test checks.
            concurrency: 2,
            queue_timeout: Duration::from_secs(30),
        },
        audit: AuditConfig {
            keys: AuditKeys::new(TEST_SIGNING_SEED, Vec::new()),
            checkpoint: CheckpointPolicy {
                every: 1_000,
                interval: Duration::from_secs(1),
            },
            verify_interval: Duration::from_secs(1),
        },
        mongo_indexes_dir: None,
        shutdown_timeout: Duration::from_secs(5),
        log_format: LogFormat::Pretty,
    }
}

/// The stored audit events matching `filter`, read straight from MongoDB.
pub async fn stored_audit_events(app: &TestApp, filter: bson::Document) -> Vec<bson::Document> {
    use futures::TryStreamExt;
    let collection = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("audit_events");
    collection
        .find(filter)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Waits until at least one audit event matches `filter` (the relay runs every 50 ms).
pub async fn wait_for_audit_event(app: &TestApp, filter: bson::Document) -> bson::Document {
    eventually(
        &format!("an audit event matching {filter}"),
        Duration::from_secs(15),
        || {
            let filter = filter.clone();
            async move { stored_audit_events(app, filter).await.into_iter().next() }
        },
    )
    .await
}

/// Polls `check` until it returns `Some`, or panics after `deadline` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
