//! Configuration from the environment (and `.env`), validated once at start-up.
//!
//! Every problem names the variable it comes from, so a bad deployment fails with one clear line.

mod catalog_cache;
mod env;

use std::net::SocketAddr;
use std::time::Duration;

use env::EnvReader;

use crate::domain::audit_checkpoint::{AuditKeys, CheckpointPolicy};
pub use catalog_cache::CatalogCacheConfig;
pub use env::{ConfigError, TrustedProxies};

/// Values a JWT secret must never be: the placeholders people copy from examples.
const PLACEHOLDER_SECRETS: &[&str] = &["change-me", "changeme", "secret", "your-secret", "example"];
const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub mongodb_url: String,
    pub mongodb_database: String,
    pub jwt: JwtConfig,
    pub bind_addr: SocketAddr,
    pub database_pool_size: usize,
    pub database_pool_timeout: Duration,
    pub database_statement_timeout: Duration,
    pub mongodb_timeout: Duration,
    /// `maxTimeMS` of audit and analytics reads (not of exports, which stream).
    pub mongodb_query_timeout: Duration,
    pub max_body_bytes: usize,
    pub http: HttpConfig,
    pub cors_allowed_origins: Vec<String>,
    pub trusted_proxies: TrustedProxies,
    pub rate_limit_register_per_minute: u32,
    pub rate_limit_login_per_minute: u32,
    pub rate_limit_login_failures_per_minute: u32,
    pub rate_limit_password_change_per_minute: u32,
    pub outbox: OutboxConfig,
    pub activity: ActivityConfig,
    pub catalog_cache: CatalogCacheConfig,
    pub audit: AuditConfig,
    pub password_hash: PasswordHashConfig,
    /// A folder to read the MongoDB spec files from instead of those built into the binary.
    pub mongo_indexes_dir: Option<std::path::PathBuf>,
    pub shutdown_timeout: Duration,
    pub log_format: LogFormat,
}

#[derive(Clone)]
pub struct JwtConfig {
    pub secret: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
}

impl std::fmt::Debug for JwtConfig {
    // The secret never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtConfig")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .finish()
    }
}

/// Limits of the HTTP/1.1 server, each against a client that holds a connection without
/// finishing a request (see `http::server`).
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// From a request head's first byte (or a new connection's accept) to its end.
    pub header_read_timeout: Duration,
    /// From the head's end to the body's last byte.
    pub body_read_timeout: Duration,
    /// An idle keep-alive connection, and a response the client stopped reading.
    pub keep_alive_timeout: Duration,
    /// Open connections at most; beyond it new ones are closed at accept.
    pub max_connections: usize,
    /// The request line and headers together, at most (431 beyond; 414 for a long URI).
    pub max_header_bytes: usize,
}

#[derive(Clone, Debug)]
pub struct OutboxConfig {
    pub batch_size: usize,
    pub poll_interval: Duration,
    pub retention: Duration,
}

#[derive(Clone, Debug)]
pub struct ActivityConfig {
    /// `ACTIVITY_SINK=discard` (benchmarks only): batches are counted, never written, so a
    /// benchmark shows the service's own ceiling apart from the event store's.
    pub discard: bool,
    pub channel_capacity: usize,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub retention: Duration,
    pub rollups: RollupConfig,
}

/// The audit chain's signed checkpoints and its background verifier.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// The signing key (`AUDIT_SIGNING_KEY`) and retired public keys still trusted.
    pub keys: AuditKeys,
    pub checkpoint: CheckpointPolicy,
    /// Between two runs of the background verifier.
    pub verify_interval: Duration,
}

/// `activity_rollups`: kept up to date and read by analytics when `enabled`.
#[derive(Clone, Debug)]
pub struct RollupConfig {
    pub enabled: bool,
    /// Between two rollup passes.
    pub interval: Duration,
    /// TTL of the rollups, at least that of raw events.
    pub retention: Duration,
}

