use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::Value;

use crate::helpers::{TestApp, TestOptions, admin_url, eventually};

#[tokio::test(flavor = "multi_thread")]
async fn liveness_answers_ok() {
    let app = TestApp::spawn().await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_is_200_with_both_stores_up() {
    let app = TestApp::spawn().await;
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "up");
    assert_eq!(body["mongodb"], "up");
    assert_eq!(body["outbox_backlog"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_is_503_while_mongodb_is_unreachable_and_recovers() {
    let app = TestApp::spawn_with(TestOptions {
        mongo_proxy: true,
        ..TestOptions::default()
    })
    .await;
    let proxy = app.mongo_proxy.as_ref().unwrap();
    proxy.cut();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    // One JSON response type everywhere, as the document declares it (issue 14).
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "up");
    assert_eq!(body["mongodb"], "down");
    assert!(body["outbox_backlog"].is_i64());

    proxy.restore();
    eventually("readiness back to 200", Duration::from_secs(20), || async {
        (app.get("/health/ready").await.status() == 200).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_is_503_when_postgres_is_unreachable() {
    let mut app = TestApp::spawn().await;
    // Make every pooled connection and every new one fail: the database disappears.
    let name = app.db.name.clone();
    let mut admin = <AsyncPgConnection as AsyncConnection>::establish(&admin_url())
        .await
        .unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "down");
    assert_eq!(body["mongodb"], "up");
    assert!(body["outbox_backlog"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_with_request_and_outbox_series() {
    let app = TestApp::spawn().await;
    app.get("/health/live").await;
    app.get("/health/ready").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains(r#"route="health_live""#), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("outbox_backlog"), "{text}");
    assert!(
        text.contains(r#"db_pool_connections{state="max"}"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/health/live", "/health/ready", "/metrics"] {
        assert!(spec["paths"][path]["get"].is_object(), "{path} documented");
    }
    let ready = &spec["paths"]["/health/ready"]["get"]["responses"];
    assert!(ready["200"].is_object() && ready["503"].is_object());
    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

async fn metrics_text(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

/// The `http_requests_total` value for `route` and `status` (summed over methods).
fn requests(text: &str, route: &str, status: u16) -> f64 {
    let (route, status) = (
        format!(r#"route="{route}""#),
        format!(r#"status="{status}""#),
    );
    text.lines()
        .filter(|l| {
            l.starts_with("http_requests_total{") && l.contains(&route) && l.contains(&status)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn methods_outside_the_standard_ones_count_as_other_and_add_no_series() {
    let app = TestApp::spawn().await;
    let methods: Vec<String> = (0..30)
        .map(|i| format!("X{}{i}", uuid::Uuid::new_v4().simple()).repeat(20))
        .collect();
    for method in &methods {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = app
            .client
            .request(method, app.url("/api/v1/products"))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let text = metrics_text(&app).await;
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    for method in &methods {
        assert!(
            !text.contains(&method[..32]),
            "a client's method became a label"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn error_answers_of_real_operations_count_under_their_operation_id() {
    let app = TestApp::spawn().await;
    let shop = crate::catalog::Shop::open(&app).await;
    let user = app.new_user().await;
    let product = shop.product(&app, "Counted widget", "3.00", 1).await;
    let path = crate::catalog::product_path(&product);
    let before = metrics_text(&app).await;

    let stale = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&shop.admin.access_token)
        .header("if-match", "\"999\"")
        .json(&serde_json::json!({ "name": "Renamed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let missing = app
        .get_as(
            &format!("/api/v1/products/{}", uuid::Uuid::new_v4()),
            &shop.admin.access_token,
        )
        .await;
    assert_eq!(missing.status(), 404);
    let denied = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/categories",
            &user.access_token,
            Some(&serde_json::json!({ "name": "Not mine" })),
        )
        .await;
    assert_eq!(denied.status(), 403);
    let name = shop.category["name"].as_str().unwrap();
    let duplicate = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/categories",
            &shop.admin.access_token,
            Some(&serde_json::json!({ "name": name })),
        )
        .await;
    assert_eq!(duplicate.status(), 409);

    let after = metrics_text(&app).await;
    for (route, status) in [
        ("update_product", 412),
        ("get_product", 404),
        ("create_category", 403),
        ("create_category", 409),
    ] {
        assert!(
            requests(&after, route, status) >= requests(&before, route, status) + 1.0,
            "{route} {status}:\n{after}"
        );
    }
}
