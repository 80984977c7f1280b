//! Stock adjustments: atomic, never below zero, never a lost update, each recorded.

use std::collections::HashSet;

use bson::doc;
use serde_json::{Value, json};

use super::{Shop, product_path};
use crate::helpers::{TestApp, audit_json, problem_fields, stored_audit_events};

#[tokio::test(flavor = "multi_thread")]
async fn an_adjustment_changes_the_stock_and_is_recorded_with_its_reason() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Rope", "3.00", 10).await;
    let response = app
        .adjust_stock(token, &product, -4, " sold at the counter ")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let adjusted: Value = response.json().await.unwrap();
    assert_eq!(adjusted["stock_quantity"], 6);
    assert_eq!(adjusted["version"], 2);

    let event = audit_json(
        &app,
        doc! { "action": "product.stock_adjusted", "target.id": product["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        event["changes"]["stock_quantity"],
        json!({ "from": 10, "to": 6 })
    );
    assert_eq!(event["metadata"]["delta"], -4);
    assert_eq!(event["metadata"]["reason"], "sold at the counter");

    // Taking more than there is: 409, and nothing changes.
    let refused = app.adjust_stock(token, &product, -7, "oversold").await;
    problem_fields(refused, 409).await;
    let current = app.get_json(&product_path(&product), token).await;
    assert_eq!(
        (
            current["stock_quantity"].clone(),
            current["version"].clone()
        ),
        (json!(6), json!(2))
    );
    assert_eq!(
        app.adjust_stock(token, &product, -6, "last ones")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_json(&product_path(&product), token).await["stock_quantity"],
        0
    );

    for (body, field) in [
        (json!({ "delta": 0, "reason": "nothing" }), "delta"),
        (
            json!({ "delta": 1_000_000_001, "reason": "too many" }),
            "delta",
        ),
        (json!({ "delta": 1.5, "reason": "half" }), "delta"),
        (json!({ "delta": 1, "reason": "" }), "reason"),
        (json!({ "delta": 1, "reason": "   " }), "reason"),
        (json!({ "delta": 1, "reason": "r".repeat(201) }), "reason"),
        (json!({ "delta": 1 }), "reason"),
        (
            json!({ "delta": 1, "reason": "ok", "stock_quantity": 5 }),
            "stock_quantity",
        ),
    ] {
        let response = app
            .send_as(
                reqwest::Method::POST,
                &format!("{}/stock-adjustments", product_path(&product)),
                token,
                Some(&body),
            )
            .await;
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    let missing = json!({ "id": uuid::Uuid::new_v4().to_string() });
    assert_eq!(
        app.adjust_stock(token, &missing, 1, "ghost").await.status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_adjustments_lose_nothing_and_never_go_below_zero() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = shop.admin.access_token.clone();
    let product = shop.product(&app, "Nails", "0.05", 20).await;
    // 30 withdrawals of 3 (90 in all) race 20 deliveries of 2 (40): at most 60 can be
    // taken, so some withdrawals must be refused, which ones depends on the interleaving.
    let deltas: Vec<i64> = (0..50).map(|i| if i % 5 < 3 { -3 } else { 2 }).collect();
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (i, delta) in deltas.iter().copied().enumerate() {
        let app = app.clone();
        let token = token.clone();
        let product = product.clone();
        tasks.push(tokio::spawn(async move {
            let response = app
                .adjust_stock(&token, &product, delta, &format!("race {i}"))
                .await;
            (delta, response.status().as_u16())
        }));
    }
    let mut accepted = 0;
    let mut accepted_count = 0;
    for task in tasks {
        let (delta, status) = task.await.unwrap();
        match status {
            200 => {
                accepted += delta;
                accepted_count += 1;
            }
            409 => assert!(delta < 0, "a delivery was refused"),
            other => panic!("unexpected status {other}"),
        }
    }
    let current = app.get_json(&product_path(&product), &token).await;
    let stock = current["stock_quantity"].as_i64().unwrap();
    assert_eq!(stock, 20 + accepted);
    assert!(stock >= 0);
    assert_eq!(current["version"], 1 + accepted_count);

    // One audit event per accepted adjustment, each with its own before/after.
    let events = crate::helpers::eventually(
        "an event per accepted adjustment",
        std::time::Duration::from_secs(15),
        || async {
            let found = stored_audit_events(
                &app,
                doc! { "action": "product.stock_adjusted", "target.id": product["id"].as_str().unwrap() },
            )
            .await;
            (found.len() == accepted_count as usize).then_some(found)
        },
    )
    .await;
    let versions: HashSet<i64> = events
        .iter()
        .map(|e| {
            let metadata = bson::Bson::Document(e.get_document("metadata").unwrap().clone());
            metadata.into_relaxed_extjson()["version"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(versions.len(), accepted_count as usize);
}
