//! Rollups answer as raw events do: the same seeded events read by an instance with rollups
//! off (raw events only) and by one keeping and reading `activity_rollups`, over aligned and
//! unaligned windows, hour and day buckets; then, with the raw events gone (as when they
//! expire), the rollups alone still give the same answers. Two instances keep them at once.

use std::time::Duration;

use bson::doc;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use stockroom::domain::activity::ActivityEvent;
use uuid::Uuid;

use super::support::{ACTIVE, COUNTS, SEARCHED, Seeded, TOP, VIEWED, get_ok, seed, window};
use crate::helpers::{TestApp, TestOptions, TestUser, eventually};

const SEARCHES: &str = "/api/v1/analytics/top-searches";
const CATEGORY_VIEWS: &str = "/api/v1/analytics/category-views";
const CATEGORY_1: &str = "c1111111-1111-4111-8111-111111111111";
const CATEGORY_2: &str = "c2222222-2222-4222-8222-222222222222";

fn options(rollups: bool) -> TestOptions {
    TestOptions {
        activity_retention: Duration::from_secs(30 * 86_400),
        rollups,
        ..TestOptions::default()
    }
}

fn with_metadata(
    at: DateTime<Utc>,
    event_type: &str,
    subject: &str,
    metadata: Value,
) -> ActivityEvent {
    let mut event = ActivityEvent::new(event_type, Some(Uuid::new_v4()), subject, None);
    event.occurred_at = at;
    event.metadata = metadata.as_object().cloned().unwrap_or_else(Map::new);
    event
}

/// Searches with terms and views with categories beside `seed`'s events, and an hour on
/// day -1 with more distinct terms than an hour's rollup keeps by name.
async fn seed_terms_and_categories(app: &TestApp, s: &Seeded) {
    let search = |at, q: &str, total: i64| {
        with_metadata(
            at,
            SEARCHED,
            "product",
            json!({ "q": q, "query": q, "total": total }),
        )
    };
    let view = |at, category: &str| {
        let mut event = with_metadata(at, VIEWED, "product", json!({ "category_id": category }));
        event.subject_id = Some(Uuid::new_v4().to_string());
        event
    };
    let mut events = vec![
        search(s.at(0, 1, 5, 0), "drill", 0),
        search(s.at(0, 1, 6, 0), "drill", 0),
        search(s.at(0, 9, 0, 0), "hammer", 4),
        search(s.at(1, 10, 10, 0), "drill", 2),
        search(s.at(1, 23, 59, 0), "rake", 0),
        view(s.at(0, 1, 10, 0), CATEGORY_1),
        view(s.at(0, 4, 10, 0), CATEGORY_2),
        view(s.at(1, 10, 20, 0), CATEGORY_2),
        view(s.at(1, 10, 25, 0), CATEGORY_2),
    ];
    for n in 0..101 {
        events.push(search(s.at(-1, 3, 0, n), &format!("term {n:03}"), 1));
    }
    events.push(search(s.at(-1, 3, 1, 0), "term 000", 1));
    let stored = app
        .handles
        .events
        .insert_activity_batch(&events)
        .await
        .unwrap();
    assert_eq!(stored, events.len());
}

/// Every question compared, as `(path, query)`.
fn questions(s: &Seeded) -> Vec<(&'static str, String)> {
    let unaligned = window(s.at(0, 1, 20, 0), s.at(1, 10, 50, 0));
    let up_to_now = window(s.at(0, 0, 0, 0), Utc::now() + TimeDelta::minutes(5));
    let mut asked = Vec::new();
    for range in [s.days(0, 2), unaligned.clone(), up_to_now] {
        for bucket in ["hour", "day"] {
            asked.push((COUNTS, format!("{range}&bucket={bucket}")));
            asked.push((ACTIVE, format!("{range}&bucket={bucket}")));
        }
        asked.push((
            COUNTS,
            format!("{range}&bucket=day&event_type=product.viewed"),
        ));
        asked.push((COUNTS, format!("{range}&bucket=hour&compare=previous")));
        asked.push((TOP, format!("{range}&limit=3")));
        asked.push((SEARCHES, format!("{range}&limit=10")));
        asked.push((CATEGORY_VIEWS, range));
    }
    asked
}

