//! Hearing about identity changes: a dedicated connection that `LISTEN`s to the
//! notifications the `identity_change_notifications` triggers send at commit.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;
use uuid::Uuid;

use super::DbError;
use crate::domain::identity::IdentityChange;

const CHANNEL: &str = "stockroom_identity";
pub const APPLICATION_NAME: &str = "stockroom-identity-listener";
/// How long a silent connection may go unchecked.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

pub struct IdentityChanges {
    conn: AsyncPgConnection,
}

impl IdentityChanges {
    /// Connects and starts listening; changes committed from then on are heard.
    pub async fn listen(database_url: &str) -> Result<Self, DbError> {
        let mut conn = AsyncPgConnection::establish(database_url)
            .await
            .map_err(|err| DbError::Unavailable(err.to_string()))?;
        // Named, so operators (and the tests) can tell it from the pool's connections.
        conn.batch_execute(&format!(
            "SET application_name = '{APPLICATION_NAME}'; LISTEN {CHANNEL}"
        ))
        .await?;
        Ok(Self { conn })
    }

    /// The next change, or `None` when `idle` passed without one and the connection still
    /// answers. An error means the connection is gone: changes may have been missed.
    pub async fn next(&mut self, idle: Duration) -> Result<Option<IdentityChange>, DbError> {
        let received = {
            let mut notifications = std::pin::pin!(self.conn.notifications_stream());
            tokio::time::timeout(idle, notifications.next()).await
        };
        match received {
            Ok(Some(Ok(notification))) => Ok(Some(parse(&notification.payload))),
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

/// A user id, or anything else (`*`: a role changed) meaning everyone.
fn parse(payload: &str) -> IdentityChange {
    Uuid::parse_str(payload).map_or(IdentityChange::Everyone, IdentityChange::User)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_user_or_everyone() {
        let id = Uuid::new_v4();
        assert_eq!(parse(&id.to_string()), IdentityChange::User(id));
        assert_eq!(parse("*"), IdentityChange::Everyone);
        assert_eq!(parse("garbage"), IdentityChange::Everyone);
    }
}
