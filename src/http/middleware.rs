//! The outer layer every request passes: request id, tracing span, URI length and body
//! limits (size and read time), problem+json for any error, security headers and request
//! metrics (every label from a closed set).

use std::time::{Duration, Instant};

use futures::StreamExt;
use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::OperationId;
use tracing::Instrument;

use super::client_ip::{self, ClientIp};
use super::problem::{ApiError, into_problem_response};
use super::request_context::{accept_request_id, with_request_id};
use crate::config::TrustedProxies;
use crate::http::head_problem::MAX_URI_BYTES;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

pub struct RequestLayer {
    pub max_body_bytes: usize,
    /// From the end of the head to the body's last byte.
    pub body_read_timeout: Duration,
    pub trusted_proxies: TrustedProxies,
}

impl<E: Endpoint> Middleware<E> for RequestLayer {
    type Output = RequestEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestEndpoint {
            inner,
            max_body_bytes: self.max_body_bytes,
            body_read_timeout: self.body_read_timeout,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

pub struct RequestEndpoint<E> {
    inner: E,
    max_body_bytes: usize,
    body_read_timeout: Duration,
    trusted_proxies: TrustedProxies,
}

impl<E: Endpoint> Endpoint for RequestEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id = accept_request_id(
            req.headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok()),
        );
        let peer = req.remote_addr().as_socket_addr().map(|addr| addr.ip());
        let forwarded_for = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        if let Some(ip) = client_ip::resolve(peer, forwarded_for, &self.trusted_proxies) {
            req.extensions_mut().insert(ClientIp(ip));
        }
        let method = method_label(req.method());
        let path = req.uri().path().to_owned();
        let span = tracing::info_span!(
            "http_request",
            %method,
            %path,
            request_id = %request_id,
            status = tracing::field::Empty,
        );

        let handled = async {
            if request_target_len(req.uri()) > MAX_URI_BYTES {
                return ApiError::UriTooLong.into_response();
            }
            let read = tokio::time::timeout(
                self.body_read_timeout,
                limit_body(&mut req, self.max_body_bytes),
            );
            match read.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => return err.into_response(),
                Err(_) => return ApiError::BodyTimeout.into_response(),
            }
            match self.inner.call(req).await {
                Ok(output) => output.into_response(),
                Err(err) => {
                    // Failed operations count under their operation id too.
                    let operation = err.data::<OperationId>().copied();
                    let mut response = into_problem_response(err);
                    if let Some(operation) = operation {
                        response.set_data(operation);
                    }
                    response
                }
            }
        };
        let mut response =
            with_request_id(request_id.clone(), handled.instrument(span.clone())).await;

        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.remove(header::SERVER);
        // Responses carry account data and tokens: no cache may keep them unless an
        // operation says otherwise.
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }

        let status = response.status().as_u16();
        let route = route_label(&response, &path);
        let elapsed = started.elapsed().as_secs_f64();
        let labels = [
            ("method", method.to_owned()),
            ("route", route),
            ("status", status.to_string()),
        ];
        metrics::counter!("http_requests_total", &labels).increment(1);
        metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
        span.record("status", status);
        tracing::debug!(parent: &span, status, elapsed_ms = elapsed * 1e3, "request finished");
        Ok(response)
    }
}

/// The request target as it came (path and query).
fn request_target_len(uri: &poem::http::Uri) -> usize {
    uri.path_and_query().map_or(0, |pq| pq.as_str().len())
}

/// A bounded label for metrics: the standard methods by name, any other as `OTHER` (a
/// method is whatever token the client sends).
fn method_label(method: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// A bounded label for metrics: the OpenAPI operation id, the fixed operations paths, or
/// `unmatched` (never the raw path, whose ids would explode the label set).
fn route_label(response: &Response, path: &str) -> String {
    if let Some(operation) = response.data::<OperationId>() {
        return operation.0.to_owned();
    }
    match path {
        "/health/live" | "/health/ready" | "/metrics" | "/openapi.json" => path.to_owned(),
        p if p.starts_with("/docs") => "/docs".to_owned(),
        _ => "unmatched".to_owned(),
    }
}

/// After refusing a body, how long the rest of it is read and dropped, and how much of it
/// at most (or the limit, if larger). Closing a socket with unread data makes the kernel
/// reset the connection, and a client still sending would see a broken pipe instead of the
/// 413 (nginx's lingering close does the same).
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1024 * 1024;

/// Reads the body into memory (the caller bounds the time it may take), refusing one over
/// the limit: before reading when `Content-Length` says so, and while reading when no
/// length is declared (hyper itself holds a body to its declared length).
async fn limit_body(req: &mut Request, max_body_bytes: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = match declared {
        Some(length) if length > max_body_bytes as u64 => {
            // A client waiting for `100 Continue` has sent nothing yet: reading would ask it
            // to start.
            if !req.headers().contains_key(header::EXPECT) {
                drain(req.take_body().into_bytes_stream(), max_body_bytes).await;
            }
            return Err(ApiError::PayloadTooLarge);
        }
        Some(0) => return Ok(()),
        Some(_) => req.take_body().into_bytes_stream(),
        // Chunked, or no body at all: count while reading.
        None => req.take_body().into_bytes_stream(),
    };
    let mut buffered = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::BadRequest("The request body could not be read.".to_owned()))?;
        if buffered.len() + chunk.len() > max_body_bytes {
            drain(stream, max_body_bytes).await;
            return Err(ApiError::PayloadTooLarge);
        }
        buffered.extend_from_slice(&chunk);
    }
    req.set_body(buffered);
    Ok(())
}

/// Reads and drops what is left of a refused body, within [`LINGER_TIME`] and
/// [`LINGER_BYTES`] (or `max_body_bytes`, if larger).
async fn drain<S, B, E>(mut stream: S, max_body_bytes: usize)
where
    S: futures::Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut budget = LINGER_BYTES.max(max_body_bytes);
    let _ = tokio::time::timeout(LINGER_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            match budget.checked_sub(chunk.as_ref().len()) {
                Some(left) => budget = left,
                None => break,
            }
        }
    })
    .await;
}
