//! MongoDB stops in the middle of a write load and starts again: requests keep succeeding
//! (the outbox absorbs the outage), and once the backlog drains every acknowledged change
//! has exactly one audit event and no refused request has one.
//!
//! With the stand-in, "MongoDB" is a dedicated stand-in process with `--data-file`, stopped
//! with SIGTERM and started again on the same port with its data, as a real restart. With a
//! real MongoDB (`TEST_MONGODB_STAND_IN=0`) the test cannot stop the server, so it cuts a
//! `TcpProxy` between the service and MongoDB instead; the assertions are the same.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::json;

use super::{
    Ledger, assert_one_event_per_target, assert_outbox_stored_once, mutate, stored_events,
};
use crate::catalog::{CATEGORIES, PRODUCTS, unique_sku};
use crate::helpers::{
    Service, StandIn, TcpProxy, TestDatabase, TestMongo, create_admin, eventually, service_command,
};

const REQUESTS: usize = 1_200;
const CONCURRENCY: usize = 16;
const PRODUCTS_AT_START: usize = 40;
const INITIAL_STOCK: i64 = 5;

/// The MongoDB the service talks to, and a way to take it away and give it back.
enum Mongo {
    StandIn(StandIn),
    Proxied { proxy: TcpProxy, mongo: TestMongo },
}

impl Mongo {
    async fn start() -> Self {
        if std::env::var("TEST_MONGODB_STAND_IN").as_deref() == Ok("0") {
            let mongo = TestMongo::create();
            let proxy = TcpProxy::start(mongo.upstream_addr()).await;
            Mongo::Proxied { proxy, mongo }
        } else {
            Mongo::StandIn(StandIn::start().await)
        }
    }

    fn url_for_service(&self) -> String {
        match self {
            Mongo::StandIn(stand_in) => stand_in.url(),
            Mongo::Proxied { proxy, .. } => {
                format!("mongodb://{}/?directConnection=true", proxy.addr())
            }
        }
    }

    fn database_name(&self) -> String {
        match self {
            Mongo::StandIn(_) => "stockroom_faults".to_owned(),
            Mongo::Proxied { mongo, .. } => mongo.name.clone(),
        }
    }

    async fn stop(&mut self) {
        match self {
            Mongo::StandIn(stand_in) => stand_in.stop().await,
            Mongo::Proxied { proxy, .. } => proxy.cut(),
        }
    }

    async fn start_again(&mut self) {
        match self {
            Mongo::StandIn(stand_in) => stand_in.restart().await,
            Mongo::Proxied { proxy, .. } => proxy.restore(),
        }
    }

