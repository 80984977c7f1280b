//! MongoDB: the event store (audit trail and activity events) and its index specs.

pub mod analytics;
pub mod audit_query;
pub mod events;
pub mod indexes;

use std::time::Duration;

use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

pub use analytics::AnalyticsRepo;
pub use audit_query::AuditQueryRepo;
pub use events::EventStore;

/// The server's code for a query stopped by its `maxTimeMS`.
const MAX_TIME_MS_EXPIRED: i32 = 50;

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
pub async fn connect(
    url: &str,
    database: &str,
    timeout: Duration,
) -> mongodb::error::Result<Database> {
    let mut options = ClientOptions::parse(url).await?;
    options.app_name = Some("stockroom".to_owned());
    options.server_selection_timeout = Some(timeout);
    options.connect_timeout = Some(timeout);
    let client = Client::with_options(options)?;
    Ok(client.database(database))
}