/// argon2id cost (the minimums are OWASP's floor: 19 MiB, 2 iterations, 1 lane) and the
/// queue every hash goes through: at most `concurrency` at once, so at most
/// `concurrency x memory_kib` of hashing memory; a hash that waits `queue_timeout` for a slot
/// is refused (503).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub concurrency: usize,
    pub queue_timeout: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Config {
    /// Reads the process environment (after loading `.env` when present).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_reader(&EnvReader::process())
    }

    fn from_reader(env: &EnvReader) -> Result<Self, ConfigError> {
        let activity_retention = env.duration_or("ACTIVITY_RETENTION_DAYS", 90, 1..=3_650)?;
        Ok(Self {
            database_url: env.url("DATABASE_URL", &["postgres", "postgresql"])?,
            mongodb_url: env.url("MONGODB_URL", &["mongodb", "mongodb+srv"])?,
            mongodb_database: env.name_or("MONGODB_DATABASE", "stockroom")?,
            jwt: JwtConfig {
                secret: jwt_secret(env)?,
                issuer: env.string_or("JWT_ISSUER", "stockroom")?,
                audience: env.string_or("JWT_AUDIENCE", "stockroom-api")?,
                access_token_ttl: env.duration_or("ACCESS_TOKEN_TTL_SECONDS", 900, 30..=86_400)?,
                refresh_token_ttl: env.duration_or(
                    "REFRESH_TOKEN_TTL_SECONDS",
                    1_209_600,
                    300..=31_536_000,
                )?,
            },
            bind_addr: env.socket_addr_or("BIND_ADDR", "127.0.0.1:8080")?,
            database_pool_size: env.number_or("DATABASE_POOL_SIZE", 16, 1..=1_000)?,
            database_pool_timeout: env.duration_or(
                "DATABASE_POOL_TIMEOUT_MS",
                3_000,
                10..=600_000,
            )?,
            database_statement_timeout: env.duration_or(
                "DATABASE_STATEMENT_TIMEOUT_MS",
                5_000,
                10..=3_600_000,
            )?,
            mongodb_timeout: env.duration_or("MONGODB_TIMEOUT_MS", 3_000, 10..=600_000)?,
            mongodb_query_timeout: env.duration_or(
                "MONGODB_QUERY_TIMEOUT_MS",
                10_000,
                100..=600_000,
            )?,
            max_body_bytes: env.number_or("MAX_BODY_BYTES", 1_048_576, 1_024..=67_108_864)?,
            http: HttpConfig {
                header_read_timeout: env.duration_or(
                    "HTTP_HEADER_READ_TIMEOUT_SECONDS",
                    10,
                    1..=600,
                )?,
                body_read_timeout: env.duration_or(
                    "HTTP_BODY_READ_TIMEOUT_SECONDS",
                    30,
                    1..=3_600,
                )?,
                keep_alive_timeout: env.duration_or(
                    "HTTP_KEEP_ALIVE_TIMEOUT_SECONDS",
                    60,
                    1..=3_600,
                )?,
                max_connections: env.number_or("HTTP_MAX_CONNECTIONS", 16_384, 16..=1_048_576)?,
                max_header_bytes: env.number_or(
                    "HTTP_MAX_HEADER_BYTES",
                    16_384,
                    8_192..=1_048_576,
                )?,
            },
            cors_allowed_origins: env.list("CORS_ALLOWED_ORIGINS")?,
            trusted_proxies: env.trusted_proxies("TRUSTED_PROXIES")?,
            rate_limit_register_per_minute: env.number_or(
                "RATE_LIMIT_REGISTER_PER_MINUTE",
                5,
                0..=1_000_000,
            )?,
            rate_limit_login_per_minute: env.number_or(
                "RATE_LIMIT_LOGIN_PER_MINUTE",
                10,
                0..=1_000_000,
            )?,
            rate_limit_login_failures_per_minute: env.number_or(
                "RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE",
                5,
                0..=1_000_000,
            )?,
            rate_limit_password_change_per_minute: env.number_or(
                "RATE_LIMIT_PASSWORD_CHANGE_PER_MINUTE",
                5,
                0..=1_000_000,
            )?,
            outbox: OutboxConfig {
                batch_size: env.number_or("OUTBOX_BATCH_SIZE", 500, 1..=10_000)?,
                poll_interval: env.duration_or("OUTBOX_POLL_INTERVAL_MS", 250, 10..=60_000)?,
                retention: env.duration_or("OUTBOX_RETENTION_HOURS", 168, 1..=87_600)?,
            },
            activity: ActivityConfig {
                discard: activity_discard(env)?,
                channel_capacity: env.number_or(
                    "ACTIVITY_CHANNEL_CAPACITY",
                    10_000,
                    1..=10_000_000,
                )?,
                batch_size: env.number_or("ACTIVITY_BATCH_SIZE", 500, 1..=10_000)?,
                flush_interval: env.duration_or("ACTIVITY_FLUSH_INTERVAL_MS", 100, 1..=60_000)?,
                retention: activity_retention,
                rollups: rollup_config(env, activity_retention)?,
            },
            catalog_cache: CatalogCacheConfig::from_env(env)?,
            audit: AuditConfig {
                keys: audit_keys(env)?,
                checkpoint: CheckpointPolicy {
                    every: env.number_or("AUDIT_CHECKPOINT_EVERY", 1_000, 1..=10_000_000)?,
                    interval: env.duration_or(
                        "AUDIT_CHECKPOINT_INTERVAL_SECONDS",
                        60,
                        1..=86_400,
                    )?,
                },
                verify_interval: env.duration_or(
                    "AUDIT_VERIFY_INTERVAL_SECONDS",
                    60,
                    1..=86_400,
                )?,
            },
            password_hash: PasswordHashConfig {
                memory_kib: env.number_or(
                    "PASSWORD_HASH_MEMORY_KIB",
                    19_456,
                    19_456..=4_194_304,
                )?,
                iterations: env.number_or("PASSWORD_HASH_ITERATIONS", 2, 2..=20)?,
                parallelism: env.number_or("PASSWORD_HASH_PARALLELISM", 1, 1..=16)?,
                concurrency: env.number_or(
                    "PASSWORD_HASH_CONCURRENCY",
                    available_cores(),
                    1..=1_024,
                )?,
                queue_timeout: env.duration_or(
                    "PASSWORD_HASH_QUEUE_TIMEOUT_MS",
                    3_000,
                    1..=60_000,
                )?,
            },
            mongo_indexes_dir: env.optional("MONGO_INDEXES_DIR").map(Into::into),
            shutdown_timeout: env.duration_or("SHUTDOWN_TIMEOUT_SECONDS", 20, 1..=600)?,
            log_format: log_format(env)?,
        })
    }
}

