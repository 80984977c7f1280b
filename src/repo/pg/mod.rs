//! PostgreSQL through diesel-async: the pool, migrations and the repositories.

/// `const NAME = table(a, b, ...)`: the columns a positional `Queryable` record is read
/// from, in its field order, as one `select`/`returning` clause (each column named once).
macro_rules! columns {
    ($(#[$doc:meta])* $vis:vis const $name:ident = $table:ident($($column:ident),+ $(,)?);) => {
        $(#[$doc])*
        $vis const $name: ($($table::$column,)+) = ($($table::$column,)+);
    };
}

#[macro_use]
mod rows;

pub mod audit_chain;
pub mod audit_checkpoints;
pub mod catalog_changes;
pub mod categories;
pub mod export_links;
pub mod identity_changes;
pub mod notifications;
pub mod outbox;
pub mod product_list;
pub mod products;
pub mod rate_limits;
pub mod refresh_tokens;
pub mod reused;
pub mod roles;
pub mod schema;
pub mod suppliers;
pub mod unit_of_work;
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

pub use audit_chain::PgAuditChain;
pub use audit_checkpoints::PgAuditCheckpoints;
pub use categories::PgCategoryRepo;
pub use export_links::PgExportLinkRepo;
pub use outbox::PgOutbox;
pub use product_list::PgProductListRepo;
pub use products::PgProductRepo;
pub use rate_limits::PgRateLimitRepo;
pub use refresh_tokens::PgRefreshTokenRepo;
pub use roles::PgRoleRepo;
pub use unit_of_work::UnitOfWork;
pub use user_admin::PgUserAdminRepo;
pub use users::PgUserRepo;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("diesel_migrations");

pub type PgPool = Pool<AsyncPgConnection>;

/// Why a repository call failed, in terms the service layer can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No (live) row has the id: the resource named is not there.
    #[error("no such {0}")]
    Missing(&'static str),
    /// No connection could be had (pool exhausted past its timeout, or PostgreSQL is down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// A write PostgreSQL refused by a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation<'a> {
    pub kind: ViolationKind,
    pub table: &'a str,
    pub constraint: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    Unique,
    ForeignKey,
}

impl Violation<'_> {
    /// The request field a constraint named by PostgreSQL's default convention guards:
    /// `<table>_<field>_key` (unique) or `<table>_<field>_fkey` (foreign key).
    pub fn field(&self) -> Option<&str> {
        let suffix = match self.kind {
            ViolationKind::Unique => "_key",
            ViolationKind::ForeignKey => "_fkey",
        };
        self.constraint
            .strip_prefix(self.table)?
            .strip_prefix('_')?
            .strip_suffix(suffix)
            .filter(|field| !field.is_empty())
    }
}

impl From<PoolError> for DbError {
    fn from(err: PoolError) -> Self {
        DbError::Unavailable(err.to_string())
    }
}

impl DbError {
    /// The unique or foreign-key violation (e.g. of `users_email_key`), with the table and
    /// constraint PostgreSQL names, which the service layer maps to a client error.
    pub fn violation(&self) -> Option<Violation<'_>> {
        use diesel::result::{DatabaseErrorKind, Error};
        let DbError::Query(Error::DatabaseError(kind, info)) = self else {
            return None;
        };
        let kind = match kind {
            DatabaseErrorKind::UniqueViolation => ViolationKind::Unique,
            DatabaseErrorKind::ForeignKeyViolation => ViolationKind::ForeignKey,
            _ => return None,
        };
        Some(Violation {
            kind,
            table: info.table_name()?,
            constraint: info.constraint_name()?,
        })
    }

    /// True when the connection went away: no connection could be had, the server
    /// terminated the backend (`pg_terminate_backend`, a restart or crash: SQLSTATE 57P01,
    /// 57P02, 57P03), or the socket closed mid-statement. The pool drops such a connection
    /// on return, so a retry gets a fresh one.
    pub fn is_connection_lost(&self) -> bool {
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(err) => query_error_is(err, Fault::ConnectionLost),
            DbError::Missing(_) => false,
        }
    }

    /// True when PostgreSQL cancelled the statement (SQLSTATE 57014: `statement_timeout`,
    /// or an operator's `pg_cancel_backend`): the request may succeed when retried.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, DbError::Query(err) if query_error_is(err, Fault::Cancelled))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    ConnectionLost,
    Cancelled,
}

