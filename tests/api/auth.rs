//! Registration, login, refresh and logout through HTTP.

use bson::doc;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestOptions, unique_email, wait_for_audit_event};

#[tokio::test(flavor = "multi_thread")]
async fn registration_creates_a_user_with_the_user_role_and_no_secrets() {
    let app = TestApp::spawn().await;
    let email = unique_email("Reg");
    let response = app
        .register(&format!("  {}  ", email.to_uppercase()), PASSWORD)
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let user: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(
        user["email"],
        email.to_lowercase(),
        "trimmed and lowercased"
    );
    assert_eq!(user["roles"], json!(["user"]));
    assert_eq!(user["permissions"], json!(["products:read"]));
    assert_eq!(user["is_active"], true);
    assert!(user["last_login_at"].is_null());
    let text = user.to_string();
    assert!(!text.contains("password") && !text.contains("hash") && !text.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_email_is_409_case_insensitively() {
    let app = TestApp::spawn().await;
    let email = unique_email("dup");
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let again = app.register(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(again.status(), 409);
    assert_eq!(again.headers()["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_registrations_of_one_email_give_one_201_and_one_409() {
    let app = TestApp::spawn().await;
    let email = unique_email("race");
    let shouted = email.to_uppercase();
    let (a, b) = tokio::join!(
        app.register(&email, PASSWORD),
        app.register(&shouted, PASSWORD)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_registrations_are_422_naming_the_fields() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD, "full_name": "A" }),
            "email",
        ),
        (
            json!({ "email": unique_email("p"), "password": "short", "full_name": "A" }),
            "password",
        ),
        (
            json!({ "email": unique_email("n"), "password": PASSWORD, "full_name": "   " }),
            "full_name",
        ),
        (
            json!({ "email": unique_email("m"), "password": PASSWORD }),
            "full_name",
        ),
        // Mass assignment: nobody sets roles, is_active or id through this body.
        (
            json!({ "email": unique_email("r"), "password": PASSWORD, "full_name": "A", "roles": ["admin"] }),
            "roles",
        ),
        (
            json!({ "email": unique_email("i"), "password": PASSWORD, "full_name": "A", "is_active": false }),
            "is_active",
        ),
        (
            json!({ "email": unique_email("d"), "password": PASSWORD, "full_name": "A", "id": uuid::Uuid::new_v4() }),
            "id",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_json("/api/v1/auth/register", &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field} in {fields:?} for {body}");
    }
    let malformed = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_returns_a_bearer_token_pair_that_is_never_cached() {
    let app = TestApp::spawn().await;
    let email = unique_email("login");
    app.register(&email, PASSWORD).await;
    let response = app.login(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(
        pair["access_token"].as_str().unwrap().split('.').count(),
        3,
        "a JWT"
    );
    assert!(
        pair["refresh_token"].as_str().unwrap().len() >= 43,
        "256 bits"
    );

    let me: Value = app
        .get_as("/api/v1/users/me", pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert!(me["last_login_at"].is_string(), "login is recorded");
    wait_for_audit_event(
        &app,
        doc! { "action": "auth.login_succeeded", "actor.email": &email },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_email_wrong_password_and_deactivated_account_look_the_same() {
    let app = TestApp::spawn().await;
    let known = unique_email("known");
    app.register(&known, PASSWORD).await;
    let inactive = unique_email("inactive");
    app.register(&inactive, PASSWORD).await;
    app.deactivate_in_database(&inactive).await;

    let mut bodies = Vec::new();
    for (email, password) in [
        (unique_email("ghost"), PASSWORD),
        (known.clone(), "wrong password!"),
        (inactive.clone(), PASSWORD),
    ] {
        let response = app.login(&email, password).await;
        assert_eq!(response.status(), 401, "{email}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let mut body: Value = response.json().await.unwrap();
        body.as_object_mut().unwrap().remove("request_id");
        bodies.push(body);
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[1], bodies[2]);
    let failed = wait_for_audit_event(
        &app,
        doc! { "action": "auth.login_failed", "actor.email": &known },
    )
    .await;
    assert_eq!(failed.get_str("outcome").unwrap(), "failure");
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let first = user.refresh_token.clone();
    let rotated = app.refresh(&first).await;
    assert_eq!(rotated.status(), 200);
    let second: Value = rotated.json().await.unwrap();
    let second = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);

    let reuse = app.refresh(&first).await;
    assert_eq!(reuse.status(), 401, "a used token is reuse");
    let after = app.refresh(&second).await;
    assert_eq!(after.status(), 401, "the whole family is revoked");
    wait_for_audit_event(
        &app,
        doc! { "action": "auth.refresh_reuse_detected", "target.id": &user.id },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_refreshes_of_one_token_let_exactly_one_succeed() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let body = json!({ "refresh_token": user.refresh_token });
    let attempts =
        futures::future::join_all((0..5).map(|_| app.post_json("/api/v1/auth/refresh", &body)))
            .await;
    let ok = attempts.iter().filter(|r| r.status() == 200).count();
    let unauthorized = attempts.iter().filter(|r| r.status() == 401).count();
    assert_eq!((ok, unauthorized), (1, 4));
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_revokes_the_refresh_token() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let body = json!({ "refresh_token": user.refresh_token });
    assert_eq!(
        app.post_json("/api/v1/auth/logout", &body).await.status(),
        204
    );
    assert_eq!(
        app.post_json("/api/v1/auth/refresh", &body).await.status(),
        401
    );
    assert_eq!(
        app.post_json("/api/v1/auth/logout", &body).await.status(),
        401,
        "already revoked"
    );
    let event = wait_for_audit_event(
        &app,
        doc! { "action": "auth.logout", "target.id": &user.id },
    )
    .await;
    let actor = event.get_document("actor").unwrap();
    assert_eq!(
        actor.get_str("email").ok(),
        Some(user.email.as_str()),
        "the logout names its actor like the other auth events: {event}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn registration_and_login_are_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(TestOptions {
        register_per_minute: 2,
        login_per_minute: 3,
        ..TestOptions::default()
    })
    .await;
    let email = unique_email("limited");
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_eq!(
        app.register(&unique_email("x"), PASSWORD).await.status(),
        201
    );
    let limited = app.register(&unique_email("y"), PASSWORD).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );

    for _ in 0..3 {
        assert_eq!(app.login(&email, "wrong password!").await.status(), 401);
    }
    let limited = app.login(&email, PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
