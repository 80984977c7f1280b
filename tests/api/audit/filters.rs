//! Filters on `GET /audit-events`: each one alone, combined, and at the time bounds.

use serde_json::json;
use stockroom::domain::audit::{AuditEvent, Outcome};
use uuid::Uuid;

use super::support::{at, by, crafted, get_ok, ids, items, list, record, wait_listed};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn filters_select_exactly_the_matching_events() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let e1 = at(
        by(
            crafted("test.alpha", "doc", "d1"),
            Some(a),
            Outcome::Success,
        ),
        "2020-01-01T00:00:00Z",
    );
    let e2 = at(
        by(crafted("test.beta", "doc", "d2"), Some(a), Outcome::Denied),
        "2020-01-02T00:00:00Z",
    );
    let e3 = at(
        by(
            crafted("test.alpha", "doc", "d1"),
            Some(b),
            Outcome::Failure,
        ),
        "2020-01-03T00:00:00Z",
    );
    let e4 = at(
        by(crafted("test.beta", "file", "d1"), None, Outcome::Success),
        "2020-01-04T00:00:00.500Z",
    );
    record(&app, &[e1.clone(), e2.clone(), e3.clone(), e4.clone()]).await;
    // Only the crafted events lie before 2021; the admin's own events are newer.
    let scope = "to=2020-12-31T00:00:00Z";
    wait_listed(&app, &admin.access_token, scope, 4).await;

    let id = |e: &AuditEvent| e.id.to_string();
    // Each query carries its own upper bound: a repeated parameter is not a second filter.
    let cases: Vec<(String, Vec<String>)> = vec![
        (scope.into(), vec![id(&e4), id(&e3), id(&e2), id(&e1)]),
        (format!("{scope}&actor_id={a}"), vec![id(&e2), id(&e1)]),
        (format!("{scope}&action=test.alpha"), vec![id(&e3), id(&e1)]),
        (
            format!("{scope}&target_type=doc&target_id=d1"),
            vec![id(&e3), id(&e1)],
        ),
        (
            format!("{scope}&target_id=d1"),
            vec![id(&e4), id(&e3), id(&e1)],
        ),
        (format!("{scope}&outcome=denied"), vec![id(&e2)]),
        (
            format!("{scope}&action=test.alpha&outcome=failure"),
            vec![id(&e3)],
        ),
        (
            "from=2020-01-02T00:00:00Z&to=2020-01-03T00:00:00Z".into(),
            vec![id(&e3), id(&e2)],
        ),
        // Sub-millisecond bounds round inwards: .5004 excludes .500 as `from`...
        (format!("{scope}&from=2020-01-04T00:00:00.5004Z"), vec![]),
        // ...and includes it as `to`.
        (
            "from=2020-01-03T12:00:00Z&to=2020-01-04T00:00:00.5004Z".into(),
            vec![id(&e4)],
        ),
        // Text is matched literally, never as a query operator.
        (
            format!("{scope}&target_id=%7B%22%24ne%22%3Anull%7D"),
            vec![],
        ),
        (format!("{scope}&actor_id={}", Uuid::new_v4()), vec![]),
    ];
    for (query, expected) in cases {
        let page = list(&app, &admin.access_token, &query).await;
        assert_eq!(ids(&items(&page)), expected, "query `{query}`");
    }
    let anonymous = get_ok(
        &app,
        &admin.access_token,
        &format!("/api/v1/audit-events/{}", e4.id),
    )
    .await;
    assert_eq!(
        anonymous["actor"],
        json!({}),
        "unknown actor fields are absent"
    );
    assert_eq!(anonymous["occurred_at"], "2020-01-04T00:00:00.500+00:00");
}
