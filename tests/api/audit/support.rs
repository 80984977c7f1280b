//! Helpers for the audit tests: reading the trail through HTTP and crafting events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use stockroom::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target};
use stockroom::repo::pg::PgOutbox;
use uuid::Uuid;

use crate::helpers::{TestApp, eventually};

pub const PROBLEM: &str = "application/problem+json";
/// How long the outbox relay (every 50 ms) may take to deliver what a test recorded.
pub const DELIVERY_DEADLINE: Duration = Duration::from_secs(15);

/// `GET path` as `token`, asserting 200; the JSON body.
pub async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get_as(path, token).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// One page of `GET /api/v1/audit-events?{query}`.
pub async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    get_ok(app, token, &format!("/api/v1/audit-events?{query}")).await
}

pub fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().expect("items").clone()
}

pub fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls the first page of `query` (limit 100) through the API until it holds at least
/// `count` events; the relay delivers asynchronously.
pub async fn wait_listed(app: &TestApp, token: &str, query: &str, count: usize) -> Vec<Value> {
    eventually(
        &format!("{count} audit events listed for `{query}`"),
        DELIVERY_DEADLINE,
        || async move {
            let page = list(app, token, &format!("{query}&limit=100")).await;
            let found = items(&page);
            (found.len() >= count).then_some(found)
        },
    )
    .await
}

/// Follows `next_cursor` from the first page of `base?query` to the end.
pub async fn all_pages(app: &TestApp, token: &str, base: &str, query: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1_000 {
        let path = match &cursor {
            None => format!("{base}?{query}"),
            Some(c) => format!("{base}?{query}&cursor={c}"),
        };
        let page = get_ok(app, token, &path).await;
        seen.extend(items(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
    }
    panic!("pagination of {base}?{query} did not end");
}

/// The field names a 422 problem lists, asserting it is one.
pub async fn invalid_fields(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 422);
    assert_eq!(response.headers()["content-type"], PROBLEM);
    let problem: Value = response.json().await.unwrap();
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// An event as a service would record it, for tests that need exact fields.
/// Its `action` may be a name of the test's own (`test.*`), which no service records, so
/// that a test's events stand apart from everyone else's.
pub fn crafted(action: &str, target_type: &str, target_id: &str) -> AuditEvent {
    let mut event = AuditEvent::new(
        AuditAction::UserUpdated,
        Outcome::Success,
        Actor::default(),
        Target {
            target_type: target_type.to_owned(),
            id: Some(target_id.to_owned()),
        },
    );
    event.action = action.to_owned();
    event
}

pub fn by(mut event: AuditEvent, user_id: Option<Uuid>, outcome: Outcome) -> AuditEvent {
    event.actor.user_id = user_id;
    event.outcome = outcome;
    event
}

pub fn at(mut event: AuditEvent, rfc3339: &str) -> AuditEvent {
    event.occurred_at = DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc);
    event
}

/// Records events through the outbox, exactly as the services do; the relay delivers them.
pub async fn record(app: &TestApp, events: &[AuditEvent]) {
    PgOutbox
        .record(&app.handles.pool, events)
        .await
        .expect("events recorded in the outbox");
}

/// Newest first, as the API orders events: `occurred_at` desc, then id desc.
pub fn newest_first(events: &[AuditEvent]) -> Vec<String> {
    let mut sorted: Vec<&AuditEvent> = events.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.occurred_at, e.id)));
    sorted.iter().map(|e| e.id.to_string()).collect()
}