async fn answers(app: &TestApp, user: &TestUser, asked: &[(&str, String)]) -> Vec<Value> {
    let mut all = Vec::new();
    for (path, query) in asked {
        all.push(get_ok(app, user, path, query).await);
    }
    all
}

async fn closed_through(app: &TestApp) -> Option<DateTime<Utc>> {
    let meta = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("event_store_meta");
    let mark = meta
        .find_one(doc! { "_id": "activity_rollups" })
        .await
        .unwrap()?;
    Some(mark.get_datetime("closed_through").ok()?.to_chrono())
}

#[tokio::test(flavor = "multi_thread")]
async fn rollups_answer_as_raw_events_do_and_still_answer_once_they_expire() {
    let raw = TestApp::spawn_with(options(false)).await;
    let s = seed(&raw).await;
    seed_terms_and_categories(&raw, &s).await;
    let admin = raw.new_admin().await;
    let asked = questions(&s);
    let expected = answers(&raw, &admin, &asked).await;
    assert!(
        expected
            .iter()
            .filter(|a| *a != &json!([]) && a.get("buckets") != Some(&json!([])))
            .count()
            > 20,
        "the questions have answers to compare"
    );

    // Two instances roll up the same events at once, as behind a balancer.
    let rolled = TestApp::spawn_sharing_with(&raw, options(true)).await;
    let second = TestApp::spawn_sharing_with(&raw, options(true)).await;
    let open_hour = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    eventually("the rollups caught up", Duration::from_secs(60), || async {
        closed_through(&rolled).await.filter(|at| *at >= open_hour)
    })
    .await;
    let database = rolled.mongo.database().await;
    let rollups = database.collection::<bson::Document>("activity_rollups");
    assert!(rollups.count_documents(doc! {}).await.unwrap() > 0);
    assert_eq!(
        answers(&rolled, &admin, &asked).await,
        expected,
        "rollups answer as raw events"
    );
    assert_eq!(
        answers(&second, &admin, &asked).await,
        expected,
        "on every instance"
    );

    // The flooded hour keeps its 100 most frequent terms (ties by the term) and counts the
    // rest as `other`, so what clients type cannot grow the rollups without bound.
    let flooded = rollups
        .find_one(
            doc! { "kind": "searches", "start": bson::DateTime::from_chrono(s.at(-1, 3, 0, 0)) },
        )
        .await
        .unwrap()
        .expect("the flooded hour's searches");
    let terms = flooded.get_array("terms").unwrap();
    assert_eq!(terms.len(), 100);
    let first = terms[0].as_document().unwrap();
    assert_eq!(
        (
            first.get_str("query").unwrap(),
            first.get_i64("searches").unwrap()
        ),
        ("term 000", 2)
    );
    let other = flooded.get_document("other").unwrap();
    assert_eq!(
        other.get_i64("searches").unwrap(),
        1,
        "term 100 is the one left over"
    );

    // Raw events gone, as after their TTL: rollups alone answer for the hours they cover.
    let activity = database.collection::<bson::Document>("activity_events");
    let expired = activity
        .delete_many(
            doc! { "occurred_at": { "$lt": bson::DateTime::from_chrono(s.at(2, 0, 0, 1)) } },
        )
        .await
        .unwrap();
    assert!(expired.deleted_count > 100);
    let covered: Vec<(&str, String)> = asked
        .iter()
        .filter(|(_, query)| query.starts_with(&s.days(0, 2)))
        .cloned()
        .collect();
    let covered_answers: Vec<Value> = asked
        .iter()
        .zip(&expected)
        .filter(|((_, query), _)| query.starts_with(&s.days(0, 2)))
        .map(|(_, answer)| answer.clone())
        .collect();
    assert_eq!(answers(&rolled, &admin, &covered).await, covered_answers);
    let from_raw = get_ok(&raw, &admin, TOP, &format!("{}&limit=3", s.days(0, 2))).await;
    assert_eq!(from_raw, json!([]), "the raw events are gone indeed");
}