/// The default hashing concurrency: one hash per core the process may use.
fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn jwt_secret(env: &EnvReader) -> Result<String, ConfigError> {
    let secret = env.required("JWT_SECRET")?;
    let lowered = secret.trim().to_ascii_lowercase();
    if PLACEHOLDER_SECRETS.iter().any(|p| lowered.contains(p)) {
        return Err(ConfigError::new(
            "JWT_SECRET",
            "is a placeholder; generate one, e.g. `openssl rand -hex 32`",
        ));
    }
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::new(
            "JWT_SECRET",
            format!(
                "must be at least {MIN_JWT_SECRET_BYTES} bytes (got {})",
                secret.len()
            ),
        ));
    }
    let distinct = secret
        .bytes()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if distinct < 8 {
        return Err(ConfigError::new(
            "JWT_SECRET",
            "is too repetitive to be a secret; generate a random one",
        ));
    }
    Ok(secret)
}

/// `AUDIT_SIGNING_KEY` (required, like `JWT_SECRET`) and `AUDIT_PREVIOUS_PUBLIC_KEYS`.
fn audit_keys(env: &EnvReader) -> Result<AuditKeys, ConfigError> {
    let seed = AuditKeys::seed_from_base64(&env.required("AUDIT_SIGNING_KEY")?).map_err(|why| {
        ConfigError::new(
            "AUDIT_SIGNING_KEY",
            format!("{why}; generate one with `stockroom audit keygen`"),
        )
    })?;
    let previous = env
        .list("AUDIT_PREVIOUS_PUBLIC_KEYS")?
        .iter()
        .map(|key| AuditKeys::public_key_from_base64(key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|why| ConfigError::new("AUDIT_PREVIOUS_PUBLIC_KEYS", why))?;
    Ok(AuditKeys::new(seed, previous))
}

/// `raw`: the retention of raw activity events, which rollups must outlive.
fn rollup_config(env: &EnvReader, raw: Duration) -> Result<RollupConfig, ConfigError> {
    let rollups = RollupConfig {
        enabled: env.flag_or("ACTIVITY_ROLLUPS", true)?,
        interval: env.duration_or("ACTIVITY_ROLLUP_INTERVAL_SECONDS", 60, 1..=3_600)?,
        retention: env.duration_or("ACTIVITY_ROLLUP_RETENTION_DAYS", 730, 1..=36_500)?,
    };
    if rollups.retention < raw {
        return Err(ConfigError::new(
            "ACTIVITY_ROLLUP_RETENTION_DAYS",
            "must be at least ACTIVITY_RETENTION_DAYS (rollups answer for expired raw events)",
        ));
    }
    Ok(rollups)
}

fn activity_discard(env: &EnvReader) -> Result<bool, ConfigError> {
    match env.string_or("ACTIVITY_SINK", "mongodb")?.as_str() {
        "mongodb" => Ok(false),
        "discard" => Ok(true),
        other => Err(ConfigError::new(
            "ACTIVITY_SINK",
            format!("must be `mongodb` or `discard` (benchmarks only; got `{other}`)"),
        )),
    }
}

fn log_format(env: &EnvReader) -> Result<LogFormat, ConfigError> {
    match env
        .string_or("LOG_FORMAT", "pretty")?
        .to_ascii_lowercase()
        .as_str()
    {
        "pretty" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        other => Err(ConfigError::new(
            "LOG_FORMAT",
            format!("must be `pretty` or `json` (got `{other}`)"),
        )),
    }
}

#[cfg(test)]
mod tests;
