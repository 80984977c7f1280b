//! MongoDB: the event store (audit trail and activity events) and its index specs.

pub mod events;
pub mod indexes;

use std::time::Duration;

use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

pub use events::EventStore;

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
