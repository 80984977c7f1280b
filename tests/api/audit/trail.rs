//! Every action the service performs so far leaves an event an auditor can find through
//! the API, and none of them carries a secret.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::wait_listed;
use crate::helpers::{PASSWORD, TestApp};

#[tokio::test(flavor = "multi_thread")]
async fn each_action_so_far_is_listed_after_the_relay_ran() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    // user.registered + auth.login_succeeded
    let user = app.new_user().await;
    // auth.login_failed
    assert_eq!(
        app.login(&user.email, "a wrong password").await.status(),
        401
    );
    // auth.refresh_reuse_detected: the same refresh token twice
    let refresh = json!({ "refresh_token": user.refresh_token });
    let rotated: Value = app
        .post_json("/api/v1/auth/refresh", &refresh)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.post_json("/api/v1/auth/refresh", &refresh)
            .await
            .status(),
        401
    );
    // auth.logout, on a fresh session
    let session: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    let logout = json!({ "refresh_token": session["refresh_token"] });
    assert_eq!(
        app.post_json("/api/v1/auth/logout", &logout).await.status(),
        204
    );
    // The reuse and the logout ended those sessions: the rest goes through another one.
    let session: Value = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    let access_token = session["access_token"].as_str().unwrap().to_owned();
    // user.updated
    let patch = json!({ "full_name": "Renamed" });
    let patched = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &access_token,
            Some(&patch),
        )
        .await;
    assert_eq!(patched.status(), 200);
    // user.password_changed
    let new_password = "an entirely new secret";
    let change = json!({ "current_password": PASSWORD, "new_password": new_password });
    let changed = app
        .send_as(
            Method::POST,
            "/api/v1/users/me/password",
            &access_token,
            Some(&change),
        )
        .await;
    assert_eq!(changed.status(), 204);
    // access.denied, once more logged in (the change ended every session)
    let last: Value = app
        .login(&user.email, new_password)
        .await
        .json()
        .await
        .unwrap();
    let last_token = last["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_as("/api/v1/audit-events", last_token)
            .await
            .status(),
        403
    );

    let expected = [
        ("user.registered", "success"),
        ("auth.login_succeeded", "success"),
        ("auth.login_failed", "failure"),
        ("auth.refresh_reuse_detected", "denied"),
        ("auth.logout", "success"),
        ("user.updated", "success"),
        ("user.password_changed", "success"),
        ("access.denied", "denied"),
    ];
    let mut everything = Vec::new();
    for (action, outcome) in expected {
        let query = format!("action={action}&actor_id={}", user.id);
        let found = wait_listed(&app, &admin.access_token, &query, 1).await;
        for event in &found {
            assert_eq!(event["action"], action);
            assert_eq!(event["outcome"], outcome, "{action}");
            assert_eq!(event["actor"]["user_id"], user.id.as_str(), "{action}");
        }
        let target = &found[0]["target"];
        if action == "access.denied" {
            assert_eq!(
                *target,
                json!({ "type": "operation", "id": "list_audit_events" })
            );
        } else {
            assert_eq!(
                *target,
                json!({ "type": "user", "id": user.id }),
                "{action}"
            );
        }
        everything.extend(found);
    }
    // Four logins succeeded (registration's, the logout session's, the two after).
    let logins = wait_listed(
        &app,
        &admin.access_token,
        &format!("action=auth.login_succeeded&actor_id={}", user.id),
        4,
    )
    .await;
    assert_eq!(logins.len(), 4);

    let text = serde_json::to_string(&everything).unwrap();
    for secret in [
        PASSWORD,
        new_password,
        "a wrong password",
        user.access_token.as_str(),
        user.refresh_token.as_str(),
        rotated["refresh_token"].as_str().unwrap(),
        session["refresh_token"].as_str().unwrap(),
        "$argon2",
    ] {
        assert!(
            !text.contains(secret),
            "a listed event holds a secret ({}...)",
            &secret[..6]
        );
    }
}
