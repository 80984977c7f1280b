//! `/console`: the browser console, its five files embedded in the binary at compile time
//! (no build step, no network). It reads nothing itself: the page signs in through the
//! public API and keeps its tokens in memory.
//!
//! Every answer carries a Content-Security-Policy that allows only this origin's script,
//! style and API (no inline script or style, no other origin, no framing), so an injected
//! string in an audit event can never run.

use poem::http::{StatusCode, header};
use poem::{Response, Route, handler};

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/console.js");
const ANALYTICS: &str = include_str!("console/analytics.js");
const STYLE: &str = include_str!("console/console.css");
const ICON: &str = include_str!("console/favicon.svg");

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

#[handler]
fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

#[handler]
fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

#[handler]
fn analytics() -> Response {
    asset("text/javascript; charset=utf-8", ANALYTICS)
}

#[handler]
fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

#[handler]
fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

/// The console's routes, to nest at `/console`.
pub fn routes() -> Route {
    Route::new()
        .at("/", page)
        .at("/console.js", script)
        .at("/analytics.js", analytics)
        .at("/console.css", style)
        .at("/favicon.svg", icon)
}
