//! Passwords: the rules of a new one (API.md: 8..=128 characters, not one of the most common
//! passwords, not the current one), the password change as no guessing oracle (limited per
//! user, every wrong guess audited), and hashing under load (one bounded queue, so a flood
//! of logins is answered 503 with `Retry-After` instead of exhausting memory and CPU).

use std::time::{Duration, Instant};

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, TestOptions, eventually, stored_audit_events, unique_email,
};
use crate::rate_limits::{assert_rate_limited, client_from};

const CHANGE: &str = "/api/v1/users/me/password";
const COMMON: &str = "is one of the most commonly used passwords; choose another";

/// The `errors` of a 422 problem as (field, message) pairs.
async fn field_errors(response: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap().to_owned();
            (text("field"), text("message"))
        })
        .collect()
}

fn change(current: &str, new: &str) -> Value {
    json!({ "current_password": current, "new_password": new })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_most_common_passwords_are_refused_whatever_their_case() {
    let app = TestApp::spawn().await;
    for common in ["password123", "QwertyUIOP", " iloveyou1 "] {
        let refused = app.register(&unique_email("common"), common).await;
        assert_eq!(
            field_errors(refused).await,
            [("password".to_owned(), COMMON.to_owned())],
            "{common:?}"
        );
    }
    let user = app.new_user().await;
    let refused = app
        .send_as(
            Method::POST,
            CHANGE,
            &user.access_token,
            Some(&change(PASSWORD, "Football1")),
        )
        .await;
    assert_eq!(
        field_errors(refused).await,
        [("new_password".to_owned(), COMMON.to_owned())]
    );
    let provisioned = app
        .handles
        .auth
        .provision_admin(&unique_email("admin"), "1q2w3e4r5t", "Admin")
        .await;
    match provisioned {
        Err(stockroom::service::error::ServiceError::Validation(issues)) => {
            assert_eq!(issues.len(), 1);
            assert_eq!(
                (issues[0].field.as_str(), issues[0].message.as_str()),
                ("password", COMMON)
            );
        }
        other => panic!("create-admin took a common password: {other:?}"),
    }
    assert_eq!(
        app.register(&unique_email("rare"), "password123 but longer")
            .await
            .status(),
        201,
        "only the listed passwords themselves"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_password_equal_to_the_current_one_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let same = app
        .send_as(
            Method::POST,
            CHANGE,
            &user.access_token,
            Some(&change(PASSWORD, PASSWORD)),
        )
        .await;
    assert_eq!(
        field_errors(same).await,
        [(
            "new_password".to_owned(),
            "must differ from the current password".to_owned()
        )]
    );
    assert_eq!(
        app.refresh(&user.refresh_token).await.status(),
        200,
        "nothing changed: the session lives on"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_current_passwords_are_audited_and_limited_per_user() {
    let app = TestApp::spawn_with(TestOptions {
        password_change_per_minute: 3,
        ..TestOptions::default()
    })
    .await;
    let user = app.new_user().await;
    for i in 0..3 {
        let guess = app
            .send_as(
                Method::POST,
                CHANGE,
                &user.access_token,
                Some(&change(&format!("guess number {i}"), "a brand new secret")),
            )
            .await;
        assert_eq!(
            field_errors(guess).await,
            [(
                "current_password".to_owned(),
                "is not the current password".to_owned()
            )]
        );
    }
    let stopped = app
        .send_as(
            Method::POST,
            CHANGE,
            &user.access_token,
            Some(&change(PASSWORD, "a brand new secret")),
        )
        .await;
    assert_rate_limited("password change per user", stopped).await;
    // Per user: a new session from another address is the same user.
    let again = client_from("127.0.6.1")
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": user.email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let token = again.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let elsewhere = client_from("127.0.6.1")
        .post(app.url(CHANGE))
        .bearer_auth(&token)
        .json(&change(PASSWORD, "a brand new secret"))
        .send()
        .await
        .unwrap();
    assert_rate_limited("the same user from elsewhere", elsewhere).await;
    let other = app.new_user().await;
    let unaffected = app
        .send_as(
            Method::POST,
            CHANGE,
            &other.access_token,
            Some(&change(PASSWORD, "a brand new secret")),
        )
        .await;
    assert_eq!(
        unaffected.status(),
        204,
        "another user has a budget of their own"
    );

    let failed = doc! { "action": "user.password_change_failed", "target.id": &user.id };
    let events = eventually("three failure events", Duration::from_secs(15), || {
        let filter = failed.clone();
        let app = &app;
        async move {
            let events = stored_audit_events(app, filter).await;
            (events.len() >= 3).then_some(events)
        }
    })
    .await;
    assert_eq!(events.len(), 3, "one per wrong guess, none for refusals");
    for event in &events {
        assert_eq!(event.get_str("outcome").unwrap(), "failure");
        let actor = event.get_document("actor").unwrap();
        assert_eq!(actor.get_str("email").unwrap(), user.email);
        assert!(!format!("{event:?}").contains("guess number"), "no secret");
    }
}

const PARALLEL_LOGINS: usize = 40;

#[tokio::test(flavor = "multi_thread")]
async fn logins_beyond_the_hash_queue_get_503_with_retry_after_and_liveness_stays_fast() {
    let app = TestApp::spawn_with(TestOptions {
        password_hash_concurrency: 1,
        password_hash_queue_timeout: Duration::from_millis(100),
        ..TestOptions::default()
    })
    .await;
    let email = unique_email("queued");
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);

    let logins = futures::future::join_all((0..PARALLEL_LOGINS).map(|i| {
        let (email, password) = match i % 3 {
            0 => (email.clone(), PASSWORD),
            1 => (email.clone(), "not the password at all"),
            _ => (unique_email("nobody"), PASSWORD),
        };
        let app = &app;
        async move { app.login(&email, password).await }
    }));
    let probes = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            assert_eq!(app.get("/health/live").await.status(), 200);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slowest
    };
    let (answers, slowest_probe) = tokio::join!(logins, probes);

    let mut refused = 0;
    for answer in answers {
        match answer.status().as_u16() {
            200 | 401 => {}
            503 => {
                refused += 1;
                assert_eq!(answer.headers()["retry-after"], "1");
                assert_eq!(answer.headers()["content-type"], "application/problem+json");
                let problem: Value = answer.json().await.unwrap();
                assert_eq!(problem["status"], 503);
                assert!(problem["detail"].as_str().unwrap().contains("retry"));
            }
            other => panic!("{other}: {}", answer.text().await.unwrap()),
        }
    }
    assert!(
        refused > 0,
        "{PARALLEL_LOGINS} logins at once with one hash slot and a 100 ms wait: some are refused"
    );
    assert!(
        refused < PARALLEL_LOGINS,
        "the queue still serves some of them"
    );
    assert!(
        slowest_probe < Duration::from_secs(2),
        "/health/live took {slowest_probe:?} during the flood"
    );
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        200,
        "served again once the flood is over"
    );
}
