//! `GET /analytics/top-products` and `GET /analytics/active-users` over the seeded events.

use super::support::{
    ACTIVE, HOT, P_A, P_B, P_D, TOP, active_rows, get_ok, seed, spawn, top_rows, window,
};

fn top(rows: &[(&str, i64)]) -> Vec<(String, i64)> {
    rows.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn top_products_rank_by_views_then_id_and_stop_at_limit() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;

    // HOT: #7 #11 #12 #13; A: #4 #9 #10 (one anonymous view counts); B: #2 #3 #15;
    // D: #18 only (#14 is a category, #1 and #19 are outside the window).
    let all = get_ok(&app, &admin, TOP, &s.days(0, 2)).await;
    assert_eq!(
        top_rows(&all),
        top(&[(HOT, 4), (P_A, 3), (P_B, 3), (P_D, 1)]),
        "default limit 10 holds all four"
    );
    assert_eq!(all[0].as_object().unwrap().len(), 3, "{all}");
    assert_eq!(
        all[0]["name"],
        serde_json::Value::Null,
        "no such product in the catalogue: {all}"
    );

    // The tie between A and B is cut by id: A stays, B goes.
    let two = get_ok(&app, &admin, TOP, &format!("{}&limit=2", s.days(0, 2))).await;
    assert_eq!(top_rows(&two), top(&[(HOT, 4), (P_A, 3)]));
    let one = get_ok(&app, &admin, TOP, &format!("{}&limit=1", s.days(0, 2))).await;
    assert_eq!(top_rows(&one), top(&[(HOT, 4)]));
    let hundred = get_ok(&app, &admin, TOP, &format!("{}&limit=100", s.days(0, 2))).await;
    assert_eq!(hundred, all);

    // A narrower window: the hour of #11 to #15; #7 (day 0) and #18 fall out.
    let hour = get_ok(
        &app,
        &admin,
        TOP,
        &window(s.at(1, 10, 0, 0), s.at(1, 11, 0, 0)),
    )
    .await;
    assert_eq!(top_rows(&hour), top(&[(HOT, 3), (P_B, 1)]));
    // Edges: #19 at d0 + 2 days is the only view in a window starting there.
    let edge = get_ok(&app, &admin, TOP, &s.days(2, 3)).await;
    assert_eq!(top_rows(&edge), top(&[(P_D, 1)]));
    let before = get_ok(&app, &admin, TOP, &s.days(-1, 0)).await;
    assert_eq!(top_rows(&before), top(&[(P_D, 1)]), "#1 only");
    let nothing = get_ok(&app, &admin, TOP, &s.days(-10, -2)).await;
    assert_eq!(nothing, serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn active_users_count_distinct_actors_per_bucket_and_never_anonymous_ones() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;

    let hourly = get_ok(&app, &manager, ACTIVE, &s.days(0, 2)).await;
    assert_eq!(
        active_rows(&hourly),
        vec![
            (s.at(0, 1, 0, 0), 3),  // alice twice (#2 #3), bob, carol; anonymous #5 not
            (s.at(0, 5, 0, 0), 2),  // bob, alice; anonymous #9 not
            (s.at(1, 0, 0, 0), 1),  // dan
            (s.at(1, 10, 0, 0), 3), // alice, bob, carol, alice, bob
            (s.at(1, 11, 0, 0), 1), // bob
            // 15:00 holds only the anonymous #17: absent, not zero.
            (s.at(1, 23, 0, 0), 1), // alice
        ]
    );
    let explicit = get_ok(
        &app,
        &manager,
        ACTIVE,
        &format!("{}&bucket=hour", s.days(0, 2)),
    )
    .await;
    assert_eq!(explicit, hourly);

    let daily = get_ok(
        &app,
        &manager,
        ACTIVE,
        &format!("{}&bucket=day", s.days(0, 2)),
    )
    .await;
    assert_eq!(
        active_rows(&daily),
        vec![(s.at(0, 0, 0, 0), 3), (s.at(1, 0, 0, 0), 4)],
        "day 0: alice, bob, carol; day 1: dan too"
    );
    // Across all activity types, within the window's edges: from #6 (carol's login) up to
    // #8 (alice's search) excluded leaves carol and bob.
    let edges = get_ok(
        &app,
        &manager,
        ACTIVE,
        &format!(
            "{}&bucket=day",
            window(s.at(0, 1, 59, 59_999), s.at(0, 5, 20, 0))
        ),
    )
    .await;
    assert_eq!(active_rows(&edges), vec![(s.at(0, 0, 0, 0), 2)]);
    let anonymous_only = get_ok(
        &app,
        &manager,
        ACTIVE,
        &window(s.at(1, 15, 0, 0), s.at(1, 16, 0, 0)),
    )
    .await;
    assert_eq!(anonymous_only, serde_json::json!({ "buckets": [] }));
}
