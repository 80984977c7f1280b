//! Revocation reaches access tokens: each carries its session (`sid`, the refresh-token
//! family), and ending a session ends its access tokens at once, here and on every other
//! instance, without waiting for them to expire.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, eventually};

async fn me_status(app: &TestApp, token: &str) -> u16 {
    app.get_as("/api/v1/users/me", token)
        .await
        .status()
        .as_u16()
}

/// A second session of `user` (another login).
async fn second_session(app: &TestApp, user: &TestUser) -> Value {
    let response = app.login(&user.email, PASSWORD).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The `sid` claim of an access token.
pub fn sid_of(token: &str) -> String {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().expect("a sid claim").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_that_sessions_access_tokens_at_once_and_only_those() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other = second_session(&app, &user).await;
    let other_access = other["access_token"].as_str().unwrap();
    assert_ne!(sid_of(&user.access_token), sid_of(other_access));
    // Remembered first, so the test also proves the cache forgets.
    assert_eq!(me_status(&app, &user.access_token).await, 200);
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert_eq!(me_status(&app, &user.access_token).await, 401);
    assert_eq!(
        me_status(&app, other_access).await,
        200,
        "the other session lives"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_reuse_ends_the_familys_access_tokens() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let rotated: Value = app.refresh(&user.refresh_token).await.json().await.unwrap();
    let rotated_access = rotated["access_token"].as_str().unwrap();
    assert_eq!(sid_of(rotated_access), sid_of(&user.access_token));
    assert_eq!(me_status(&app, rotated_access).await, 200);
    // The first refresh token again: reuse.
    assert_eq!(app.refresh(&user.refresh_token).await.status(), 401);
    assert_eq!(me_status(&app, &user.access_token).await, 401);
    assert_eq!(me_status(&app, rotated_access).await, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_ends_every_earlier_access_token_of_the_user() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let other = second_session(&app, &user).await;
    let other_access = other["access_token"].as_str().unwrap();
    assert_eq!(me_status(&app, other_access).await, 200);
    let changed = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/password",
            &user.access_token,
            Some(
                &json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }),
            ),
        )
        .await;
    assert_eq!(changed.status(), 204);
    assert_eq!(me_status(&app, &user.access_token).await, 401);
    assert_eq!(me_status(&app, other_access).await, 401);
    let login = app.login(&user.email, "a brand new passphrase").await;
    let pair: Value = login.json().await.unwrap();
    assert_eq!(
        me_status(&app, pair["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reactivation_never_revives_tokens_issued_before_the_deactivation() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    assert_eq!(me_status(&app, &user.access_token).await, 200);
    let path = format!("/api/v1/users/{}", user.id);
    let deactivated = app
        .send_as(Method::DELETE, &path, &admin.access_token, None)
        .await;
    assert_eq!(deactivated.status(), 204);
    assert_eq!(me_status(&app, &user.access_token).await, 401);
    let reactivated = app
        .send_as(
            Method::PATCH,
            &path,
            &admin.access_token,
            Some(&json!({ "is_active": true })),
        )
        .await;
    assert_eq!(reactivated.status(), 200);
    assert_eq!(me_status(&app, &user.access_token).await, 401);
    assert_eq!(app.refresh(&user.refresh_token).await.status(), 401);
    let login = app.login(&user.email, PASSWORD).await;
    let pair: Value = login.json().await.unwrap();
    assert_eq!(
        me_status(&app, pair["access_token"].as_str().unwrap()).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_instance_stops_honouring_a_logged_out_session_once_it_hears_of_it() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    // A second instance on the same stores, with its own identity cache.
    let twin = TestApp::spawn_sharing(&app).await;
    eventually("the twin to remember", Duration::from_secs(10), || async {
        (me_status(&twin, &user.access_token).await == 200).then_some(())
    })
    .await;
    assert_eq!(me_status(&twin, &user.access_token).await, 200);
    let logout = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    eventually("the twin to hear of it", Duration::from_secs(2), || async {
        (me_status(&twin, &user.access_token).await == 401).then_some(())
    })
    .await;
}
