//! Connections a client leaves unfinished are closed by time limits, and past the open
//! connection cap new ones are closed at accept, while other clients are served meanwhile.

use std::time::{Duration, Instant};

use stockroom::config::HttpConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, TestOptions, default_http};

const HEADER: Duration = Duration::from_secs(1);
const BODY: Duration = Duration::from_secs(1);
const KEEP_ALIVE: Duration = Duration::from_secs(3);

async fn app_with(http: HttpConfig) -> TestApp {
    TestApp::spawn_with(TestOptions {
        http,
        ..TestOptions::default()
    })
    .await
}

fn short_limits() -> HttpConfig {
    HttpConfig {
        header_read_timeout: HEADER,
        body_read_timeout: BODY,
        keep_alive_timeout: KEEP_ALIVE,
        ..default_http()
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server closes (or `within` passes: `None`); returns what came and when.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<(String, Instant)> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((
                    String::from_utf8_lossy(&received).into_owned(),
                    Instant::now(),
                ));
            }
            Ok(Ok(n)) => received.extend_from_slice(&chunk[..n]),
        }
    }
}

const LIVE: &[u8] = b"GET /health/live HTTP/1.1\r\nhost: t\r\n\r\n";

/// One keep-alive request on `stream`; returns the status line.
async fn request_on(stream: &mut TcpStream) -> String {
    stream.write_all(LIVE).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed before answering");
        received.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    text.lines().next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_and_slow_connections_are_closed_while_others_are_served() {
    let app = app_with(short_limits()).await;
    let opened = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..200 {
        silent.push(connect(&app).await);
    }
    // Slow heads: a byte every 200 ms never finishes the head, however long it goes on.
    let slow_heads = (0..20).map(|_| async {
        let mut stream = connect(&app).await;
        let started = Instant::now();
        for byte in b"GET /health/live HTTP/1.1\r\nhost: t\r\nx-slow: "
            .iter()
            .cycle()
        {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                panic!("a slow head was still accepted after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        started.elapsed()
    });
    // A body that stops half-way: 408 problem, then the connection closes.
    let slow_bodies = (0..20).map(|_| async {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\":")
            .await
            .unwrap();
        read_until_closed(&mut stream, Duration::from_secs(10))
            .await
            .expect("the server answers a stalled body in time")
            .0
    });
    // Meanwhile everyone else is served at once.
    let served = async {
        for _ in 0..20 {
            let started = Instant::now();
            let live = app.get("/health/live").await;
            assert_eq!(live.status(), 200);
            assert!(started.elapsed() < Duration::from_millis(500));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let (heads, bodies, ()) = tokio::join!(
        futures::future::join_all(slow_heads),
        futures::future::join_all(slow_bodies),
        served
    );
    for held in heads {
        assert!(held >= HEADER - Duration::from_millis(300), "{held:?}");
        assert!(held < HEADER + Duration::from_secs(2), "{held:?}");
    }
    for answer in bodies {
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(answer.contains("/problems/request-timeout"), "{answer}");
    }
    for mut stream in silent {
        let (_, closed_at) = read_until_closed(&mut stream, Duration::from_secs(5))
            .await
            .expect("a silent connection is closed");
        let held = closed_at - opened;
        assert!(held < HEADER + Duration::from_secs(3), "{held:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_keep_alive_connection_lasts_the_keep_alive_timeout_not_the_header_one() {
    let app = app_with(short_limits()).await;
    let mut stream = connect(&app).await;
    assert_eq!(request_on(&mut stream).await, "HTTP/1.1 200 OK");
    // Idle past the header timeout: still usable.
    tokio::time::sleep(HEADER + Duration::from_millis(500)).await;
    assert_eq!(request_on(&mut stream).await, "HTTP/1.1 200 OK");
    let idle_from = Instant::now();
    let (_, closed_at) = read_until_closed(&mut stream, KEEP_ALIVE + Duration::from_secs(3))
        .await
        .expect("an idle connection is closed");
    let idle = closed_at - idle_from;
    assert!(idle >= KEEP_ALIVE - Duration::from_millis(300), "{idle:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_keep_alive_connection_is_closed_once_idle_however_its_response_ended() {
    // hyper may flush a whole response before it lets go of the body; a connection whose
    // response ended that way once waited for its next head with no deadline at all.
    let app = app_with(short_limits()).await;
    let idle = (0..60).map(|_| async {
        let mut stream = connect(&app).await;
        for _ in 0..3 {
            assert_eq!(request_on(&mut stream).await, "HTTP/1.1 200 OK");
        }
        let idle_from = Instant::now();
        let (_, closed_at) = read_until_closed(&mut stream, KEEP_ALIVE + Duration::from_secs(3))
            .await
            .expect("an idle connection is closed");
        closed_at - idle_from
    });
    for held in futures::future::join_all(idle).await {
        assert!(held >= KEEP_ALIVE - Duration::from_millis(300), "{held:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_connection_cap_new_connections_are_closed_at_accept_and_counted() {
    const CAP: usize = 20;
    let app = app_with(HttpConfig {
        max_connections: CAP,
        ..default_http()
    })
    .await;
    let refused_before = refused_total(&app).await;
    // `refused_total` used one connection; it is closed once read to the end.
    let mut held = Vec::new();
    for _ in 0..CAP {
        let mut stream = connect(&app).await;
        assert_eq!(request_on(&mut stream).await, "HTTP/1.1 200 OK");
        held.push(stream);
    }
    let mut extra = connect(&app).await;
    let (received, _) = read_until_closed(&mut extra, Duration::from_secs(2))
        .await
        .expect("closed at once");
    assert_eq!(received, "", "nothing is read from a refused connection");
    // The held ones are still served; freeing slots lets new clients in again.
    assert_eq!(request_on(&mut held[0]).await, "HTTP/1.1 200 OK");
    held.truncate(CAP - 5);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut next = connect(&app).await;
    assert_eq!(request_on(&mut next).await, "HTTP/1.1 200 OK");
    drop(next);
    held.clear();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(refused_total(&app).await > refused_before);
}

async fn refused_total(app: &TestApp) -> f64 {
    let text = app
        .client
        .get(app.url("/metrics"))
        .header("connection", "close")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix("http_connections_refused_total "))
        .expect("the counter is exported from the first scrape")
        .trim()
        .parse()
        .unwrap()
}
