//! Suppliers: CRUD with versions and `If-Match`, soft deletion, names unique among live
//! suppliers, the value rules, who may do what, the audit events with their changes (the
//! products that name a supplier: `supplied.rs`).

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, audit_json, problem_fields};

pub const SUPPLIERS: &str = "/api/v1/suppliers";

pub fn path(supplier: &Value) -> String {
    format!("{SUPPLIERS}/{}", supplier["id"].as_str().unwrap())
}

impl TestApp {
    /// Creates a supplier from `body` as `token`, expecting 201; returns it.
    pub async fn create_supplier(&self, token: &str, body: &Value) -> Value {
        let response = self
            .send_as(Method::POST, SUPPLIERS, token, Some(body))
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

pub fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn suppliers_are_created_read_listed_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let body = json!({
        "name": "  Acme Tools\u{200b} ",
        "contact_email": " Orders@Acme.example ",
        "phone": "+44 20 7946 0000",
        "notes": "Delivers on Tuesdays.",
    });
    let response = app
        .send_as(Method::POST, SUPPLIERS, token, Some(&body))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let acme: Value = response.json().await.unwrap();
    assert_eq!(location, path(&acme));
    assert_eq!(acme["name"], "Acme Tools");
    assert_eq!(acme["contact_email"], "orders@acme.example");
    assert_eq!(acme["phone"], "+44 20 7946 0000");
    assert_eq!(acme["is_active"], true);
    assert_eq!(acme["version"], 1);
    assert_eq!(app.get_json(&location, token).await, acme);

    app.create_supplier(token, &json!({ "name": "Birch Timber" }))
        .await;
    app.create_supplier(token, &json!({ "name": "Copper & Co" }))
        .await;
    let page = app
        .get_json(&format!("{SUPPLIERS}?skip=1&limit=1"), token)
        .await;
    assert_eq!(
        (page["total"].as_i64(), names(&page)),
        (Some(3), vec!["Birch Timber"])
    );
    let found = app.get_json(&format!("{SUPPLIERS}?q=TIMB"), token).await;
    assert_eq!(names(&found), ["Birch Timber"]);
    let literal = app.get_json(&format!("{SUPPLIERS}?q=%25"), token).await;
    assert_eq!(literal["total"], 0, "% is taken literally");

    let patch = |if_match: Option<&str>, body: Value| {
        let mut request = app.client.patch(app.url(&location)).bearer_auth(token);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag.to_owned());
        }
        request.json(&body).send()
    };
    let changed = patch(
        Some("\"1\""),
        json!({ "phone": null, "notes": "Tuesdays and Fridays." }),
    )
    .await
    .unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.headers()["etag"], "\"2\"");
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["phone"], Value::Null);
    assert_eq!(changed["notes"], "Tuesdays and Fridays.");
    let updated = audit_json(
        &app,
        doc! { "action": "supplier.updated", "target.id": acme["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(updated["target"]["type"], "supplier");
    assert_eq!(
        updated["changes"]["phone"],
        json!({ "from": "+44 20 7946 0000", "to": null })
    );
    assert_eq!(
        updated["changes"]["notes"],
        json!({ "from": "Delivers on Tuesdays.", "to": "Tuesdays and Fridays." })
    );
    assert!(updated["changes"].get("name").is_none(), "{updated}");

    // A writer still holding version 1 loses and changes nothing; a change to what it
    // already is makes no new version.
    let stale = patch(Some("\"1\""), json!({ "name": "Acme" }))
        .await
        .unwrap();
    problem_fields(stale, 412).await;
    let same = patch(None, json!({ "name": "Acme Tools" })).await.unwrap();
    assert_eq!(same.headers()["etag"], "\"2\"");
    assert_eq!(app.get_json(&location, token).await["name"], "Acme Tools");

    let deleted = app.send_as(Method::DELETE, &location, token, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_as(&location, token).await.status(), 404);
    let again = app.send_as(Method::DELETE, &location, token, None).await;
    assert_eq!(again.status(), 404);
    let gone = patch(None, json!({ "name": "X" })).await.unwrap();
    assert_eq!(gone.status(), 404);
    let deleted_event = audit_json(
        &app,
        doc! { "action": "supplier.deleted", "target.id": acme["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        deleted_event["changes"]["is_active"],
        json!({ "from": true, "to": false })
    );
    let created = audit_json(
        &app,
        doc! { "action": "supplier.created", "target.id": acme["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        created["changes"]["contact_email"],
        json!({ "from": null, "to": "orders@acme.example" })
    );

    let live = app.get_json(SUPPLIERS, token).await;
    assert_eq!(names(&live), ["Birch Timber", "Copper & Co"]);
    let removed = app
        .get_json(&format!("{SUPPLIERS}?is_active=false"), token)
        .await;
    assert_eq!(names(&removed), ["Acme Tools"]);
    assert_eq!(removed["items"][0]["is_active"], false);
    assert_eq!(removed["items"][0]["version"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_unique_among_live_suppliers_ignoring_case() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let first = app
        .create_supplier(token, &json!({ "name": "Delta Paints" }))
        .await;
    let clash = app
        .send_as(
            Method::POST,
            SUPPLIERS,
            token,
            Some(&json!({ "name": "DELTA paints" })),
        )
        .await;
    problem_fields(clash, 409).await;
    let other = app
        .create_supplier(token, &json!({ "name": "Echo Glass" }))
        .await;
    let rename = app
        .send_as(
            Method::PATCH,
            &path(&other),
            token,
            Some(&json!({ "name": "delta Paints" })),
        )
        .await;
    problem_fields(rename, 409).await;
    assert_eq!(app.get_json(&path(&other), token).await["version"], 1);

    // Once deleted, the name is free again.
    let deleted = app
        .send_as(Method::DELETE, &path(&first), token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    app.create_supplier(token, &json!({ "name": "Delta Paints" }))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_value_is_a_422_naming_its_field() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let cases = [
        (json!({ "name": "\u{200b}\u{feff} " }), "name"),
        (json!({ "name": "a".repeat(201) }), "name"),
        (json!({ "name": "Evil\u{202e}Corp" }), "name"),
        (json!({ "name": null }), "name"),
        (json!({}), "name"),
        (
            json!({ "name": "Ok", "contact_email": "not-an-email" }),
            "contact_email",
        ),
        (json!({ "name": "Ok", "phone": "1".repeat(51) }), "phone"),
        (json!({ "name": "Ok", "phone": "12\n34" }), "phone"),
        (json!({ "name": "Ok", "notes": "n".repeat(2001) }), "notes"),
        (json!({ "name": "Ok", "rating": 5 }), "rating"),
    ];
    for (body, field) in cases {
        let response = app
            .send_as(Method::POST, SUPPLIERS, token, Some(&body))
            .await;
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    let supplier = app
        .create_supplier(token, &json!({ "name": "Fox Fasteners" }))
        .await;
    for (body, field) in [
        (json!({ "name": null }), "name"),
        (json!({ "version": 7 }), "version"),
    ] {
        let response = app
            .send_as(Method::PATCH, &path(&supplier), token, Some(&body))
            .await;
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    for query in [
        "limit=0",
        "limit=101",
        "skip=-1",
        "is_active=maybe",
        "q=%E2%80%AE",
    ] {
        let response = app.get_as(&format!("{SUPPLIERS}?{query}"), token).await;
        assert_eq!(response.status(), 422, "{query}");
    }
    assert_eq!(app.get_json(&path(&supplier), token).await["version"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_read_and_only_suppliers_write_changes() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let supplier = app
        .create_supplier(&admin.access_token, &json!({ "name": "Gamma Glue" }))
        .await;
    let reader = app.new_user().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;
    assert_eq!(
        app.get_as(&path(&supplier), &reader.access_token)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_as(SUPPLIERS, &reader.access_token).await.status(),
        200
    );
    let refused = app
        .send_as(
            Method::POST,
            SUPPLIERS,
            &reader.access_token,
            Some(&json!({ "name": "Sneaky" })),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let denied = audit_json(
        &app,
        doc! { "action": "access.denied", "target.id": "create_supplier" },
    )
    .await;
    assert_eq!(
        denied["metadata"]["permission"], "suppliers:write",
        "{denied}"
    );
    let managed = app
        .send_as(
            Method::PATCH,
            &path(&supplier),
            &manager.access_token,
            Some(&json!({ "notes": "Net 30." })),
        )
        .await;
    assert_eq!(managed.status(), 200);
    let removed = app
        .send_as(
            Method::DELETE,
            &path(&supplier),
            &manager.access_token,
            None,
        )
        .await;
    assert_eq!(removed.status(), 204);
}
