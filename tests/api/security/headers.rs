//! Protective response headers on every route family and `no-store` on every auth answer
//! (the rate limits' 429s are in `rate_limits.rs`).

use reqwest::Method;
use serde_json::{Value, json};

use super::{Callers, Role, send};
use crate::helpers::{PASSWORD, TestApp, unique_email};

/// (method, path, bearer token, body, expected status)
type Sample<'a> = (Method, String, Option<&'a str>, Option<Value>, u16);

fn assert_protective_headers(what: &str, response: &reqwest::Response) {
    let headers = response.headers();
    assert_eq!(
        headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
    if let Some(server) = headers.get("server") {
        let server = server.to_str().unwrap();
        assert!(
            !server.chars().any(|c| c.is_ascii_digit()),
            "{what}: the Server header names a version: {server}"
        );
    }
    assert!(headers.get("x-powered-by").is_none(), "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_family_answers_nosniff_and_no_server_version() {
    let app = TestApp::spawn().await;
    let callers = Callers::sign_up(&app).await;
    let (user, admin) = (callers.token(Role::User), callers.token(Role::Admin));
    let window = "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z";
    let missing = uuid::Uuid::new_v4();
    let bad_login = json!({ "email": callers.user.email, "password": "wrong password" });
    let samples: Vec<Sample> = vec![
        (
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            Some(bad_login),
            401,
        ),
        (Method::GET, "/api/v1/users/me".into(), user, None, 200),
        (Method::GET, "/api/v1/users".into(), admin, None, 200),
        (
            Method::GET,
            format!("/api/v1/users/{missing}"),
            admin,
            None,
            404,
        ),
        (Method::GET, "/api/v1/products".into(), user, None, 200),
        (Method::GET, "/api/v1/categories".into(), None, None, 401),
        (
            Method::POST,
            "/api/v1/categories".into(),
            user,
            Some(json!({"name": "x"})),
            403,
        ),
        (Method::GET, "/api/v1/audit-events".into(), admin, None, 200),
        (
            Method::GET,
            "/api/v1/audit-events/export".into(),
            admin,
            None,
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/analytics/events/counts?{window}"),
            admin,
            None,
            200,
        ),
        (
            Method::GET,
            "/api/v1/analytics/top-products".into(),
            admin,
            None,
            422,
        ),
        (Method::GET, "/health/live".into(), None, None, 200),
        (Method::GET, "/health/ready".into(), None, None, 200),
        (Method::GET, "/metrics".into(), None, None, 200),
        (Method::GET, "/openapi.json".into(), None, None, 200),
        (Method::GET, "/docs".into(), None, None, 200),
        (Method::GET, "/api/v1/nothing-here".into(), None, None, 404),
        (Method::PUT, "/api/v1/products".into(), user, None, 405),
    ];
    for (method, path, token, body, status) in samples {
        let what = format!("{method} {path}");
        let response = send(&app, method, &path, token, body.as_ref()).await;
        assert_eq!(response.status(), status, "{what}");
        assert_protective_headers(&what, &response);
    }
    let oversized = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .body(vec![b'x'; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_protective_headers("413", &oversized);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_auth_answer_success_or_error_is_no_store() {
    let app = &TestApp::spawn().await;
    let email = unique_email("nocache");
    let register = |body: Value| async move { app.post_json("/api/v1/auth/register", &body).await };
    let full = |email: &str| json!({ "email": email, "password": PASSWORD, "full_name": "N" });

    let mut answers = vec![
        ("register 201", register(full(&email)).await),
        ("register 409", register(full(&email)).await),
        ("register 422", register(full("not an email")).await),
        ("login 401", app.login(&email, "wrong password").await),
        ("login 422", app.login("", PASSWORD).await),
        ("refresh 401", app.refresh("no such token").await),
        ("refresh 422", app.refresh("").await),
    ];
    let login = app.login(&email, PASSWORD).await;
    let pair: Value = login.json().await.unwrap();
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    let refreshed = app.refresh(refresh_token).await;
    let logout = |token: String| async move {
        app.post_json("/api/v1/auth/logout", &json!({ "refresh_token": token }))
            .await
    };
    answers.push(("refresh reuse 401", app.refresh(refresh_token).await));
    let login = app.login(&email, PASSWORD).await;
    answers.push(("login 200", app.login(&email, PASSWORD).await));
    let fresh: Value = login.json().await.unwrap();
    answers.push((
        "logout 204",
        logout(fresh["refresh_token"].as_str().unwrap().to_owned()).await,
    ));
    answers.push(("logout 401", logout("no such token".to_owned()).await));
    answers.push(("refresh 200", refreshed));
    let raw = |path: &str, body: &'static str| {
        app.client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    answers.push((
        "register 400",
        raw("/api/v1/auth/register", "{\"email\":").await.unwrap(),
    ));
    answers.push(("login 400", raw("/api/v1/auth/login", "[[[").await.unwrap()));
    let wrong_method = app.get("/api/v1/auth/login").await;
    answers.push(("login 405", wrong_method));

    for (what, response) in answers {
        let expected: u16 = what.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(response.status(), expected, "{what}");
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{what}"
        );
    }
}
