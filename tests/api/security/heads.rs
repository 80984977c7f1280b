//! Request heads refused before routing answer problem documents, like every other error:
//! a long URI 414, a large head 431, a malformed one 400, each with its limit in words.

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// Sends `raw` on a fresh connection; returns the status, the head and the parsed body of
/// the answer, read until the server closes.
async fn exchange(app: &TestApp, raw: &[u8]) -> (u16, String, Value) {
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer before it has read everything sent.
    let _ = stream.write_all(raw).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut received),
    )
    .await
    .expect("the server answers and closes");
    if read.is_err() && received.is_empty() {
        panic!("connection reset before any answer");
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    let status = head[9..12].parse().unwrap();
    let body = serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {text}"));
    (status, head.to_ascii_lowercase(), body)
}

fn assert_problem(head: &str, body: &Value, status: u16, problem_type: &str) {
    assert!(
        head.contains("content-type: application/problem+json"),
        "{head}"
    );
    assert!(head.contains("x-request-id: "), "{head}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], problem_type, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(body["request_id"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn long_uris_large_heads_and_malformed_heads_are_problem_documents() {
    let app = TestApp::spawn().await;

    // A URI over 8 KiB inside the head limit (answered by the request layer)...
    let uri = format!("/api/v1/products?q={}", "a".repeat(9_000));
    let request = format!("GET {uri} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
    let (status, head, body) = exchange(&app, request.as_bytes()).await;
    assert_eq!(status, 414);
    assert_problem(&head, &body, 414, "/problems/uri-too-long");
    assert!(body["detail"].as_str().unwrap().contains("8192 bytes"));

    // ...and one past the whole head limit (refused by the parser before any routing).
    let uri = format!("/api/v1/products?q={}", "a".repeat(40_000));
    let request = format!("GET {uri} HTTP/1.1\r\nhost: t\r\n\r\n");
    let (status, head, body) = exchange(&app, request.as_bytes()).await;
    assert_eq!(status, 414);
    assert_problem(&head, &body, 414, "/problems/uri-too-long");

    // Headers over 16 KiB in all, and more than 100 header fields.
    let request = format!(
        "GET /health/live HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n",
        "b".repeat(20_000)
    );
    let (status, head, body) = exchange(&app, request.as_bytes()).await;
    assert_eq!(status, 431);
    assert_problem(&head, &body, 431, "/problems/request-header-too-large");
    assert!(body["detail"].as_str().unwrap().contains("16384 bytes"));
    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let request = format!("GET /health/live HTTP/1.1\r\nhost: t\r\n{many}\r\n");
    let (status, head, body) = exchange(&app, request.as_bytes()).await;
    assert_eq!(status, 431);
    assert_problem(&head, &body, 431, "/problems/request-header-too-large");

    // A request line that is not HTTP, and a header without a colon.
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /health/live HTTP/1.1\r\nhost: t\r\nno colon here\r\n\r\n",
        b"GET /health/live HTTP/9.9\r\n\r\n",
    ] {
        let (status, head, body) = exchange(&app, raw).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(raw));
        assert_problem(&head, &body, 400, "/problems/malformed-request");
    }

    // The server still answers normally afterwards.
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_head_after_a_good_request_on_the_same_connection_is_still_a_problem() {
    let app = TestApp::spawn().await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut first = vec![0u8; 4096];
    let n = stream.read(&mut first).await.unwrap();
    let first = String::from_utf8_lossy(&first[..n]).into_owned();
    assert!(first.starts_with("HTTP/1.1 200 OK"), "{first}");
    let bad = format!(
        "GET /health/live HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n",
        "c".repeat(20_000)
    );
    let _ = stream.write_all(bad.as_bytes()).await;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut received),
    )
    .await
    .expect("answered, then closed");
    let second = String::from_utf8_lossy(&received);
    assert!(second.starts_with("HTTP/1.1 431 "), "{second}");
    assert!(
        second.contains("/problems/request-header-too-large"),
        "{second}"
    );
}
