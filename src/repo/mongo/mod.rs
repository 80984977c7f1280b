//! MongoDB: the event store (audit trail and activity events) and its index specs.

pub mod activity_sink;
pub mod analytics;
pub mod audit_chain;
pub mod audit_checkpoints;
pub mod audit_query;
pub mod documents;
pub mod events;
pub mod indexes;
pub mod legacy;
pub mod rollups;
pub mod spec_files;
pub mod validators;

use std::time::Duration;

use mongodb::Client;
use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::ClientOptions;

pub use analytics::AnalyticsRepo;
pub use audit_chain::AuditChainRepo;
pub use audit_checkpoints::AuditCheckpointStore;
pub use audit_query::AuditQueryRepo;
pub use events::EventStore;
pub use rollups::RollupRepo;

/// The server's code for a query stopped by its `maxTimeMS`.
const MAX_TIME_MS_EXPIRED: i32 = 50;

/// The server's code of a command error (`None` for any other kind of error).
pub(crate) fn command_code(err: &MongoError) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(command) => Some(command.code),
        _ => None,
    }
}

/// Why an event-store read failed, in terms the service layer can act on.
#[derive(Debug, thiserror::Error)]
pub enum EventStoreError {
    /// MongoDB could not be reached (no server selected, connection lost).
    #[error("event store unavailable: {0}")]
    Unavailable(MongoError),
    /// The server stopped the query at its time limit (`maxTimeMS`).
    #[error("event store query timed out: {0}")]
    TimedOut(MongoError),
    #[error(transparent)]
    Other(MongoError),
}

impl From<MongoError> for EventStoreError {
    fn from(err: MongoError) -> Self {
        match err.kind.as_ref() {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. } => EventStoreError::Unavailable(err),
            ErrorKind::Command(command) if command.code == MAX_TIME_MS_EXPIRED => {
                EventStoreError::TimedOut(err)
            }
            _ => EventStoreError::Other(err),
        }
    }
}

/// A client for `url` (connections open lazily, so start-up does not need MongoDB up).
/// Whoever connects owns the client and stops it with [`shutdown`] once nothing uses it.
pub async fn connect(url: &str, timeout: Duration) -> mongodb::error::Result<Client> {
    let mut options = ClientOptions::parse(url).await?;
    options.app_name = Some("stockroom".to_owned());
    options.server_selection_timeout = Some(timeout);
    options.connect_timeout = Some(timeout);
    Client::with_options(options)
}

/// Stops `client` within `bound`: first waiting for the cleanup of cursors still open
/// (`killCursors`), then, past half the bound, without waiting. Call it after every task
/// that uses the client has stopped.
///
/// A client that is merely dropped ends its server sessions from a task it spawns; when
/// the runtime is shutting down, that task can find the connection pool's worker gone and
/// the driver panics (`cmap/connection_requester.rs`: an `unwrap()` on a `SendError`). An
/// explicit shutdown marks the client as shut down, so its last drop spawns nothing.
pub async fn shutdown(client: Client, bound: Duration) {
    let half = bound / 2;
    if tokio::time::timeout(half, client.clone().shutdown())
        .await
        .is_ok()
    {
        return;
    }
    tracing::warn!(
        timeout = ?half,
        "MongoDB client cleanup did not finish; shutting it down without waiting"
    );
    let last_handle = client.clone();
    if tokio::time::timeout(half, client.shutdown().immediate(true))
        .await
        .is_err()
    {
        tracing::warn!("MongoDB client did not shut down in time");
        // Never dropped, so it cannot spawn session cleanup into a runtime going away.
        std::mem::forget(last_handle);
    }
}
