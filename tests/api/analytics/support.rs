//! A known set of activity events, stored the way the activity writer stores them, and
//! helpers to read the analytics endpoints.
//!
//! Day 0 (`d0`) is the UTC midnight three days ago, so every seeded event lies in whole
//! hours and days, at least a day before any event the test's own logins record, and well
//! inside the retention these tests run with.

use std::time::Duration;

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;
use stockroom::domain::activity::ActivityEvent;
use uuid::Uuid;

use crate::helpers::{TestApp, TestOptions, TestUser};

pub const COUNTS: &str = "/api/v1/analytics/events/counts";
pub const TOP: &str = "/api/v1/analytics/top-products";
pub const ACTIVE: &str = "/api/v1/analytics/active-users";

pub const VIEWED: &str = "product.viewed";
pub const SEARCHED: &str = "product.searched";
pub const LOGIN: &str = "auth.login_succeeded";

/// Product ids whose ascending order differs from their order by views.
pub const HOT: &str = "99999999-9999-4999-8999-999999999999";
pub const P_A: &str = "11111111-1111-4111-8111-111111111111";
pub const P_B: &str = "22222222-2222-4222-8222-222222222222";
pub const P_D: &str = "44444444-4444-4444-8444-444444444444";

/// An app whose activity retention (30 days) keeps the seeded days.
pub async fn spawn() -> TestApp {
    TestApp::spawn_with(TestOptions {
        activity_retention: Duration::from_secs(30 * 86_400),
        ..TestOptions::default()
    })
    .await
}

pub struct Seeded {
    pub d0: DateTime<Utc>,
    pub alice: Uuid,
    pub bob: Uuid,
    pub carol: Uuid,
    pub dan: Uuid,
}

impl Seeded {
    /// `d0` plus days, hours, minutes and milliseconds.
    pub fn at(&self, days: i64, hours: i64, minutes: i64, millis: i64) -> DateTime<Utc> {
        self.d0
            + TimeDelta::days(days)
            + TimeDelta::hours(hours)
            + TimeDelta::minutes(minutes)
            + TimeDelta::milliseconds(millis)
    }

