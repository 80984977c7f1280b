//! Remembered identities: served without a query, forgotten when PostgreSQL announces a
//! change, and not used at all while nobody listens for those announcements.

use std::time::Duration;

use crate::helpers::{TestApp, eventually};

/// Deactivates the account with triggers off: a change nobody announces.
async fn deactivate_silently(app: &TestApp, id: &str) {
    app.execute_sql(&format!(
        "BEGIN; SET LOCAL session_replication_role = replica; \
             UPDATE users SET is_active = false WHERE id = '{id}'; COMMIT;"
    ))
    .await;
}

async fn status_of_me(app: &TestApp, token: &str) -> u16 {
    app.get_as("/api/v1/users/me", token)
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remembered_identity_is_dropped_when_a_change_is_announced() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    // Wait for the listener to be up, then make the identity remembered.
    eventually("the listener", Duration::from_secs(10), || async {
        (listener_pids(&app).await > 0).then_some(())
    })
    .await;
    // The login's own announcement (its time was recorded) must land before we remember.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status_of_me(&app, &user.access_token).await, 200);
    deactivate_silently(&app, &user.id).await;
    // Unannounced, the change is not seen: proof that the request did not read the view.
    assert_eq!(status_of_me(&app, &user.access_token).await, 200);
    // Any announced change to this user (here a no-op update) drops it.
    app.execute_sql(&format!(
        "UPDATE users SET full_name = full_name WHERE id = '{}'",
        user.id
    ))
    .await;
    eventually("the change to be heard", Duration::from_secs(5), || async {
        (status_of_me(&app, &user.access_token).await == 401).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_listener_nothing_is_remembered_and_it_comes_back() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    eventually("the listener", Duration::from_secs(10), || async {
        (listener_pids(&app).await > 0).then_some(())
    })
    .await;
    assert_eq!(status_of_me(&app, &user.access_token).await, 200);
    app.execute_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = '{}'",
        stockroom::repo::pg::identity_changes::APPLICATION_NAME
    ))
    .await;
    // Whatever is remembered must not outlive the listener: a silent change is seen once
    // the loss is noticed (at once: the connection reports it).
    deactivate_silently(&app, &user.id).await;
    eventually("the cache to be off", Duration::from_secs(5), || async {
        (status_of_me(&app, &user.access_token).await == 401).then_some(())
    })
    .await;
    // The listener reconnects by itself.
    eventually(
        "the listener to return",
        Duration::from_secs(10),
        || async { (listener_pids(&app).await > 0).then_some(()) },
    )
    .await;
}

async fn listener_pids(app: &TestApp) -> i64 {
    app.connections_named(stockroom::repo::pg::identity_changes::APPLICATION_NAME)
        .await
}
