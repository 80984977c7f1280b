//! The unit of work: one PostgreSQL transaction on a pooled connection, opened by a service
//! for one write. The service locks, reads and changes rows through repository functions
//! that take [`UnitOfWork::conn`], records the write's audit events with
//! [`UnitOfWork::record`] and ends with [`UnitOfWork::commit`] (or both at once,
//! [`UnitOfWork::commit_with`]); the events are relayed if and only if that commit succeeds.
//!
//! A unit of work dropped without a commit (an early `return` or `?`, a refusal, a request
//! cancelled mid-way) is rolled back: like sqlx's `Transaction`, the rollback runs off the
//! request path and the connection goes back to the pool after it.

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use super::{DbError, PgOutbox, PgPool};
use crate::domain::audit::AuditEvent;

pub struct UnitOfWork {
    /// `None` once committed.
    conn: Option<Object<AsyncPgConnection>>,
}

impl UnitOfWork {
    /// Takes a connection from the pool and opens a transaction on it.
    pub async fn begin(pool: &PgPool) -> Result<Self, DbError> {
        let mut conn = pool.get().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn).await?;
        Ok(Self { conn: Some(conn) })
    }

    /// The transaction's connection, for repository functions.
    pub fn conn(&mut self) -> &mut AsyncPgConnection {
        self.conn
            .as_mut()
            .expect("a unit of work is used only until it commits")
    }

    /// Appends the write's audit events to the outbox, in this transaction.
    pub async fn record(&mut self, events: &[AuditEvent]) -> Result<(), DbError> {
        PgOutbox.append_all(self.conn(), events).await
    }

    /// Records the write's audit events and commits: the usual last step of a write.
    pub async fn commit_with(mut self, events: &[AuditEvent]) -> Result<(), DbError> {
        self.record(events).await?;
        self.commit().await
    }

    /// Commits everything done through this unit of work.
    pub async fn commit(mut self) -> Result<(), DbError> {
        let mut conn = self.conn.take().expect("a unit of work commits only once");
        // On failure diesel rolls back; a connection it could not bring back to a clean
        // state is marked broken, and the pool discards it on return.
        AnsiTransactionManager::commit_transaction(&mut *conn).await?;
        Ok(())
    }
}

impl Drop for UnitOfWork {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(err) = AnsiTransactionManager::rollback_transaction(&mut *conn).await
                    {
                        tracing::warn!(error = %err, "rolling back an abandoned unit of work");
                    }
                });
            }
            // No runtime to roll back on: the connection still holds an open transaction,
            // which the pool's health check sees, so it is closed instead of reused (and
            // PostgreSQL rolls back when the socket closes).
            Err(_) => drop(conn),
        }
    }
}
