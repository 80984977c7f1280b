//! PostgreSQL notifications: a dedicated connection that `LISTEN`s to one channel, and
//! `NOTIFY` through the pool. What the channels carry: `identity_changes`, `catalog_changes`.

use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;

use super::reused::Reused;
use super::{DbError, PgPool};

/// How long a silent connection may go unchecked.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// A channel and the name its listening connection shows in `pg_stat_activity` (so
/// operators, and the tests, can tell it from the pool's connections).
#[derive(Clone, Copy, Debug)]
pub struct Channel {
    pub name: &'static str,
    pub application_name: &'static str,
}

pub struct Listener {
    conn: AsyncPgConnection,
}

impl Listener {
    /// Connects and starts listening; what is committed from then on is heard.
    pub async fn listen(database_url: &str, channel: Channel) -> Result<Self, DbError> {
        let mut conn = AsyncPgConnection::establish(database_url)
            .await
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        // Both names are constants of this crate, never input.
        conn.batch_execute(&format!(
            "SET application_name = '{}'; LISTEN {}",
            channel.application_name, channel.name
        ))
        .await?;
        Ok(Self { conn })
    }

    /// The next payload, or `None` when `idle` passed without one and the connection still
    /// answers. An error means the connection is gone: notifications may have been missed.
    pub async fn next(&mut self, idle: Duration) -> Result<Option<String>, DbError> {
        let received = {
            let mut notifications = std::pin::pin!(self.conn.notifications_stream());
            tokio::time::timeout(idle, notifications.next()).await
        };
        match received {
            Ok(Some(Ok(notification))) => Ok(Some(notification.payload)),
            Ok(Some(Err(err))) => Err(err.into()),
            Ok(None) => Err(DbError::Unavailable(
                "the listening connection closed".into(),
            )),
            Err(_idle) => {
                let ping = diesel::sql_query("SELECT 1").execute(&mut self.conn);
                match tokio::time::timeout(PING_TIMEOUT, ping).await {
                    Ok(Ok(_)) => Ok(None),
                    Ok(Err(err)) => Err(err.into()),
                    Err(_) => Err(DbError::Unavailable(
                        "the listening connection stopped answering".into(),
                    )),
                }
            }
        }
    }
}

/// Sends `payload` on `channel` (at most 8,000 bytes, PostgreSQL's bound), in a transaction
/// of its own.
pub async fn notify(pool: &PgPool, channel: Channel, payload: &str) -> Result<(), DbError> {
    let mut conn = pool.get().await?;
    Reused(
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(channel.name)
            .bind::<Text, _>(payload),
    )
    .execute(&mut conn)
    .await?;
    Ok(())
}
