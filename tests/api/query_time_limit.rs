//! Audit and analytics reads carry `maxTimeMS`: a query the server cannot finish in time is
//! stopped there and answered with a 503 problem, never a 500 and never a hung request.

use std::time::Duration;

use bson::{Document, doc};
use chrono::{TimeDelta, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::{TestApp, TestOptions};

/// Enough documents that no server scans them within the 1 ms limit set below.
const SEEDED: usize = 20_000;

async fn insert(app: &TestApp, collection: &str, documents: Vec<Document>) {
    let collection = app
        .mongo
        .database()
        .await
        .collection::<Document>(collection);
    for chunk in documents.chunks(5_000) {
        collection
            .insert_many(chunk.to_vec())
            .ordered(false)
            .await
            .expect("seeded");
    }
}

async fn assert_cut_off(app: &TestApp, token: &str, path: &str, detail: &str) {
    let response = app.get_as(path, token).await;
    assert_eq!(response.status(), 503, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["detail"], detail, "{path}");
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_and_analytics_reads_over_the_time_limit_answer_503() {
    let app = TestApp::spawn_with(TestOptions {
        mongodb_query_timeout: Duration::from_millis(1),
        ..TestOptions::default()
    })
    .await;
    let admin = app.new_admin().await;
    let now = Utc::now();
    let at = |i: usize| {
        let seconds = i64::try_from(i).unwrap();
        bson::DateTime::from_chrono(now - TimeDelta::seconds(seconds))
    };
    // Documents of the stored shape (the validators refuse others). Successful events only, so `outcome=failure` finds nothing after scanning them all.
    let audit = (0..SEEDED)
        .map(|i| {
            doc! {
                "_id": bson::Uuid::from(Uuid::new_v4()),
                "schema_version": 1,
                "occurred_at": at(i),
                "action": "product.viewed.seeded",
                "outcome": "success",
                "actor": {},
                "target": { "type": "product", "id": i.to_string() },
                "metadata": {},
            }
        })
        .collect();
    insert(&app, "audit_events", audit).await;
    let activity = (0..SEEDED)
        .map(|i| {
            doc! {
                "_id": bson::Uuid::from(Uuid::new_v4()),
                "schema_version": 1,
                "occurred_at": at(i),
                "event_type": "product.viewed",
                "actor_id": Uuid::new_v4().to_string(),
                "subject": { "type": "product", "id": (i % 50).to_string() },
                "metadata": {},
            }
        })
        .collect();
    insert(&app, "activity_events", activity).await;

    let token = &admin.access_token;
    let audit_detail =
        "The audit store did not answer in time; narrow the filters or retry shortly.";
    assert_cut_off(
        &app,
        token,
        "/api/v1/audit-events?outcome=failure",
        audit_detail,
    )
    .await;
    let window = format!(
        "from={}&to={}",
        (now - TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let analytics_detail =
        "The analytics store did not answer in time; narrow the window or retry shortly.";
    for path in [
        "/api/v1/analytics/events/counts",
        "/api/v1/analytics/active-users",
    ] {
        assert_cut_off(&app, token, &format!("{path}?{window}"), analytics_detail).await;
    }
}
