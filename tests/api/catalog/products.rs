//! Products: create, read, partial update with `If-Match`, soft delete, SKU uniqueness and
//! the audit events with their changes.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::{PRODUCTS, Shop, product_path, unique_sku};
use crate::helpers::{TestApp, audit_json, problem_fields};

#[derive(diesel::QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_active: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    deleted: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    version: i64,
}

/// The product's row as stored, deleted or not.
async fn stored_row(app: &TestApp, id: &str) -> StoredRow {
    let id: uuid::Uuid = id.parse().unwrap();
    let mut conn = app.handles.pool.get().await.unwrap();
    diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT is_active, deleted_at IS NOT NULL AS deleted, version FROM products WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(id),
        &mut conn,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_is_created_read_and_carries_its_version_as_etag() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let body = json!({
        "name": " Claw hammer ",
        "description": "Steel, 500 g",
        "sku": "HAM-500.g_1",
        "price": "19.9",
        "stock_quantity": 12,
        "category_id": shop.category_id(),
    });
    let response = app
        .send_as(Method::POST, PRODUCTS, token, Some(&body))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, product_path(&created));
    assert_eq!(created["name"], "Claw hammer");
    assert_eq!(created["description"], "Steel, 500 g");
    assert_eq!(created["sku"], "HAM-500.g_1");
    assert_eq!(created["price"], "19.90");
    assert_eq!(created["stock_quantity"], 12);
    assert_eq!(created["category_id"], shop.category_id());
    assert_eq!(created["is_active"], true);
    assert_eq!(created["version"], 1);

    let fetched = app.get_as(&location, token).await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    assert_eq!(fetched.json::<Value>().await.unwrap(), created);

    let event = audit_json(
        &app,
        doc! { "action": "product.created", "target.id": created["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        event["changes"]["price"],
        json!({ "from": null, "to": "19.90" })
    );
    assert_eq!(
        event["changes"]["sku"],
        json!({ "from": null, "to": "HAM-500.g_1" })
    );
    assert_eq!(
        event["changes"]["stock_quantity"],
        json!({ "from": null, "to": 12 })
    );
    assert_eq!(event["actor"]["email"], shop.admin.email.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_changes_only_given_fields_bumps_the_version_and_records_the_changes() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Chisel", "5.00", 3).await;
    let path = product_path(&product);
    let other = app.create_category(token, "Woodwork").await;
    let response = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "price": 5.5, "category_id": other["id"], "description": "Sharp" })),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["price"], "5.50");
    assert_eq!(patched["name"], "Chisel");
    assert_eq!(patched["category_id"], other["id"]);
    assert_eq!(patched["version"], 2);

    let event = audit_json(
        &app,
        doc! { "action": "product.updated", "target.id": product["id"].as_str().unwrap() },
    )
    .await;
    let changes = event["changes"].as_object().unwrap();
    let mut fields: Vec<&String> = changes.keys().collect();
    fields.sort();
    assert_eq!(fields, ["category_id", "description", "price"]);
    assert_eq!(changes["price"], json!({ "from": "5.00", "to": "5.50" }));
    assert_eq!(
        changes["description"],
        json!({ "from": null, "to": "Sharp" })
    );

    // The same values again change nothing: same version, no new event.
    let same = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "price": "5.50" })),
        )
        .await;
    assert_eq!(same.status(), 200);
    assert_eq!(same.json::<Value>().await.unwrap()["version"], 2);
    let cleared = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "description": null })),
        )
        .await;
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["description"],
        Value::Null
    );
    crate::helpers::eventually(
        "two update events",
        std::time::Duration::from_secs(10),
        || async {
            let found = crate::helpers::stored_audit_events(
                &app,
                doc! { "action": "product.updated", "target.id": product["id"].as_str().unwrap() },
            )
            .await;
            (found.len() == 2).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Level", "12.00", 1).await;
    let path = product_path(&product);
    let patch = |if_match: &str, name: &str| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(token)
            .header("If-Match", if_match.to_owned())
            .json(&json!({ "name": name }))
            .send()
    };
    let first = patch("\"1\"", "Spirit level").await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["etag"], "\"2\"");
    // A second writer still holding version 1 loses.
    let stale = patch("\"1\"", "Laser level").await.unwrap();
    problem_fields(stale, 412).await;
    for never in ["W/\"2\"", "2", "\"two\""] {
        let response = patch(never, "Laser level").await.unwrap();
        assert_eq!(response.status(), 412, "{never}");
    }
    let current = app.get_json(&path, token).await;
    assert_eq!(current["name"], "Spirit level");
    assert_eq!(current["version"], 2);
    // A list naming the current version, or `*`, matches.
    assert_eq!(
        patch("\"7\", \"2\"", "Long level").await.unwrap().status(),
        200
    );
    assert_eq!(patch("*", "Short level").await.unwrap().status(), 200);
    assert_eq!(app.get_json(&path, token).await["version"], 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_products_read_as_absent_but_stay_for_the_audit_trail() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Mallet", "7.25", 2).await;
    let path = product_path(&product);
    let deleted = app.send_as(Method::DELETE, &path, token, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_as(&path, token).await.status(), 404);
    let patch = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "name": "Back" })),
        )
        .await;
    assert_eq!(patch.status(), 404);
    assert_eq!(
        app.send_as(Method::DELETE, &path, token, None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.adjust_stock(token, &product, 1, "found one")
            .await
            .status(),
        404
    );
    assert_eq!(app.get_json(PRODUCTS, token).await["total"], 0);

    // The row is still there, marked deleted.
    let row = stored_row(&app, product["id"].as_str().unwrap()).await;
    assert!(!row.is_active);
    assert!(row.deleted);
    assert_eq!(row.version, 2);
    let event = audit_json(
        &app,
        doc! { "action": "product.deleted", "target.id": product["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        event["changes"]["is_active"],
        json!({ "from": true, "to": false })
    );

    // Its SKU is free again.
    let mut again = shop.product_body("Mallet", "7.25", 0);
    again["sku"] = product["sku"].clone();
    app.create_product(token, &again).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn skus_are_unique_among_live_products_ignoring_case() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let sku = unique_sku("Ab");
    let mut body = shop.product_body("First", "1.00", 0);
    body["sku"] = json!(sku);
    app.create_product(token, &body).await;
    body["sku"] = json!(sku.to_uppercase());
    body["name"] = json!("Second");
    let clash = app
        .send_as(Method::POST, PRODUCTS, token, Some(&body))
        .await;
    problem_fields(clash, 409).await;
    body["sku"] = json!(unique_sku("other"));
    let second = app.create_product(token, &body).await;
    let rename = app
        .send_as(
            Method::PATCH,
            &product_path(&second),
            token,
            Some(&json!({ "sku": sku.to_lowercase() })),
        )
        .await;
    problem_fields(rename, 409).await;
    assert_eq!(
        app.get_json(&product_path(&second), token).await["version"],
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_products_are_422_naming_each_field() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let valid = shop.product_body("Valid", "1.00", 0);
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (with("name", json!("x")), "name"),
        (with("name", json!(" x ")), "name"),
        (with("name", json!("n".repeat(201))), "name"),
        (with("description", json!("d".repeat(2001))), "description"),
        (with("description", json!("bad\u{0}")), "description"),
        (with("sku", json!("has space")), "sku"),
        (with("sku", json!("")), "sku"),
        (with("sku", json!("s".repeat(51))), "sku"),
        (with("stock_quantity", json!(-1)), "stock_quantity"),
        (with("stock_quantity", json!(1.5)), "stock_quantity"),
        (with("category_id", json!("nope")), "category_id"),
        (
            with("category_id", json!(uuid::Uuid::new_v4())),
            "category_id",
        ),
        (with("is_active", json!(false)), "is_active"),
        (with("version", json!(9)), "version"),
        (without("price"), "price"),
        (without("sku"), "sku"),
    ];
    for (body, field) in cases {
        let response = app
            .send_as(Method::POST, PRODUCTS, token, Some(&body))
            .await;
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    let product = shop.product(&app, "Real", "1.00", 5).await;
    let path = product_path(&product);
    for (body, field) in [
        (json!({ "stock_quantity": 50 }), "stock_quantity"),
        (json!({ "name": "y" }), "name"),
        (
            json!({ "category_id": uuid::Uuid::new_v4() }),
            "category_id",
        ),
        (json!({ "price": "-1" }), "price"),
    ] {
        let response = app.send_as(Method::PATCH, &path, token, Some(&body)).await;
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    let unknown = format!("{PRODUCTS}/{}", uuid::Uuid::new_v4());
    assert_eq!(app.get_as(&unknown, token).await.status(), 404);
    assert_eq!(app.get_json(&path, token).await["version"], 1);
}