// diesel does not expose the SQLSTATE (diesel-async maps every code it does not know to
// `Unknown` and never reports `ClosedConnection`), so the server's primary messages are
// matched: those of 57P01/57P02/57P03/57P05/25P03 and 57014, and the client's own messages
// for a socket that closed. PostgreSQL writes them in English unless the server's
// `lc_messages` says otherwise (a non-English server gets 500 here instead of 503).
const CONNECTION_LOST_SERVER_MESSAGES: &[&str] =
    &["terminating connection ", "the database system is "];
const CANCELLED_SERVER_MESSAGES: &[&str] = &["canceling statement due to "];
const CONNECTION_LOST_CLIENT_MESSAGES: &[&str] = &[
    "connection closed",
    "error communicating with the server",
    "unexpected message from server",
    "timeout waiting for server",
    "channel closed",
];

fn query_error_is(err: &diesel::result::Error, fault: Fault) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
            fault == Fault::ConnectionLost
        }
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
            fault == Fault::ConnectionLost
                && starts_with_any(info.message(), CONNECTION_LOST_CLIENT_MESSAGES)
        }
        Error::DatabaseError(_, info) => match fault {
            Fault::ConnectionLost => {
                starts_with_any(info.message(), CONNECTION_LOST_SERVER_MESSAGES)
            }
            Fault::Cancelled => starts_with_any(info.message(), CANCELLED_SERVER_MESSAGES),
        },
        // A rollback that failed leaves the connection unusable; the pool discards it.
        Error::BrokenTransactionManager => fault == Fault::ConnectionLost,
        Error::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => query_error_is(commit_error, fault) || query_error_is(rollback_error, fault),
        _ => false,
    }
}

fn starts_with_any(message: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|prefix| message.starts_with(prefix))
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

/// Serialises migration runs: instances starting at once against a fresh database would
/// otherwise all try to create the same tables, and all but one fail to start.
const MIGRATION_LOCK_KEY: i64 = 0x5374_6f63_6b4d_6967;

/// Applies pending migrations; returns the versions applied. Holds a session advisory lock
/// for the run (the server releases it with the connection, also when the process dies),
/// so a second instance waits, then finds nothing pending. Needs the multi-thread runtime
/// (the harness uses `block_in_place`).
pub async fn run_pending_migrations(database_url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .await
        .map_err(|e| anyhow::anyhow!("taking the migration lock: {e}"))?;
    let mut harness = AsyncMigrationHarness::new(conn);
    let applied = harness
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    let mut conn = harness.into_inner();
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
        .await
        .map_err(|e| anyhow::anyhow!("releasing the migration lock: {e}"))?;
    Ok(applied)
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

#[cfg(test)]
mod tests {
    use super::{Violation, ViolationKind};

    fn field(kind: ViolationKind, table: &str, constraint: &str) -> Option<String> {
        let violation = Violation {
            kind,
            table,
            constraint,
        };
        violation.field().map(str::to_owned)
    }

    #[test]
    fn a_conventionally_named_key_names_its_field() {
        use ViolationKind::{ForeignKey, Unique};
        assert_eq!(
            field(Unique, "suppliers", "suppliers_name_key").as_deref(),
            Some("name")
        );
        assert_eq!(
            field(ForeignKey, "products", "products_supplier_id_fkey").as_deref(),
            Some("supplier_id")
        );
        // Another table's key, the other kind's suffix, or no field: no convention.
        assert_eq!(field(Unique, "products", "suppliers_name_key"), None);
        assert_eq!(field(Unique, "products", "products_category_id_fkey"), None);
        assert_eq!(field(ForeignKey, "products", "products_sku_key"), None);
        assert_eq!(field(Unique, "products", "products__key"), None);
        assert_eq!(field(Unique, "products", "products_price_check"), None);
    }
}
