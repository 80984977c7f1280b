//! The caller's own account, and what a bearer token must be to count.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, stored_audit_events, unique_email, wait_for_audit_event};

#[tokio::test(flavor = "multi_thread")]
async fn me_requires_a_valid_bearer_token() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let me: Value = app
        .get_as("/api/v1/users/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user.id.as_str());

    let anonymous = app.get("/api/v1/users/me").await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        anonymous.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        app.get_as("/api/v1/users/me", "not.a.jwt").await.status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deactivated_user_is_rejected_at_once() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    app.deactivate_in_database(&user.email).await;
    assert_eq!(
        app.get_as("/api/v1/users/me", &user.access_token)
            .await
            .status(),
        401
    );
    let refresh = app.refresh(&user.refresh_token).await;
    assert_eq!(refresh.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_me_changes_name_and_email_and_records_the_change() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let new_email = unique_email("moved");
    let body = json!({ "full_name": "  Grace Hopper ", "email": new_email.to_uppercase() });
    let response = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &user.access_token,
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["full_name"], "Grace Hopper");
    assert_eq!(me["email"], new_email);

    let event = wait_for_audit_event(
        &app,
        doc! { "action": "user.updated", "target.id": &user.id },
    )
    .await;
    let changes = event.get_document("changes").unwrap();
    assert_eq!(
        changes
            .get_document("full_name")
            .unwrap()
            .get_str("to")
            .unwrap(),
        "Grace Hopper"
    );
    assert_eq!(
        changes
            .get_document("email")
            .unwrap()
            .get_str("from")
            .unwrap(),
        user.email
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_me_refuses_taken_emails_and_fields_it_does_not_list() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other = app.new_user().await;
    let taken = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &user.access_token,
            Some(&json!({ "email": other.email })),
        )
        .await;
    assert_eq!(taken.status(), 409);
    for body in [
        json!({ "roles": ["admin"] }),
        json!({ "is_active": true }),
        json!({ "full_name": "" }),
        json!({ "email": "nope" }),
    ] {
        let response = app
            .send_as(
                Method::PATCH,
                "/api/v1/users/me",
                &user.access_token,
                Some(&body),
            )
            .await;
        assert_eq!(response.status(), 422, "{body}");
    }
    let me: Value = app
        .get_as("/api/v1/users/me", &user.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["user"]), "nothing was applied");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_checks_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let path = "/api/v1/users/me/password";
    let wrong =
        json!({ "current_password": "not my password", "new_password": "a brand new secret" });
    let response = app
        .send_as(Method::POST, path, &user.access_token, Some(&wrong))
        .await;
    assert_eq!(response.status(), 422);
    let short = json!({ "current_password": PASSWORD, "new_password": "short" });
    assert_eq!(
        app.send_as(Method::POST, path, &user.access_token, Some(&short))
            .await
            .status(),
        422
    );

    let good = json!({ "current_password": PASSWORD, "new_password": "a brand new secret" });
    assert_eq!(
        app.send_as(Method::POST, path, &user.access_token, Some(&good))
            .await
            .status(),
        204
    );
    let refresh = app.refresh(&user.refresh_token).await;
    assert_eq!(refresh.status(), 401, "refresh tokens are revoked");
    assert_eq!(app.login(&user.email, PASSWORD).await.status(), 401);
    assert_eq!(
        app.login(&user.email, "a brand new secret").await.status(),
        200
    );
    wait_for_audit_event(
        &app,
        doc! { "action": "user.password_changed", "target.id": &user.id },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_ever_reaches_a_stored_audit_event() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    app.login(&user.email, "a wrong password").await;
    let refreshed: Value = app.refresh(&user.refresh_token).await.json().await.unwrap();
    let guess = json!({ "current_password": "a wrong guess", "new_password": "a third secret" });
    app.send_as(
        Method::POST,
        "/api/v1/users/me/password",
        &user.access_token,
        Some(&guess),
    )
    .await;
    let change = json!({ "current_password": PASSWORD, "new_password": "another long secret" });
    app.send_as(
        Method::POST,
        "/api/v1/users/me/password",
        &user.access_token,
        Some(&change),
    )
    .await;
    wait_for_audit_event(
        &app,
        doc! { "action": "user.password_changed", "target.id": &user.id },
    )
    .await;
    wait_for_audit_event(
        &app,
        doc! { "action": "auth.login_failed", "actor.email": &user.email },
    )
    .await;
    wait_for_audit_event(
        &app,
        doc! { "action": "user.password_change_failed", "target.id": &user.id },
    )
    .await;

    let everything = format!("{:?}", stored_audit_events(&app, doc! {}).await);
    for secret in [
        PASSWORD,
        "a wrong password",
        "a wrong guess",
        "a third secret",
        "another long secret",
        user.refresh_token.as_str(),
        user.access_token.as_str(),
        refreshed["refresh_token"].as_str().unwrap(),
        "$argon2id$",
    ] {
        assert!(
            !everything.contains(secret),
            "a stored event contains a secret ({})",
            &secret[..8.min(secret.len())]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_admin_is_idempotent_and_recorded_as_system() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let again = app
        .handles
        .auth
        .provision_admin(&admin.email, PASSWORD, "Admin")
        .await
        .unwrap();
    assert!(matches!(
        again,
        stockroom::service::auth::Provisioned::AlreadyAdmin(_)
    ));
    let me: Value = app
        .get_as("/api/v1/users/me", &admin.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(
        me["permissions"].as_array().unwrap().len(),
        crate::security::contract::ALL_PERMISSIONS.len()
    );
    let event = wait_for_audit_event(
        &app,
        doc! { "action": "user.registered", "target.id": &admin.id },
    )
    .await;
    assert_eq!(
        event
            .get_document("actor")
            .unwrap()
            .get_str("email")
            .unwrap(),
        "system"
    );
    let count = stored_audit_events(
        &app,
        doc! { "action": "user.registered", "target.id": &admin.id },
    )
    .await
    .len();
    assert_eq!(count, 1);
}
