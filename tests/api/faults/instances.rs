//! Three instances of the binary on different ports, started at the same moment against a
//! fresh, empty PostgreSQL database (their migrations must not race), then mixed writes
//! through all three: each audit event stored exactly once, every adjustment of a hot
//! product applied in one order without a lost update, stock never negative, no 5xx.

use std::sync::Mutex;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use super::{Ledger, assert_one_event_per_target, assert_outbox_stored_once, mutate};
use crate::catalog::{CATEGORIES, PRODUCTS, unique_sku};
use crate::helpers::{Service, TestDatabase, TestMongo, create_admin, mongo_url, service_command};

const HOT_STOCK: i64 = 10;
const ADJUSTMENTS: usize = 150;

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_share_the_stores_without_races() {
    let db = TestDatabase::create_empty().await;
    let mongo = TestMongo::create();
    let command = || service_command(&db.url, &mongo_url(), &mongo.name);
    let (a, b, c) = tokio::join!(
        Service::start(command()),
        Service::start(command()),
        Service::start(command())
    );
    let mut instances = [a, b, c];
    let migrated = instances
        .iter()
        .filter(|s| s.logs().contains("applied database migrations"))
        .count();
    assert_eq!(migrated, 1, "exactly one instance applied the migrations");
    let email = create_admin(command()).await;
    let mut tokens = Vec::new();
    for instance in &instances {
        tokens.push(instance.login(&email).await);
    }
    let via = |i: usize| (&instances[i % 3], tokens[i % 3].as_str());
    let ledger = Ledger::default();
    let created: Mutex<Vec<String>> = Mutex::default();

    // Creations through all three at once: a category each, then ten products each.
    let categories = futures::future::join_all((0..3).map(|i| {
        let (instance, token) = via(i);
        let ledger = &ledger;
        async move {
            let url = instance.url(CATEGORIES);
            let name = format!("Shared {}", unique_sku("c"));
            let answer = mutate(
                &instance.client,
                Method::POST,
                &url,
                token,
                &json!({ "name": name }),
            )
            .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
            let id = answer.body["id"].as_str().unwrap().to_owned();
            ledger.acknowledged(&answer, "category.created", &id);
            id
        }
    }))
    .await;
    let create = |i: usize, stock: i64| {
        let (instance, token) = via(i);
        let (ledger, created) = (&ledger, &created);
        let body = json!({
            "name": format!("Shared widget {i}"), "sku": unique_sku("sku"), "price": "4.25",
            "stock_quantity": stock, "category_id": categories[i % 3],
        });
        async move {
            let answer = mutate(
                &instance.client,
                Method::POST,
                &instance.url(PRODUCTS),
                token,
                &body,
            )
            .await;
            assert_eq!(answer.status, 201, "{}", answer.body);
            let id = answer.body["id"].as_str().unwrap().to_owned();
            ledger.acknowledged(&answer, "product.created", &id);
            created.lock().unwrap().push(id);
            answer.body
        }
    };
    let products: Vec<Value> = futures::stream::iter(0..30)
        .map(|i| create(i, 5))
        .buffer_unordered(12)
        .collect()
        .await;
    let hot = create(0, HOT_STOCK).await;
    let hot_id = hot["id"].as_str().unwrap().to_owned();

    // Adjustments of the hot product (many would go below zero) and patches of the others,
    // interleaved, through all three instances.
    let accepted: Mutex<Vec<(i64, i64, i64)>> = Mutex::default();
    let requests = (0..ADJUSTMENTS + products.len()).map(|i| {
        let (instance, token) = via(i);
        let (ledger, accepted, hot_id) = (&ledger, &accepted, &hot_id);
        let patched = products.get(i.wrapping_sub(ADJUSTMENTS));
        async move {
            if let Some(product) = patched {
                let id = product["id"].as_str().unwrap();
                let url = instance.url(&format!("{PRODUCTS}/{id}"));
                let body = json!({ "name": format!("Renamed widget {i}") });
                let answer = mutate(&instance.client, Method::PATCH, &url, token, &body).await;
                assert_eq!(answer.status, 200, "{}", answer.body);
                ledger.acknowledged(&answer, "product.updated", id);
                return;
            }
            let delta = [-3, 2, -2, 1, -4][i % 5];
            let url = instance.url(&format!("{PRODUCTS}/{hot_id}/stock-adjustments"));
            let body = json!({ "delta": delta, "reason": format!("instance {}", i % 3) });
            let answer = mutate(&instance.client, Method::POST, &url, token, &body).await;
            match answer.status {
                200 => {
                    ledger.acknowledged(&answer, "product.stock_adjusted", hot_id);
                    let stock = answer.body["stock_quantity"].as_i64().unwrap();
                    let version = answer.body["version"].as_i64().unwrap();
                    accepted.lock().unwrap().push((version, delta, stock));
                }
                409 => ledger.refused(&answer),
                status => panic!("adjustment {i}: {status} {}", answer.body),
            }
        }
    });
    // The patches go in between the adjustments rather than after them.
    let mut adjustments: Vec<_> = requests.collect();
    let mut patches = adjustments.split_off(ADJUSTMENTS).into_iter();
    let mut interleaved = Vec::new();
    for (n, adjustment) in adjustments.into_iter().enumerate() {
        interleaved.push(adjustment);
        if n % 5 == 4
            && let Some(patch) = patches.next()
        {
            interleaved.push(patch);
        }
    }
    interleaved.extend(patches);
    futures::stream::iter(interleaved)
        .buffer_unordered(24)
        .collect::<Vec<()>>()
        .await;

    // One order: versions consecutive from the created product's, each stock the previous
    // plus its delta, never below zero.
    let mut accepted = accepted.into_inner().unwrap();
    accepted.sort();
    let (mut version, mut stock) = (hot["version"].as_i64().unwrap(), HOT_STOCK);
    for (next_version, delta, next_stock) in &accepted {
        assert_eq!(*next_version, version + 1, "no lost or doubled update");
        assert_eq!(*next_stock, stock + delta, "at version {next_version}");
        assert!(*next_stock >= 0);
        (version, stock) = (*next_version, *next_stock);
    }
    let (acknowledged, refused) = ledger.counts();
    assert!(
        !accepted.is_empty() && refused > 0,
        "{acknowledged}/{refused}"
    );
    let current = instances[1]
        .client
        .get(instances[1].url(&format!("{PRODUCTS}/{hot_id}")))
        .bearer_auth(&tokens[1])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(current["stock_quantity"], stock);

    let audit = mongo.database().await;
    let events = assert_outbox_stored_once(&db.url, &audit).await;
    ledger.assert_matches(&events);
    assert_one_event_per_target(&events, "product.created", &created.into_inner().unwrap());
    for instance in &mut instances {
        instance.terminate().await;
        assert!(!instance.logs().contains("panicked"), "{}", instance.logs());
    }
}
