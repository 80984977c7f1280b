//! `/console` over HTTP: the page and its files, each under a strict
//! Content-Security-Policy, small, and holding no data (the browser test in
//! `tools/console-test` drives it).

use crate::helpers::TestApp;

const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

#[tokio::test(flavor = "multi_thread")]
async fn the_console_and_its_files_are_served_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    let mut total = 0;
    for (path, content_type) in [
        ("/console", "text/html; charset=utf-8"),
        ("/console/", "text/html; charset=utf-8"),
        ("/console/console.js", "text/javascript; charset=utf-8"),
        ("/console/analytics.js", "text/javascript; charset=utf-8"),
        ("/console/proof.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
        ("/console/favicon.svg", "image/svg+xml"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(headers["content-security-policy"], POLICY, "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let body = response.text().await.unwrap();
        if path != "/console/" {
            total += body.len();
        }
        if path == "/console" {
            // No inline script or style: the policy would refuse it, so none may be there.
            assert!(body.contains(r#"<script type="module" src="/console/console.js">"#));
            assert!(!body.contains("<style"), "inline style");
            assert!(!body.contains(" style="), "inline style attribute");
            assert!(!body.contains(" on"), "inline event handler");
        }
    }
    // The whole first load, uncompressed, is far under the 200 KB budget.
    assert!(total < 200 * 1024, "{total} bytes");
    assert_eq!(app.get("/console/missing.js").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_keeps_tokens_in_memory_only() {
    let app = TestApp::spawn().await;
    let mut script = app.get("/console/console.js").await.text().await.unwrap();
    script += &app.get("/console/analytics.js").await.text().await.unwrap();
    script += &app.get("/console/proof.js").await.text().await.unwrap();
    for storage in [
        "localStorage",
        "sessionStorage",
        "document.cookie",
        "indexedDB",
    ] {
        assert!(!script.contains(storage), "{storage}");
    }
    // Only this origin's API: no other address in the script (the SVG namespace is a name,
    // never fetched).
    let script = script.replace("http://www.w3.org/2000/svg", "");
    assert!(!script.contains("http://") && !script.contains("https://"));
}
