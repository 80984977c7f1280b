//! Graceful shutdown flushes the background writers.

use std::time::Duration;

use bson::doc;
use stockroom::domain::activity::ActivityEvent;

use crate::helpers::{TestApp, TestOptions};

#[tokio::test(flavor = "multi_thread")]
async fn queued_activity_events_are_written_on_graceful_shutdown() {
    // A flush interval far beyond the test: only the shutdown flush can store these.
    let mut app = TestApp::spawn_with(TestOptions {
        activity_flush_interval: Duration::from_secs(600),
        ..TestOptions::default()
    })
    .await;
    let subject = uuid::Uuid::new_v4().to_string();
    for _ in 0..25 {
        assert!(app.handles.activity.record(ActivityEvent::new(
            "product.viewed",
            None,
            "product",
            Some(subject.clone())
        )));
    }
    app.stop().await;
    let stored = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("activity_events")
        .count_documents(doc! { "subject.id": &subject })
        .await
        .unwrap();
    assert_eq!(stored, 25);
    // Once stopped, the server no longer answers.
    let after = tokio::time::timeout(
        Duration::from_secs(2),
        app.client.get(app.url("/health/live")).send(),
    )
    .await;
    assert!(!matches!(after, Ok(Ok(_))), "no answer after shutdown");
}
