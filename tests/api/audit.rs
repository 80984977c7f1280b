//! The audit trail API: permissions, shape, validation, the OpenAPI description, outages.
//! Pagination, filters, exports, own activity and the trail of each action have modules.

mod activity;
mod export;
mod export_links;
mod filters;
mod paging;
mod support;
mod trail;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestOptions};
use support::{PROBLEM, get_ok, invalid_fields, list, wait_listed};

#[tokio::test(flavor = "multi_thread")]
async fn the_trail_needs_a_token_and_audit_read_and_each_refusal_is_recorded() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let paths = [
        "/api/v1/audit-events".to_owned(),
        format!("/api/v1/audit-events/{}", Uuid::new_v4()),
        "/api/v1/audit-events/export?format=csv".to_owned(),
    ];
    for path in &paths {
        let anonymous = app.get(path).await;
        assert_eq!(anonymous.status(), 401, "{path}");
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
        assert_eq!(anonymous.headers()["content-type"], PROBLEM);
        let denied = app.get_as(path, &user.access_token).await;
        assert_eq!(denied.status(), 403, "{path}");
        assert_eq!(denied.headers()["content-type"], PROBLEM);
        let problem: Value = denied.json().await.unwrap();
        assert!(problem["detail"].as_str().unwrap().contains("audit:read"));
    }
    assert_eq!(app.get("/api/v1/users/me/activity").await.status(), 401);

    // Each 403 is an `access.denied` event, which an admin finds through the API.
    let query = format!("action=access.denied&actor_id={}", user.id);
    let denied = wait_listed(&app, &admin.access_token, &query, 3).await;
    assert_eq!(denied.len(), 3);
    let operations: BTreeSet<&str> = denied
        .iter()
        .map(|e| e["target"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        BTreeSet::from([
            "export_audit_events",
            "get_audit_event",
            "list_audit_events"
        ])
    );
    for event in &denied {
        assert_eq!(event["outcome"], "denied");
        assert_eq!(event["target"]["type"], "operation");
        assert_eq!(event["metadata"]["permission"], "audit:read");
        assert_eq!(event["actor"]["email"], user.email.as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_listed_newest_first_in_the_documented_shape_and_read_by_id() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let patched = app
        .client
        .patch(app.url("/api/v1/users/me"))
        .bearer_auth(&user.access_token)
        .header("x-request-id", "audit-shape-1")
        .header("user-agent", "shape-test/1.0")
        .json(&json!({ "full_name": "Ada Lovelace" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let query = format!("actor_id={}", user.id);
    let events = wait_listed(&app, &admin.access_token, &query, 3).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.updated", "auth.login_succeeded", "user.registered"]
    );
    let keys: Vec<(DateTime<Utc>, Uuid)> = events
        .iter()
        .map(|e| {
            (
                e["occurred_at"].as_str().unwrap().parse().unwrap(),
                e["id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first");

    let updated = &events[0];
    let mut fields: Vec<&str> = updated
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "action",
            "actor",
            "changes",
            "content_hash",
            "hash",
            "id",
            "metadata",
            "occurred_at",
            "outcome",
            "prev_hash",
            "request_id",
            "schema_version",
            "seq",
            "target"
        ]
    );
    assert_eq!(updated["outcome"], "success");
    assert_eq!(
        updated["actor"],
        json!({ "user_id": user.id, "email": user.email, "ip": "127.0.0.1", "user_agent": "shape-test/1.0" })
    );
    assert_eq!(updated["target"], json!({ "type": "user", "id": user.id }));
    assert_eq!(
        updated["changes"],
        json!({ "full_name": { "from": "Test User", "to": "Ada Lovelace" } })
    );
    assert_eq!(updated["request_id"], "audit-shape-1");
    assert!(updated["metadata"].is_object());
    assert!(
        events[1].get("changes").is_none(),
        "no `changes` when nothing changed"
    );

    let page = list(&app, &admin.access_token, &query).await;
    assert_eq!(page["next_cursor"], Value::Null, "one page holds all three");
    let id = updated["id"].as_str().unwrap();
    let one = get_ok(
        &app,
        &admin.access_token,
        &format!("/api/v1/audit-events/{id}"),
    )
    .await;
    assert_eq!(&one, updated);

    let unknown = app
        .get_as(
            &format!("/api/v1/audit-events/{}", Uuid::new_v4()),
            &admin.access_token,
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.headers()["content-type"], PROBLEM);
    let not_uuid = app
        .get_as("/api/v1/audit-events/not-a-uuid", &admin.access_token)
        .await;
    assert_eq!(invalid_fields(not_uuid).await, ["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_filters_limits_and_cursors_are_422_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    wait_listed(&app, &admin.access_token, "action=user.registered", 2).await;
    let first = list(&app, &admin.access_token, "limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[12] = if tampered[12] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        list(
            &app,
            &admin.access_token,
            &format!("limit=1&cursor={cursor}")
        )
        .await["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the untampered cursor works"
    );

    let long_action = "a".repeat(65);
    let long_target_id = "x".repeat(129);
    let long_cursor = "A".repeat(200);
    let cases: Vec<(String, &str)> = vec![
        ("actor_id=nope".into(), "actor_id"),
        ("action=User.Updated".into(), "action"),
        (format!("action={long_action}"), "action"),
        ("action=".into(), "action"),
        ("action=user%20updated".into(), "action"),
        ("target_type=user.role".into(), "target_type"),
        (format!("target_id={long_target_id}"), "target_id"),
        ("target_id=".into(), "target_id"),
        ("outcome=maybe".into(), "outcome"),
        ("from=yesterday".into(), "from"),
        ("to=2024-13-01T00:00:00Z".into(), "to"),
        (
            "from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z".into(),
            "from",
        ),
        ("limit=0".into(), "limit"),
        ("limit=101".into(), "limit"),
        ("limit=-1".into(), "limit"),
        ("limit=ten".into(), "limit"),
        ("cursor=garbage".into(), "cursor"),
        (format!("cursor={tampered}"), "cursor"),
        (format!("cursor={long_cursor}"), "cursor"),
    ];
    for (query, field) in &cases {
        let response = app
            .get_as(
                &format!("/api/v1/audit-events?{query}"),
                &admin.access_token,
            )
            .await;
        assert_eq!(invalid_fields(response).await, [*field], "{query}");
    }
    for (query, field) in [
        ("format=xml", "format"),
        ("action=BAD", "action"),
        ("from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
    ] {
        let response = app
            .get_as(
                &format!("/api/v1/audit-events/export?{query}"),
                &admin.access_token,
            )
            .await;
        assert_eq!(invalid_fields(response).await, [field], "export {query}");
    }
    // The permission is checked first (documented): without it, a bad request is 403.
    let response = app
        .get_as("/api/v1/audit-events?limit=0", &user.access_token)
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_the_audit_operations() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let paths = &spec["paths"];
    let list = &paths["/api/v1/audit-events"]["get"];
    assert_eq!(list["operationId"], "list_audit_events");
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        [
            "actor_id",
            "action",
            "target_type",
            "target_id",
            "outcome",
            "from",
            "to",
            "order",
            "limit",
            "cursor"
        ]
    );
    for status in ["200", "401", "403", "422"] {
        assert!(
            list["responses"][status].is_object(),
            "list documents {status}"
        );
    }
    let get = &paths["/api/v1/audit-events/{id}"]["get"];
    assert!(get["responses"]["404"].is_object());
    let export = &paths["/api/v1/audit-events/export"]["get"]["responses"]["200"];
    let types: Vec<&String> = export["content"].as_object().unwrap().keys().collect();
    assert_eq!(types, ["application/x-ndjson", "text/csv; charset=utf-8"]);
    assert!(export["headers"]["Content-Disposition"].is_object());
    let activity = &paths["/api/v1/users/me/activity"]["get"];
    assert_eq!(activity["operationId"], "list_my_activity");
    assert!(
        spec["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Audit")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_answer_503_without_driver_text_while_mongodb_is_away() {
    let app = TestApp::spawn_with(TestOptions {
        mongo_proxy: true,
        ..TestOptions::default()
    })
    .await;
    let admin = app.new_admin().await;
    app.mongo_proxy.as_ref().unwrap().cut();
    for path in [
        "/api/v1/audit-events".to_owned(),
        format!("/api/v1/audit-events/{}", Uuid::new_v4()),
        "/api/v1/audit-events/export?format=csv".to_owned(),
        "/api/v1/users/me/activity".to_owned(),
    ] {
        let response = app.get_as(&path, &admin.access_token).await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["content-type"], PROBLEM);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(
            problem["detail"], "The audit store is unavailable; retry shortly.",
            "{path}"
        );
    }
    app.mongo_proxy.as_ref().unwrap().restore();
    let page = list(&app, &admin.access_token, "limit=1").await;
    assert!(
        page["items"].is_array(),
        "answers again once MongoDB is back"
    );
}
