//! Keyset pagination of `GET /audit-events` while new events keep arriving.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bson::doc;
use chrono::{SubsecRound, Utc};

use super::support::{all_pages, crafted, ids, items, list, newest_first, record, wait_listed};
use crate::helpers::{TestApp, eventually, stored_audit_events};

#[tokio::test(flavor = "multi_thread")]
async fn pages_neither_repeat_nor_skip_while_new_events_arrive() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    // Several events share one millisecond, so the id tie-break is exercised too.
    let tied = (Utc::now() - chrono::Duration::seconds(5)).trunc_subsecs(3);
    let originals: Vec<_> = (0..23)
        .map(|n| {
            let mut event = crafted("test.paged", "paged", &n.to_string());
            if n % 3 == 0 {
                event.occurred_at = tied;
            }
            event
        })
        .collect();
    record(&app, &originals).await;
    wait_listed(&app, &admin.access_token, "target_type=paged", 23).await;

    let query = "target_type=paged&limit=5";
    let first = list(&app, &admin.access_token, query).await;
    let mut seen = ids(&items(&first));
    let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();

    // A writer records newer events the whole time the pages are read.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let pool = app.handles.pool.clone();
        let stop = stop.clone();
        async move {
            let mut written = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let event = crafted("test.paged", "paged", &format!("new-{written}"));
                stockroom::repo::pg::PgOutbox
                    .record(&pool, &[event])
                    .await
                    .unwrap();
                written += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            written
        }
    });
    let app_ref = &app;
    let stored = move || async move {
        stored_audit_events(app_ref, doc! { "target.type": "paged" })
            .await
            .len()
    };
    loop {
        // Each page is read only after more new events reached the store.
        let before = stored().await;
        eventually(
            "new events delivered",
            Duration::from_secs(15),
            move || async move { (stored().await > before).then_some(()) },
        )
        .await;
        let page = list(
            &app,
            &admin.access_token,
            &format!("{query}&cursor={cursor}"),
        )
        .await;
        let page_items = items(&page);
        assert!(page_items.len() <= 5);
        seen.extend(ids(&page_items));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(written > 0);

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no event is listed twice");
    assert_eq!(
        seen,
        newest_first(&originals),
        "exactly the original events, in order, none skipped, none inserted"
    );
    let everything = all_pages(&app, &admin.access_token, "/api/v1/audit-events", query).await;
    assert!(
        everything.len() > originals.len(),
        "the new events are listed on top"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn order_asc_lists_oldest_first_and_its_pages_continue_that_way() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let tied = (Utc::now() - chrono::Duration::seconds(5)).trunc_subsecs(3);
    let events: Vec<_> = (0..7)
        .map(|n| {
            let mut event = crafted("test.ordered", "ordered", &n.to_string());
            if n % 2 == 0 {
                event.occurred_at = tied;
            }
            event
        })
        .collect();
    record(&app, &events).await;
    wait_listed(&app, &admin.access_token, "target_type=ordered", 7).await;

    let mut oldest_first = newest_first(&events);
    oldest_first.reverse();
    let base = "/api/v1/audit-events";
    let asc = all_pages(
        &app,
        &admin.access_token,
        base,
        "target_type=ordered&order=asc&limit=2",
    );
    assert_eq!(ids(&asc.await), oldest_first);
    let desc = all_pages(
        &app,
        &admin.access_token,
        base,
        "target_type=ordered&order=desc&limit=3",
    );
    assert_eq!(ids(&desc.await), newest_first(&events));

    let bad = app
        .send_as(
            reqwest::Method::GET,
            &format!("{base}?order=sideways"),
            &admin.access_token,
            None,
        )
        .await;
    assert_eq!(super::support::invalid_fields(bad).await, ["order"]);
}
