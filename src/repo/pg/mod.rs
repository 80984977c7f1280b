//! PostgreSQL through diesel-async: the pool, migrations and the repositories.

pub mod categories;
pub mod identity_changes;
pub mod outbox;
pub mod product_list;
pub mod products;
pub mod refresh_tokens;
pub mod roles;
pub mod schema;
pub mod user_admin;
pub mod users;

use std::time::Duration;

use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{BuildError, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures::FutureExt;

pub use categories::PgCategoryRepo;
pub use outbox::PgOutbox;
pub use product_list::PgProductListRepo;
pub use products::PgProductRepo;
pub use refresh_tokens::PgRefreshTokenRepo;
pub use roles::PgRoleRepo;
pub use user_admin::PgUserAdminRepo;
pub use users::PgUserRepo;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("diesel_migrations");

pub type PgPool = Pool<AsyncPgConnection>;

/// Why a repository call failed, in terms the service layer can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had (pool exhausted past its timeout, or PostgreSQL is down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The result of a change the service may veto once it sees the locked row: the policy
/// (who may change what) stays in the service, the lock and the transaction stay here.
#[derive(Debug, PartialEq)]
pub enum Guarded<T, R> {
    Done(T),
    NotFound,
    /// The service refused; nothing was written.
    Refused(R),
}

impl From<PoolError> for DbError {
    fn from(err: PoolError) -> Self {
        DbError::Unavailable(err.to_string())
    }
}

impl DbError {
    /// The constraint a unique violation hit (e.g. `users_email_key`), for 409 mapping.
    pub fn unique_violation(&self) -> Option<&str> {
        self.violation(diesel::result::DatabaseErrorKind::UniqueViolation)
    }

    /// The constraint a foreign-key violation hit.
    pub fn foreign_key_violation(&self) -> Option<&str> {
        self.violation(diesel::result::DatabaseErrorKind::ForeignKeyViolation)
    }

    fn violation(&self, wanted: diesel::result::DatabaseErrorKind) -> Option<&str> {
        match self {
            DbError::Query(diesel::result::Error::DatabaseError(kind, info))
                if std::mem::discriminant(kind) == std::mem::discriminant(&wanted) =>
            {
                Some(info.constraint_name().unwrap_or(""))
            }
            _ => None,
        }
    }

    /// True when the statement failed because the connection went away mid-flight.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(diesel::result::Error::DatabaseError(kind, _)) => {
                matches!(kind, diesel::result::DatabaseErrorKind::ClosedConnection)
            }
            DbError::Query(_) => false,
        }
    }
}

pub struct PoolSettings {
    pub max_size: usize,
    pub wait_timeout: Duration,
    pub statement_timeout: Duration,
}

/// Builds the pool. Connections are created lazily; each one gets a `statement_timeout` so
/// a runaway query cannot hold a connection forever. Recycling is "fast" (no ping per
/// checkout): a connection whose socket closed is dropped by the pool on return.
pub fn build_pool(database_url: &str, settings: &PoolSettings) -> Result<PgPool, BuildError> {
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = Box::new(move |url| {
        async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.batch_execute(&format!("SET statement_timeout = {statement_timeout_ms}"))
                .await
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::new_with_config(database_url, manager_config);
    Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.wait_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
}

/// Applies pending migrations; returns the versions applied. Needs the multi-thread runtime
/// (the harness uses `block_in_place`).
pub async fn run_pending_migrations(database_url: &str) -> anyhow::Result<Vec<String>> {
    let conn = AsyncPgConnection::establish(database_url).await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts the most recently applied migration; returns its version.
pub async fn revert_last_migration(database_url: &str) -> anyhow::Result<String> {
    let conn = AsyncPgConnection::establish(database_url).await?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let reverted = harness
        .revert_last_migration(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("reverting the last migration: {e}"))?;
    Ok(reverted.to_string())
}

/// `SELECT 1` through the pool: is PostgreSQL answering?
pub async fn ping(pool: &PgPool) -> Result<(), DbError> {
    let mut conn = pool.get().await?;
    conn.batch_execute("SELECT 1").await?;
    Ok(())
}
