//! PostgreSQL connections lost under the service: backends terminated with
//! `pg_terminate_backend` while requests are in flight and again when idle. In-flight
//! requests succeed or answer a 503 problem (never a 500), and the pool recovers without a
//! restart. Also the mapping of a terminated backend and of a cancelled statement
//! (`statement_timeout`) to 503, on real connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{Integer, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures::StreamExt;
use reqwest::Method;
use serde_json::json;
use stockroom::repo::pg::DbError;
use stockroom::service::error::ServiceError;

use crate::catalog::{PRODUCTS, Shop};
use crate::helpers::{TestApp, admin_connection, eventually};

const PROBLEM: &str = "application/problem+json";

struct Outcome {
    adjustment: bool,
    unavailable: bool,
}

#[derive(QueryableByName)]
struct Terminated {
    #[diesel(sql_type = Integer)]
    terminated: i32,
}

/// Terminates every backend connected to `database`; returns how many.
async fn terminate_backends(database: &str) -> i32 {
    let mut admin = admin_connection().await;
    let row: Terminated = diesel::sql_query(
        "SELECT count(*)::int AS terminated FROM \
         (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = $1 AND pid <> pg_backend_pid()) AS t",
    )
    .bind::<Text, _>(database)
    .get_result(&mut admin)
    .await
    .unwrap();
    row.terminated
}

#[tokio::test(flavor = "multi_thread")]
async fn terminated_backends_give_503_problems_and_the_pool_recovers() {
    const REQUESTS: usize = 400;
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Sturdy widget", "3.00", 0).await;
    let product_path = format!("{PRODUCTS}/{}", product["id"].as_str().unwrap());

    let completed = AtomicUsize::new(0);
    let load = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let (app, completed, product_path) = (&app, &completed, &product_path);
            async move {
                let response = if i % 2 == 0 {
                    app.send_as(
                        Method::POST,
                        &format!("{product_path}/stock-adjustments"),
                        token,
                        Some(&json!({ "delta": 1, "reason": "restock" })),
                    )
                    .await
                } else {
                    app.get_as(product_path, token).await
                };
                completed.fetch_add(1, Ordering::SeqCst);
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let body = response.text().await.unwrap();
                let adjustment = i % 2 == 0;
                match status {
                    200 => Outcome {
                        adjustment,
                        unavailable: false,
                    },
                    503 => {
                        assert_eq!(content_type, PROBLEM, "{body}");
                        Outcome {
                            adjustment,
                            unavailable: true,
                        }
                    }
                    other => panic!("request {i} answered {other}: {body}"),
                }
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<Outcome>>();
    let terminations = async {
        let mut terminated = 0;
        for share in [4, 2] {
            while AtomicUsize::load(&completed, Ordering::SeqCst) < REQUESTS / share {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            terminated += terminate_backends(&app.db.name).await;
        }
        terminated
    };
    let (outcomes, terminated) = tokio::join!(load, terminations);
    assert!(terminated > 0, "backends were terminated under load");
    let count = |adjustment: bool, unavailable: bool| {
        outcomes
            .iter()
            .filter(|o| o.adjustment == adjustment && o.unavailable == unavailable)
            .count() as i64
    };
    let (adjusted, unknown) = (count(true, false), count(true, true));
    assert!(
        unknown + count(false, true) > 0,
        "some request was in flight on a terminated backend (answered 503)"
    );

    // Idle: every pooled connection (and the identity listener's) is cut again.
    assert!(terminate_backends(&app.db.name).await > 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..30 {
        let response = app
            .send_as(
                Method::POST,
                &format!("{product_path}/stock-adjustments"),
                token,
                Some(&json!({ "delta": 1, "reason": "after the outage" })),
            )
            .await;
        assert_eq!(
            response.status(),
            200,
            "the pool recovers: {}",
            response.text().await.unwrap()
        );
    }
    // A 503 on a commit leaves the outcome unknown to the client; a 200 never lies.
    let stock = app
        .get_as(&product_path, token)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["stock_quantity"]
        .as_i64()
        .unwrap();
    assert!(
        (adjusted + 30..=adjusted + 30 + unknown).contains(&stock),
        "stock {stock}: {adjusted} acknowledged, {unknown} unknown"
    );
    eventually(
        "the server is ready again",
        Duration::from_secs(10),
        || async { (app.get("/health/ready").await.status() == 200).then_some(()) },
    )
    .await;
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminated_backend_and_a_statement_timeout_are_503_not_500() {
    let app = TestApp::spawn().await;
    let mut conn = app.handles.pool.get().await.unwrap();
    conn.batch_execute("SET statement_timeout = 50")
        .await
        .unwrap();
    let timed_out: DbError = diesel::sql_query("SELECT pg_sleep(2)")
        .execute(&mut conn)
        .await
        .unwrap_err()
        .into();
    assert!(timed_out.is_cancelled(), "{timed_out:?}");
    assert!(matches!(
        ServiceError::from(timed_out),
        ServiceError::Unavailable(_)
    ));
    conn.batch_execute("SET statement_timeout = 10000")
        .await
        .unwrap();

    let Pid { pid } = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result(&mut conn)
        .await
        .unwrap();
    let sleeping = diesel::sql_query("SELECT pg_sleep(5)").execute(&mut conn);
    let terminate = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut admin = admin_connection().await;
        admin
            .batch_execute(&format!("SELECT pg_terminate_backend({pid})"))
            .await
            .unwrap();
    };
    let (terminated, ()) = tokio::join!(sleeping, terminate);
    let terminated: DbError = terminated.unwrap_err().into();
    assert!(terminated.is_connection_lost(), "{terminated:?}");
    // The same connection again: the socket is gone.
    let closed: DbError = diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .unwrap_err()
        .into();
    assert!(closed.is_connection_lost(), "{closed:?}");
    assert!(matches!(
        ServiceError::from(closed),
        ServiceError::Unavailable(_)
    ));
    // A plain bad query stays an internal error.
    let bad: DbError = diesel::sql_query("SELECT no_such_column FROM users")
        .execute(&mut app.handles.pool.get().await.unwrap())
        .await
        .unwrap_err()
        .into();
    assert!(!bad.is_connection_lost() && !bad.is_cancelled(), "{bad:?}");
    assert!(matches!(ServiceError::from(bad), ServiceError::Internal(_)));
}
