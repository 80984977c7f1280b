//! `GET /users/me/activity`: the caller's own events and nobody else's.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use stockroom::domain::audit::Outcome;
use uuid::Uuid;

use super::support::{all_pages, by, crafted, get_ok, ids, invalid_fields, items, record};
use crate::helpers::{TestApp, TestUser, eventually};

const ACTIVITY: &str = "/api/v1/users/me/activity";

async fn rename(app: &TestApp, user: &TestUser, name: &str) {
    let response = app
        .send_as(
            Method::PATCH,
            "/api/v1/users/me",
            &user.access_token,
            Some(&json!({ "full_name": name })),
        )
        .await;
    assert_eq!(response.status(), 200);
}

/// Polls the caller's activity until it lists `count` events.
async fn activity(app: &TestApp, user: &TestUser, count: usize) -> Vec<Value> {
    eventually(
        &format!("{count} activity events for {}", user.email),
        super::support::DELIVERY_DEADLINE,
        || async move {
            let page = get_ok(app, &user.access_token, &format!("{ACTIVITY}?limit=100")).await;
            let found = items(&page);
            (found.len() >= count).then_some(found)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn users_see_their_own_activity_and_never_anothers() {
    let app = TestApp::spawn().await;
    let alice = app.new_user().await;
    let bob = app.new_user().await;
    rename(&app, &alice, "Alice").await;
    rename(&app, &bob, "Bob").await;
    // Bob acting on Alice is Bob's activity, not Alice's.
    let alice_id: Uuid = alice.id.parse().unwrap();
    let bob_id: Uuid = bob.id.parse().unwrap();
    let on_alice = by(
        crafted("test.acted_on", "user", &alice.id),
        Some(bob_id),
        Outcome::Success,
    );
    let alices_own = by(
        crafted("test.acted", "thing", "t-1"),
        Some(alice_id),
        Outcome::Success,
    );
    record(&app, &[on_alice.clone(), alices_own.clone()]).await;

    // registered, login, updated, crafted: four each.
    let seen_by_alice = activity(&app, &alice, 4).await;
    let seen_by_bob = activity(&app, &bob, 4).await;
    for (events, owner, other) in [(&seen_by_alice, &alice, &bob), (&seen_by_bob, &bob, &alice)] {
        assert_eq!(events.len(), 4);
        for event in events {
            assert_eq!(event["actor"]["user_id"], owner.id.as_str());
        }
        let text = serde_json::to_string(events).unwrap();
        assert!(!text.contains(&other.email), "no trace of the other user");
        let actions: HashSet<&str> = events
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains("user.updated") && actions.contains("user.registered"));
    }
    assert!(ids(&seen_by_alice).contains(&alices_own.id.to_string()));
    assert!(!ids(&seen_by_alice).contains(&on_alice.id.to_string()));
    assert!(ids(&seen_by_bob).contains(&on_alice.id.to_string()));
    // The shape is that of /audit-events.
    let updated = seen_by_alice
        .iter()
        .find(|e| e["action"] == "user.updated")
        .unwrap();
    assert_eq!(
        updated["changes"],
        json!({ "full_name": { "from": "Test User", "to": "Alice" } })
    );
    assert!(updated["occurred_at"].is_string() && updated["request_id"].is_string());

    // Page by page, the same events in the same order, none twice.
    let paged = all_pages(&app, &alice.access_token, ACTIVITY, "limit=1").await;
    assert_eq!(paged, seen_by_alice);
    // Parameters that would widen the view are not parameters here.
    let widened = get_ok(
        &app,
        &alice.access_token,
        &format!("{ACTIVITY}?actor_id={}&limit=100", bob.id),
    )
    .await;
    assert_eq!(ids(&items(&widened)), ids(&seen_by_alice));
}

#[tokio::test(flavor = "multi_thread")]
async fn activity_needs_a_token_and_valid_paging() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let anonymous = app.get(ACTIVITY).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let response = app
            .get_as(&format!("{ACTIVITY}?{query}"), &user.access_token)
            .await;
        assert_eq!(invalid_fields(response).await, [field], "{query}");
    }
    let page = activity(&app, &user, 2).await;
    assert_eq!(page.len(), 2, "registration and login");
    let first = get_ok(&app, &user.access_token, &format!("{ACTIVITY}?limit=1")).await;
    assert!(first["next_cursor"].is_string());
    assert_eq!(items(&first).len(), 1);
}
