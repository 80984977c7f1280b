//! SQL behind the service's back: changes no instance announces, and what PostgreSQL
//! shows of the service's connections.

use super::TestApp;

impl TestApp {
    /// Runs `sql` (one or more statements) on a connection of the test's own.
    pub async fn execute_sql(&self, sql: &str) {
        let mut conn = self.handles.pool.get().await.unwrap();
        diesel_async::SimpleAsyncConnection::batch_execute(&mut *conn, sql)
            .await
            .unwrap();
    }

    /// How many connections to the test's database show `application_name` (a listener's).
    pub async fn connections_named(&self, application_name: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.handles.pool.get().await.unwrap();
        let count: Count = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query(
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE datname = current_database() AND application_name = $1",
            )
            .bind::<diesel::sql_types::Text, _>(application_name),
            &mut conn,
        )
        .await
        .unwrap();
        count.n
    }
}
