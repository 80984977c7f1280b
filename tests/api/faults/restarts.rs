//! SIGTERM under load, many times in a row: every instance drains, stops its workers and
//! its MongoDB client in order, and exits 0 without a panic, however the stop falls
//! between relay batches, activity flushes and an export that is still streaming.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use super::mutate;
use crate::catalog::{CATEGORIES, PRODUCTS, unique_sku};
use crate::helpers::{Service, TestDatabase, TestMongo, create_admin, mongo_url, service_command};

const ROUNDS: usize = 6;
const INSTANCES: usize = 3;
const LOAD_BEFORE_STOP: Duration = Duration::from_millis(700);
/// Far beyond a clean stop (the relay's final flush is bounded by 5 s, the HTTP drain too).
const LOAD_DEADLINE: Duration = Duration::from_secs(60);

/// Writes (audit events for the relay), reads (activity events for the writer) and an
/// export (a live cursor) through `service` until `stop` is set.
async fn load(service: &Service, token: &str, category_id: &str, stop: &AtomicBool) {
    let export = async {
        while !stop.load(Ordering::Relaxed) {
            let url = service.url("/api/v1/audit-events/export?format=ndjson");
            let Ok(response) = service.client.get(url).bearer_auth(token).send().await else {
                return;
            };
            // Read slowly: the stop comes while the cursor is open.
            let mut response = response;
            while let Ok(Some(_)) = response.chunk().await {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let writes = async {
        while !stop.load(Ordering::Relaxed) {
            let body = json!({
                "name": "Restart widget", "sku": unique_sku("rs"), "price": "3.10",
                "stock_quantity": 4, "category_id": category_id,
            });
            let url = service.url(PRODUCTS);
            let sent = service
                .client
                .request(Method::POST, url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await;
            let Ok(response) = sent else { return };
            let Ok(created) = response.json::<serde_json::Value>().await else {
                return;
            };
            if let Some(id) = created["id"].as_str() {
                let url = service.url(&format!("{PRODUCTS}/{id}"));
                let _ = service.client.get(url).bearer_auth(token).send().await;
            }
        }
    };
    tokio::join!(export, writes);
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_stopped_under_load_exit_cleanly_every_time() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let command = || service_command(&db.url, &mongo_url(), &mongo.name);
    let email = create_admin(command()).await;
    let category_id = {
        let service = Service::start(command()).await;
        let token = service.login(&email).await;
        let answer = mutate(
            &service.client,
            Method::POST,
            &service.url(CATEGORIES),
            &token,
            &json!({ "name": format!("Restarts {}", unique_sku("c")) }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        let mut service = service;
        service.terminate().await;
        answer.body["id"].as_str().unwrap().to_owned()
    };

    for round in 0..ROUNDS {
        let mut instances = Vec::new();
        for _ in 0..INSTANCES {
            instances.push(Service::start(command()).await);
        }
        let mut tokens = Vec::new();
        for instance in &instances {
            tokens.push(instance.login(&email).await);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let loads = futures::future::join_all(
            instances
                .iter()
                .zip(&tokens)
                .map(|(instance, token)| load(instance, token, &category_id, &stop)),
        );
        let stopper = async {
            tokio::time::sleep(LOAD_BEFORE_STOP).await;
            // Stagger the signals a little so stops fall at different points of the work.
            for (i, instance) in instances.iter().enumerate() {
                instance.signal_terminate();
                tokio::time::sleep(Duration::from_millis(15 * i as u64)).await;
            }
            stop.store(true, Ordering::Relaxed);
        };
        // A request a stopping instance neither answers nor closes would hang the test;
        // fail instead, with what each instance logged.
        if tokio::time::timeout(LOAD_DEADLINE, async { tokio::join!(loads, stopper) })
            .await
            .is_err()
        {
            let logs: Vec<String> = instances.iter().map(Service::logs).collect();
            panic!(
                "round {round}: a request was still unanswered {LOAD_DEADLINE:?} into the round \
                 (the stop begins after {LOAD_BEFORE_STOP:?}):\n{}",
                logs.join("\n----\n")
            );
        }
        for instance in &mut instances {
            instance.wait_for_clean_exit().await;
            let logs = instance.logs();
            assert!(!logs.contains("panicked"), "round {round}:\n{logs}");
        }
    }
}
