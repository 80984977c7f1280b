//! `/console`: the browser console, its files embedded in the binary at compile time
//! (no build step, no network). It reads nothing itself: the page signs in through the
//! public API and keeps its tokens in memory.
//!
//! Every answer carries a Content-Security-Policy that allows only this origin's script,
//! style and API (no inline script or style, no other origin, no framing), so an injected
//! string in an audit event can never run.

use poem::endpoint::make_sync;
use poem::http::{StatusCode, header};
use poem::{Response, Route};

/// The console's files: their path under `/console`, content type and body.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("console/index.html"),
    ),
    (
        "/console.js",
        "text/javascript; charset=utf-8",
        include_str!("console/console.js"),
    ),
    (
        "/analytics.js",
        "text/javascript; charset=utf-8",
        include_str!("console/analytics.js"),
    ),
    (
        "/proof.js",
        "text/javascript; charset=utf-8",
        include_str!("console/proof.js"),
    ),
    (
        "/console.css",
        "text/css; charset=utf-8",
        include_str!("console/console.css"),
    ),
    (
        "/favicon.svg",
        "image/svg+xml",
        include_str!("console/favicon.svg"),
    ),
];

/// What the console's page may load and do.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .content_type(content_type)
        .header("content-security-policy", CONTENT_SECURITY_POLICY)
        .header("referrer-policy", "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
}

/// The console's routes, to nest at `/console`.
pub fn routes() -> Route {
    FILES
        .iter()
        .fold(Route::new(), |route, &(path, content_type, body)| {
            route.at(path, make_sync(move |_| asset(content_type, body)))
        })
}
