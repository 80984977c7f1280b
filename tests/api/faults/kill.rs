//! SIGKILL while the relay has a batch in flight: the dedicated stand-in is frozen
//! (SIGSTOP), so the relay's insert hangs with outbox rows claimed; the service is killed,
//! the stand-in resumes (and may still store the batch the dead relay sent), the service
//! starts again on the same stores. No event is lost and none is stored twice.
//! (Always a stand-in of its own, also when the other tests use a real MongoDB: a real
//! server cannot be frozen.)

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::Method;
use serde_json::json;

use super::{Ledger, assert_one_event_per_target, assert_outbox_stored_once, mutate};
use crate::catalog::{CATEGORIES, PRODUCTS, unique_sku};
use crate::helpers::{Service, StandIn, TestDatabase, create_admin, eventually, service_command};

const MONGO_DATABASE: &str = "stockroom_kill";

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    claimable: i64,
}

/// Pending outbox rows, and how many of them no transaction has locked: fewer claimable
/// than pending means a relay holds a claimed batch.
async fn pending_and_claimable(database_url: &str) -> (i64, i64) {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    let counts: Counts = diesel::sql_query(
        "SELECT (SELECT count(*) FROM outbox WHERE delivered_at IS NULL) AS pending, \
         (SELECT count(*) FROM (SELECT seq FROM outbox WHERE delivered_at IS NULL \
          FOR UPDATE SKIP LOCKED) AS unlocked) AS claimable",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    (counts.pending, counts.claimable)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_killed_with_a_batch_in_flight_loses_and_duplicates_nothing() {
    let db = TestDatabase::create().await;
    let mut stand_in = StandIn::start().await;
    let mongo_url = stand_in.url();
    let command = || service_command(&db.url, &mongo_url, MONGO_DATABASE);
    let email = create_admin(command()).await;
    let mut service = Service::start(command()).await;
    let token = service.login(&email).await;
    let ledger = Ledger::default();
    let category = mutate(
        &service.client,
        Method::POST,
        &service.url(CATEGORIES),
        &token,
        &json!({ "name": format!("Kill {}", unique_sku("c")) }),
    )
    .await;
    assert_eq!(category.status, 201);
    let category_id = category.body["id"].as_str().unwrap().to_owned();
    ledger.acknowledged(&category, "category.created", &category_id);
    let mut created = Vec::new();
    let mut create_products = async |count: usize, service: &Service| {
        for _ in 0..count {
            let body = json!({
                "name": "Killable widget", "sku": unique_sku("sku"), "price": "2.00",
                "stock_quantity": 1, "category_id": category_id,
            });
            let answer = mutate(
                &service.client,
                Method::POST,
                &service.url(PRODUCTS),
                &token,
                &body,
            )
            .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
            let id = answer.body["id"].as_str().unwrap().to_owned();
            ledger.acknowledged(&answer, "product.created", &id);
            created.push(id);
        }
    };
    create_products(20, &service).await;

    // Freeze MongoDB and keep writing: the relay claims a batch and its insert hangs.
    stand_in.freeze();
    create_products(60, &service).await;
    let (pending, claimable) = eventually(
        "the relay to hold claimed rows",
        Duration::from_secs(15),
        || async {
            let (pending, claimable) = pending_and_claimable(&db.url).await;
            (claimable < pending).then_some((pending, claimable))
        },
    )
    .await;
    service.kill().await;
    assert!(pending > 0 && claimable < pending, "{pending} {claimable}");

    stand_in.thaw();
    let mut restarted = Service::start(command()).await;
    create_products(20, &restarted).await;
    let audit = stand_in.database(MONGO_DATABASE).await;
    let events = assert_outbox_stored_once(&db.url, &audit).await;
    ledger.assert_matches(&events);
    assert_one_event_per_target(&events, "product.created", &created);
    restarted.terminate().await;
    assert!(
        !restarted.logs().contains("panicked"),
        "{}",
        restarted.logs()
    );
}