    /// `from=..&to=..` for `[d0 + from_days, d0 + to_days)`.
    pub fn days(&self, from_days: i64, to_days: i64) -> String {
        window(self.at(from_days, 0, 0, 0), self.at(to_days, 0, 0, 0))
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn window(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!("from={}&to={}", rfc3339(from), rfc3339(to))
}

fn event(
    at: DateTime<Utc>,
    event_type: &str,
    actor: Option<Uuid>,
    subject: (&str, Option<&str>),
) -> ActivityEvent {
    let mut event = ActivityEvent::new(event_type, actor, subject.0, subject.1.map(str::to_owned));
    event.occurred_at = at;
    event
}

/// Stores the known events (numbered as in the comments the tests refer to) with the
/// activity writer's own document mapping, and waits for nothing: the insert is direct.
///
/// Inside `[d0, d0 + 2 days)`:
///
/// | # | at (day hh:mm) | type | actor | subject |
/// |---|---|---|---|---|
/// | 2 | 0 01:00 | viewed | alice | product B |
/// | 3 | 0 01:15 | viewed | alice | product B |
/// | 4 | 0 01:30 | viewed | bob | product A |
/// | 5 | 0 01:45 | searched | none | search |
/// | 6 | 0 01:59:59.999 | login | carol | user carol |
/// | 7 | 0 05:00 | viewed | bob | product HOT |
/// | 8 | 0 05:20 | searched | alice | search |
/// | 9 | 0 05:30 | viewed | none | product A |
/// | 10 | 1 00:00 | viewed | dan | product A |
/// | 11 | 1 10:30 | viewed | alice | product HOT |
/// | 12 | 1 10:40 | viewed | bob | product HOT |
/// | 13 | 1 10:45 | viewed | carol | product HOT |
/// | 14 | 1 10:50 | viewed | alice | category D (not a product view) |
/// | 15 | 1 10:55 | viewed | bob | product B |
/// | 16 | 1 11:00 | searched | bob | search |
/// | 17 | 1 15:00 | searched | none | search |
/// | 18 | 1 23:00 | viewed | alice | product D |
///
/// Outside: #1 at day -1 23:00 and #19 at day 2 00:00 (exactly at `to`), both views of D.
pub async fn seed(app: &TestApp) -> Seeded {
    let now = Utc::now();
    let d0 = now.duration_trunc(TimeDelta::days(1)).unwrap() - TimeDelta::days(3);
    let s = Seeded {
        d0,
        alice: Uuid::new_v4(),
        bob: Uuid::new_v4(),
        carol: Uuid::new_v4(),
        dan: Uuid::new_v4(),
    };
    let product = |id| ("product", Some(id));
    let search = ("search", None);
    let carol = s.carol.to_string();
    let events = vec![
        event(s.at(-1, 23, 0, 0), VIEWED, Some(s.alice), product(P_D)),
        event(s.at(0, 1, 0, 0), VIEWED, Some(s.alice), product(P_B)),
        event(s.at(0, 1, 15, 0), VIEWED, Some(s.alice), product(P_B)),
        event(s.at(0, 1, 30, 0), VIEWED, Some(s.bob), product(P_A)),
        event(s.at(0, 1, 45, 0), SEARCHED, None, search),
        event(
            s.at(0, 1, 59, 59_999),
            LOGIN,
            Some(s.carol),
            ("user", Some(&carol)),
        ),
        event(s.at(0, 5, 0, 0), VIEWED, Some(s.bob), product(HOT)),
        event(s.at(0, 5, 20, 0), SEARCHED, Some(s.alice), search),
        event(s.at(0, 5, 30, 0), VIEWED, None, product(P_A)),
        event(s.at(1, 0, 0, 0), VIEWED, Some(s.dan), product(P_A)),
        event(s.at(1, 10, 30, 0), VIEWED, Some(s.alice), product(HOT)),
        event(s.at(1, 10, 40, 0), VIEWED, Some(s.bob), product(HOT)),
        event(s.at(1, 10, 45, 0), VIEWED, Some(s.carol), product(HOT)),
        event(
            s.at(1, 10, 50, 0),
            VIEWED,
            Some(s.alice),
            ("category", Some(P_D)),
        ),
        event(s.at(1, 10, 55, 0), VIEWED, Some(s.bob), product(P_B)),
        event(s.at(1, 11, 0, 0), SEARCHED, Some(s.bob), search),
        event(s.at(1, 15, 0, 0), SEARCHED, None, search),
        event(s.at(1, 23, 0, 0), VIEWED, Some(s.alice), product(P_D)),
        event(s.at(2, 0, 0, 0), VIEWED, Some(s.alice), product(P_D)),
    ];
    let stored = app
        .handles
        .events
        .insert_activity_batch(&events)
        .await
        .expect("activity events stored");
    assert_eq!(stored, events.len());
    s
}

/// `GET path?query` as `user`, asserting 200; the JSON body.
pub async fn get_ok(app: &TestApp, user: &TestUser, path: &str, query: &str) -> Value {
    let url = format!("{path}?{query}");
    let response = app.get_as(&url, &user.access_token).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .expect("an RFC 3339 string")
        .parse()
        .expect("an RFC 3339 date-time")
}

/// The counts buckets as `(start, event_type, count)`, in answer order.
pub fn count_rows(body: &Value) -> Vec<(DateTime<Utc>, String, i64)> {
    body["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            (
                time(&b["start"]),
                b["event_type"].as_str().unwrap().to_owned(),
                b["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The active-users buckets as `(start, active_users)`, in answer order.
pub fn active_rows(body: &Value) -> Vec<(DateTime<Utc>, i64)> {
    body["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| (time(&b["start"]), b["active_users"].as_i64().unwrap()))
        .collect()
}

/// The top products as `(product_id, views)`, in answer order.
pub fn top_rows(body: &Value) -> Vec<(String, i64)> {
    body.as_array()
        .expect("a JSON array")
        .iter()
        .map(|p| {
            (
                p["product_id"].as_str().unwrap().to_owned(),
                p["views"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `(start, event_type, count)` with owned strings, for expected rows.
pub fn row(start: DateTime<Utc>, event_type: &str, count: i64) -> (DateTime<Utc>, String, i64) {
    (start, event_type.to_owned(), count)
}
