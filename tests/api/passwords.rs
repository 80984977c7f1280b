//! Password hashing under load: every argon2 run goes through one bounded queue, so a flood
//! of logins is answered 503 with `Retry-After` instead of exhausting memory and CPU.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp, TestOptions, unique_email};

const PARALLEL_LOGINS: usize = 40;

#[tokio::test(flavor = "multi_thread")]
async fn logins_beyond_the_hash_queue_get_503_with_retry_after_and_liveness_stays_fast() {
    let app = TestApp::spawn_with(TestOptions {
        password_hash_concurrency: 1,
        password_hash_queue_timeout: Duration::from_millis(100),
        ..TestOptions::default()
    })
    .await;
    let email = unique_email("queued");
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);

    let logins = futures::future::join_all((0..PARALLEL_LOGINS).map(|i| {
        let (email, password) = match i % 3 {
            0 => (email.clone(), PASSWORD),
            1 => (email.clone(), "not the password at all"),
            _ => (unique_email("nobody"), PASSWORD),
        };
        let app = &app;
        async move { app.login(&email, password).await }
    }));
    let probes = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let started = Instant::now();
            assert_eq!(app.get("/health/live").await.status(), 200);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slowest
    };
    let (answers, slowest_probe) = tokio::join!(logins, probes);

    let mut refused = 0;
    for answer in answers {
        match answer.status().as_u16() {
            200 | 401 => {}
            503 => {
                refused += 1;
                assert_eq!(answer.headers()["retry-after"], "1");
                assert_eq!(answer.headers()["content-type"], "application/problem+json");
                let problem: Value = answer.json().await.unwrap();
                assert_eq!(problem["status"], 503);
                assert!(problem["detail"].as_str().unwrap().contains("retry"));
            }
            other => panic!("{other}: {}", answer.text().await.unwrap()),
        }
    }
    assert!(
        refused > 0,
        "{PARALLEL_LOGINS} logins at once with one hash slot and a 100 ms wait: some are refused"
    );
    assert!(
        refused < PARALLEL_LOGINS,
        "the queue still serves some of them"
    );
    assert!(
        slowest_probe < Duration::from_secs(2),
        "/health/live took {slowest_probe:?} during the flood"
    );
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        200,
        "served again once the flood is over"
    );
}
