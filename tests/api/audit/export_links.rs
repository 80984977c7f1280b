//! `POST /audit-events/export-links`: single-use, short-lived download links for browsers.

use bson::doc;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{PROBLEM, crafted, record, wait_listed};
use crate::helpers::{TestApp, problem_fields, wait_for_audit_event};

const LINKS: &str = "/api/v1/audit-events/export-links";

async fn create_link(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.send_as(Method::POST, LINKS, token, Some(body)).await
}

/// A link made as `token` for `body`; its url.
async fn link(app: &TestApp, token: &str, body: &Value) -> String {
    let response = create_link(app, token, body).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let made: Value = response.json().await.unwrap();
    let expires_at: DateTime<Utc> = made["expires_at"].as_str().unwrap().parse().unwrap();
    let lifetime = expires_at - Utc::now();
    assert!(
        (50..=60).contains(&lifetime.num_seconds()),
        "valid for 60 s: {lifetime}"
    );
    made["url"].as_str().unwrap().to_owned()
}

/// `GET url` with no Authorization header.
async fn download(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(app.url(url)).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_streams_its_export_once_without_a_token_on_any_instance_and_is_recorded() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_sharing(&app).await;
    let admin = app.new_admin().await;
    let events = [
        crafted("test.linked", "linked", "a"),
        crafted("test.linked", "linked", "b"),
        crafted("test.linked", "unlinked", "c"),
    ];
    record(&app, &events).await;
    wait_listed(&app, &admin.access_token, "target_type=linked", 2).await;
    let direct = app
        .get_as(
            "/api/v1/audit-events/export?format=csv&target_type=linked",
            &admin.access_token,
        )
        .await
        .text()
        .await
        .unwrap();

    let url = link(
        &app,
        &admin.access_token,
        &json!({ "format": "csv", "target_type": "linked" }),
    )
    .await;
    assert!(
        url.starts_with("/api/v1/audit-events/export-links/download?token="),
        "{url}"
    );
    let downloaded = download(&other, &url).await;
    assert_eq!(downloaded.status(), 200, "served by another instance");
    assert_eq!(
        downloaded.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        downloaded.headers()["content-disposition"],
        "attachment; filename=\"audit-events.csv\""
    );
    assert_eq!(downloaded.headers()["cache-control"], "no-store");
    let text = downloaded.text().await.unwrap();
    assert_eq!(text, direct, "the same file as the export itself");
    assert_eq!(
        text.lines().count(),
        3,
        "a header and the two linked events"
    );

    let again = download(&app, &url).await;
    assert_eq!(again.status(), 404, "single use");
    assert_eq!(again.headers()["content-type"], PROBLEM);
    let problem: Value = again.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("used or expired"),
        "{problem}"
    );

    let recorded = wait_for_audit_event(
        &app,
        doc! { "action": "audit.exported", "metadata.via": "export_link",
        "actor.user_id": &admin.id },
    )
    .await;
    assert_eq!(
        recorded
            .get_document("metadata")
            .unwrap()
            .get_document("filters")
            .unwrap(),
        &doc! { "target_type": "linked" }
    );
    assert_eq!(
        recorded
            .get_document("metadata")
            .unwrap()
            .get_str("format")
            .unwrap(),
        "csv"
    );

    let ndjson = link(
        &app,
        &admin.access_token,
        &json!({ "target_type": "linked", "limit": 1 }),
    )
    .await;
    let downloaded = download(&app, &ndjson).await;
    assert_eq!(downloaded.headers()["content-type"], "application/x-ndjson");
    let lines = downloaded.text().await.unwrap();
    assert_eq!(lines.lines().count(), 1, "the limit holds: {lines}");
}

#[tokio::test(flavor = "multi_thread")]
async fn links_need_audit_read_valid_filters_and_are_bounded_per_user() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;

    let refused = create_link(&app, &user.access_token, &json!({})).await;
    assert_eq!(refused.status(), 403);
    let anonymous = app
        .client
        .post(app.url(LINKS))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    for (body, field) in [
        (json!({ "format": "xml" }), "format"),
        (json!({ "limit": 0 }), "limit"),
        (json!({ "action": "Not An Action" }), "action"),
        (json!({ "what": 1 }), "what"),
        (json!({ "limit": null }), "limit"),
        (
            json!({ "from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z" }),
            "from",
        ),
    ] {
        let response = create_link(&app, &admin.access_token, &body).await;
        let fields = problem_fields(response, 422).await;
        assert!(
            fields.iter().any(|f| f.contains(field)),
            "{body}: {fields:?}"
        );
    }

    let mut urls = Vec::new();
    for _ in 0..10 {
        urls.push(link(&app, &admin.access_token, &json!({})).await);
    }
    let eleventh = create_link(&app, &admin.access_token, &json!({})).await;
    assert_eq!(eleventh.status(), 429, "at most 10 outstanding links");
    assert!(eleventh.headers().contains_key("retry-after"));
    let other_admin = app.new_admin().await;
    link(&app, &other_admin.access_token, &json!({})).await;

    assert_eq!(download(&app, &urls.pop().unwrap()).await.status(), 200);
    link(&app, &admin.access_token, &json!({})).await;

    for bad in ["", "not-a-token", &"x".repeat(5000)] {
        let response = download(
            &app,
            &format!("/api/v1/audit-events/export-links/download?token={bad}"),
        )
        .await;
        assert_eq!(response.status(), 404, "{bad:.20}");
    }
    let missing = download(&app, "/api/v1/audit-events/export-links/download").await;
    assert_eq!(missing.status(), 422, "the token is required");
    assert_eq!(missing.headers()["content-type"], PROBLEM);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_expires_and_works_only_while_its_maker_may_export() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;

    let expired = link(&app, &admin.access_token, &json!({})).await;
    app.execute_sql("UPDATE audit_export_links SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(download(&app, &expired).await.status(), 404, "expired");

    let auditor = app.new_user_with_roles(&admin, &["auditor"]).await;
    let revoked = link(&app, &auditor.access_token, &json!({})).await;
    let kept = link(&app, &auditor.access_token, &json!({})).await;
    let response = app.put_roles(&admin.access_token, &auditor.id, &[]).await;
    assert_eq!(response.status(), 200);
    let denied = download(&app, &revoked).await;
    assert_eq!(denied.status(), 403, "the maker no longer holds audit:read");
    wait_for_audit_event(
        &app,
        doc! { "action": "access.denied", "actor.user_id": &auditor.id,
        "target.id": "export_audit_events" },
    )
    .await;

    let response = app
        .put_roles(&admin.access_token, &auditor.id, &["auditor"])
        .await;
    assert_eq!(response.status(), 200);
    app.deactivate_in_database(&auditor.email).await;
    assert_eq!(
        download(&app, &kept).await.status(),
        404,
        "the maker is inactive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn of_two_concurrent_downloads_of_one_link_exactly_one_is_served() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    for _ in 0..5 {
        let url = link(&app, &admin.access_token, &json!({})).await;
        let (a, b) = tokio::join!(download(&app, &url), download(&app, &url));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 404]);
    }
}
