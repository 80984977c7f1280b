//! `GET /analytics/events/counts`: exact counts of the seeded events per bucket and type.

use super::support::{
    COUNTS, LOGIN, SEARCHED, VIEWED, count_rows, get_ok, rfc3339, row, seed, spawn, window,
};

#[tokio::test(flavor = "multi_thread")]
async fn hourly_counts_per_type_match_the_seeded_events() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;

    // `bucket` defaults to `hour`; sorted by start, then type; empty hours absent.
    let body = get_ok(&app, &manager, COUNTS, &s.days(0, 2)).await;
    let expected = vec![
        row(s.at(0, 1, 0, 0), LOGIN, 1),     // #6
        row(s.at(0, 1, 0, 0), SEARCHED, 1),  // #5
        row(s.at(0, 1, 0, 0), VIEWED, 3),    // #2 #3 #4
        row(s.at(0, 5, 0, 0), SEARCHED, 1),  // #8
        row(s.at(0, 5, 0, 0), VIEWED, 2),    // #7 #9
        row(s.at(1, 0, 0, 0), VIEWED, 1),    // #10
        row(s.at(1, 10, 0, 0), VIEWED, 5),   // #11 to #15 (the category view too)
        row(s.at(1, 11, 0, 0), SEARCHED, 1), // #16
        row(s.at(1, 15, 0, 0), SEARCHED, 1), // #17 (anonymous events count here)
        row(s.at(1, 23, 0, 0), VIEWED, 1),   // #18; #19 at `to` is out
    ];
    assert_eq!(count_rows(&body), expected);
    let explicit = get_ok(
        &app,
        &manager,
        COUNTS,
        &format!("{}&bucket=hour", s.days(0, 2)),
    )
    .await;
    assert_eq!(explicit, body);
    let total: i64 = expected.iter().map(|r| r.2).sum();
    assert_eq!(total, 17, "events #2 to #18");
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_counts_start_at_utc_midnight() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;

    let body = get_ok(
        &app,
        &admin,
        COUNTS,
        &format!("{}&bucket=day", s.days(0, 2)),
    )
    .await;
    assert_eq!(
        count_rows(&body),
        vec![
            row(s.at(0, 0, 0, 0), LOGIN, 1),
            row(s.at(0, 0, 0, 0), SEARCHED, 2),
            row(s.at(0, 0, 0, 0), VIEWED, 5),
            row(s.at(1, 0, 0, 0), SEARCHED, 2),
            row(s.at(1, 0, 0, 0), VIEWED, 7),
        ]
    );
    // A window starting mid-day still buckets from midnight, counting only what is inside.
    let body = get_ok(
        &app,
        &admin,
        COUNTS,
        &format!(
            "{}&bucket=day",
            window(s.at(0, 5, 0, 0), s.at(1, 10, 45, 0))
        ),
    )
    .await;
    assert_eq!(
        count_rows(&body),
        vec![
            row(s.at(0, 0, 0, 0), SEARCHED, 1), // #8
            row(s.at(0, 0, 0, 0), VIEWED, 2),   // #7 #9
            row(s.at(1, 0, 0, 0), VIEWED, 3),   // #10 #11 #12; #13 at `to` is out
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn event_type_keeps_one_type_and_an_unknown_type_gives_no_buckets() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;

    let query = format!("{}&event_type={SEARCHED}", s.days(0, 2));
    let body = get_ok(&app, &admin, COUNTS, &query).await;
    assert_eq!(
        count_rows(&body),
        vec![
            row(s.at(0, 1, 0, 0), SEARCHED, 1),
            row(s.at(0, 5, 0, 0), SEARCHED, 1),
            row(s.at(1, 11, 0, 0), SEARCHED, 1),
            row(s.at(1, 15, 0, 0), SEARCHED, 1),
        ]
    );
    let query = format!("{}&event_type={VIEWED}&bucket=day", s.days(0, 2));
    let body = get_ok(&app, &admin, COUNTS, &query).await;
    assert_eq!(
        count_rows(&body),
        vec![
            row(s.at(0, 0, 0, 0), VIEWED, 5),
            row(s.at(1, 0, 0, 0), VIEWED, 7),
        ]
    );
    let query = format!("{}&event_type=product.purchased", s.days(0, 2));
    let body = get_ok(&app, &admin, COUNTS, &query).await;
    assert_eq!(body, serde_json::json!({ "buckets": [] }));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_at_from_is_inside_and_one_at_to_is_outside() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;
    let counts = |from, to| {
        let app = &app;
        let admin = &admin;
        async move { count_rows(&get_ok(app, admin, COUNTS, &window(from, to)).await) }
    };

    // #2 sits exactly at `from` (in), #7 exactly at `to` (out).
    assert_eq!(
        counts(s.at(0, 1, 0, 0), s.at(0, 5, 0, 0)).await,
        vec![
            row(s.at(0, 1, 0, 0), LOGIN, 1),
            row(s.at(0, 1, 0, 0), SEARCHED, 1),
            row(s.at(0, 1, 0, 0), VIEWED, 3),
        ]
    );
    // One millisecond later on either side: #2 leaves, #7 enters.
    assert_eq!(
        counts(s.at(0, 1, 0, 1), s.at(0, 5, 0, 1)).await,
        vec![
            row(s.at(0, 1, 0, 0), LOGIN, 1),
            row(s.at(0, 1, 0, 0), SEARCHED, 1),
            row(s.at(0, 1, 0, 0), VIEWED, 2),
            row(s.at(0, 5, 0, 0), VIEWED, 1),
        ]
    );
    // #6 at 01:59:59.999 is the last millisecond of its hour.
    assert_eq!(
        counts(s.at(0, 1, 59, 59_999), s.at(0, 2, 0, 0)).await,
        vec![row(s.at(0, 1, 0, 0), LOGIN, 1)]
    );
    assert_eq!(
        counts(s.at(0, 1, 45, 1), s.at(0, 1, 59, 59_999)).await,
        vec![]
    );
    // Offsets other than Z name the same instants.
    let from = s
        .at(0, 1, 0, 0)
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let query = format!(
        "from={}&to={}",
        from.to_rfc3339().replace('+', "%2B"),
        rfc3339(s.at(0, 1, 30, 0))
    );
    let body = get_ok(&app, &admin, COUNTS, &query).await;
    assert_eq!(count_rows(&body), vec![row(s.at(0, 1, 0, 0), VIEWED, 2)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_previous_answers_the_window_of_the_same_length_before_from() {
    use super::support::ACTIVE;

    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;
    for path in [COUNTS, ACTIVE] {
        let plain = get_ok(&app, &admin, path, &format!("{}&bucket=day", s.days(1, 2))).await;
        assert!(plain.get("previous").is_none(), "only when asked: {plain}");
        let day_before = get_ok(&app, &admin, path, &format!("{}&bucket=day", s.days(0, 1))).await;
        let compared = get_ok(
            &app,
            &admin,
            path,
            &format!("{}&bucket=day&compare=previous", s.days(1, 2)),
        )
        .await;
        assert_eq!(compared["buckets"], plain["buckets"], "{path}");
        assert_eq!(
            compared["previous"]["buckets"], day_before["buckets"],
            "{path}"
        );
        assert!(
            !day_before["buckets"].as_array().unwrap().is_empty(),
            "the seeded day 0 has events: {day_before}"
        );
    }
    let bad = app
        .get_as(
            &format!("{COUNTS}?{}&compare=next", s.days(1, 2)),
            &admin.access_token,
        )
        .await;
    assert_eq!(bad.status(), 422, "compare takes only `previous`");
}