    /// A client straight to MongoDB, for the assertions.
    async fn database(&self) -> mongodb::Database {
        match self {
            Mongo::StandIn(stand_in) => stand_in.database(&self.database_name()).await,
            Mongo::Proxied { mongo, .. } => mongo.database().await,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mongodb_stopped_under_load_loses_no_audit_event_and_invents_none() {
    let db = TestDatabase::create().await;
    let mut mongo = Mongo::start().await;
    let command = || service_command(&db.url, &mongo.url_for_service(), &mongo.database_name());
    let email = create_admin(command()).await;
    let mut service = Service::start(command()).await;
    let token = service.login(&email).await;
    let client = &service.client;
    let ledger = Ledger::default();

    let category = mutate(
        client,
        Method::POST,
        &service.url(CATEGORIES),
        &token,
        &json!({ "name": format!("Faults {}", unique_sku("c")) }),
    )
    .await;
    assert_eq!(category.status, 201, "{}", category.body);
    let category_id = category.body["id"].as_str().unwrap().to_owned();
    ledger.acknowledged(&category, "category.created", &category_id);
    let create_product = |stock: i64| {
        let body = json!({
            "name": "Fault-tolerant widget", "sku": unique_sku("sku"), "price": "1.50",
            "stock_quantity": stock, "category_id": category_id,
        });
        let url = service.url(PRODUCTS);
        let token = token.clone();
        async move { mutate(client, Method::POST, &url, &token, &body).await }
    };
    let mut product_ids = Vec::new();
    for _ in 0..PRODUCTS_AT_START {
        let created = create_product(INITIAL_STOCK).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        ledger.acknowledged(&created, "product.created", &id);
        product_ids.push(id);
    }

    // The load: every tenth request creates a product, the others adjust stock by -4..=4
    // (some would go below zero: 409, and must leave no audit event).
    let completed = AtomicUsize::new(0);
    let accepted_deltas: Mutex<HashMap<String, i64>> = Mutex::default();
    let created_during_load: Mutex<Vec<String>> = Mutex::default();
    let load = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let (ledger, completed, product_ids) = (&ledger, &completed, &product_ids);
            let (accepted_deltas, created_during_load) = (&accepted_deltas, &created_during_load);
            let create_product = &create_product;
            let service = &service;
            let token = &token;
            async move {
                if i % 10 == 0 {
                    let created = create_product(0).await;
                    assert_eq!(created.status, 201, "request {i}: {}", created.body);
                    let id = created.body["id"].as_str().unwrap().to_owned();
                    ledger.acknowledged(&created, "product.created", &id);
                    created_during_load.lock().unwrap().push(id);
                } else {
                    let product = &product_ids[i % product_ids.len()];
                    let delta = match (i * 7) % 9 {
                        4 => 1,
                        n => n as i64 - 4,
                    };
                    let answer = mutate(
                        client,
                        Method::POST,
                        &service.url(&format!("{PRODUCTS}/{product}/stock-adjustments")),
                        token,
                        &json!({ "delta": delta, "reason": format!("load {i}") }),
                    )
                    .await;
                    match answer.status {
                        200 => {
                            ledger.acknowledged(&answer, "product.stock_adjusted", product);
                            *accepted_deltas
                                .lock()
                                .unwrap()
                                .entry(product.clone())
                                .or_default() += delta;
                        }
                        409 => ledger.refused(&answer),
                        status => panic!("request {i}: {status} {}", answer.body),
                    }
                }
                completed.fetch_add(1, Ordering::SeqCst);
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>();
    let outage = async {
        let reached = |n: usize| {
            let completed = &completed;
            async move {
                while completed.load(Ordering::SeqCst) < n {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        reached(REQUESTS / 3).await;
        mongo.stop().await;
        let down = eventually(
            "readiness to see MongoDB down",
            Duration::from_secs(10),
            || {
                let service = &service;
                async move {
                    let ready = service.readiness().await?;
                    (ready["mongodb"] == "down").then_some(ready)
                }
            },
        )
        .await;
        reached(2 * REQUESTS / 3).await;
        let backlog_while_down = service.readiness().await.unwrap()["outbox_backlog"].clone();
        mongo.start_again().await;
        (down, backlog_while_down)
    };
    let (_, (down, backlog_while_down)) = tokio::join!(load, outage);
    assert_eq!(down["mongodb"], "down");
    assert!(
        backlog_while_down.as_i64().unwrap() > 0,
        "changes made while MongoDB was down wait in the outbox ({backlog_while_down})"
    );
    let (acknowledged, refused) = ledger.counts();
    assert_eq!(
        acknowledged + refused,
        REQUESTS + PRODUCTS_AT_START + 1,
        "every request answered"
    );
    assert!(
        refused > 0 && acknowledged > REQUESTS / 2,
        "{acknowledged}/{refused}"
    );

    let audit = mongo.database().await;
    let events = assert_outbox_stored_once(&db.url, &audit).await;
    assert_eq!(events.len(), stored_events(&audit).await.len());
    ledger.assert_matches(&events);
    let mut created = product_ids.clone();
    created.extend(created_during_load.into_inner().unwrap());
    assert_one_event_per_target(&events, "product.created", &created);

    let accepted_deltas = accepted_deltas.into_inner().unwrap();
    for product in &product_ids {
        let response = client
            .get(service.url(&format!("{PRODUCTS}/{product}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let stock = response.json::<serde_json::Value>().await.unwrap()["stock_quantity"]
            .as_i64()
            .unwrap();
        let expected = INITIAL_STOCK + accepted_deltas.get(product).copied().unwrap_or(0);
        assert_eq!(stock, expected, "stock of {product}");
        assert!(stock >= 0);
    }
    service.terminate().await;
    assert!(!service.logs().contains("panicked"), "{}", service.logs());
}
