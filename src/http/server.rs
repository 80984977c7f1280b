//! The HTTP/1.1 server: our own accept loop on hyper, in place of poem's `Server`, which
//! offers no head size limit, no header or body read timeouts and no connection cap.
//!
//! Each accepted socket takes a slot of [`HttpConfig::max_connections`] (beyond it the
//! socket is closed at once, logged and counted), is wrapped in [`GuardedIo`] (time limits,
//! problem documents for refused heads) and served by hyper's HTTP/1 connection with the
//! poem endpoint as its service. HTTP/2 is not offered: a TLS-terminating proxy in front
//! speaks it to clients, and its own denial-of-service surface (rapid reset, stream floods)
//! stays out of the service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::connection::{ConnectionState, GuardedIo, TimeLimits};
use crate::config::HttpConfig;

/// After a failed accept (e.g. out of file descriptors), wait this long before the next.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);
/// Refused connections are logged at most this often (with the count since the last line).
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

type DynEndpoint = poem::endpoint::BoxEndpoint<'static, Response>;

/// Serves `endpoint` on `listener` until `shutdown` resolves, then stops accepting, lets
/// in-flight requests finish within `drain_timeout` (idle keep-alive connections close at
/// once) and cuts whatever is left.
pub async fn serve(
    listener: TcpListener,
    endpoint: Arc<DynEndpoint>,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
) {
    let limits = TimeLimits {
        header_read: config.header_read_timeout,
        keep_alive: config.keep_alive_timeout,
        max_header_bytes: config.max_header_bytes,
    };
    let mut builder = http1::Builder::new();
    builder
        .max_header_size(config.max_header_bytes)
        .keep_alive(true)
        // The connection wrapper owns every read time limit (see `connection`).
        .header_read_timeout(None);
    let local = listener
        .local_addr()
        .map(|a| LocalAddr(Addr::SocketAddr(a)));
    let local = local.unwrap_or_else(|_| LocalAddr(Addr::Custom("tcp", "unknown".into())));
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let refusals = RefusalLog::default();
    let draining = CancellationToken::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        refusals.refused(config.max_connections);
                        drop(stream);
                        continue;
                    };
                    let connection = Connection {
                        stream,
                        peer,
                        local: local.clone(),
                        endpoint: endpoint.clone(),
                        builder: builder.clone(),
                        limits,
                        draining: draining.clone(),
                        _slot: slot,
                    };
                    connections.spawn(connection.serve());
                }
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            },
            // Finished connections are reaped as they end, so the set holds live ones only.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    draining.cancel();
    let drained = tokio::time::timeout(drain_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            timeout = ?drain_timeout,
            "requests still in flight at the end of the shutdown timeout; closing them"
        );
        connections.shutdown().await;
    }
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    local: LocalAddr,
    endpoint: Arc<DynEndpoint>,
    builder: http1::Builder,
    limits: TimeLimits,
    draining: CancellationToken,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self) {
        metrics::gauge!("http_connections_open").increment(1.0);
        let _ = self.stream.set_nodelay(true);
        let state = ConnectionState::new(self.limits);
        let io = TokioIo::new(GuardedIo::new(self.stream, state.clone()));
        let remote = RemoteAddr(Addr::SocketAddr(self.peer));
        let (local, endpoint) = (self.local, self.endpoint);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            state.request_started();
            let request = poem::Request::from((
                request,
                local.clone(),
                remote.clone(),
                poem::http::uri::Scheme::HTTP,
            ));
            let (endpoint, state) = (endpoint.clone(), state.clone());
            async move {
                let response: hyper::Response<BoxBody<Bytes, std::io::Error>> =
                    Endpoint::get_response(&*endpoint, request).await.into();
                let tracked = response.map(|body| TrackedBody {
                    body,
                    _finished: ResponseFinished(state),
                });
                Ok::<_, Infallible>(tracked)
            }
        });
        let connection = self.builder.serve_connection(io, service);
        tokio::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = self.draining.cancelled() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(err) = result {
            tracing::debug!(error = %err, "connection closed with an error");
        }
        metrics::gauge!("http_connections_open").decrement(1.0);
    }
}

/// Tells the connection its response is over when hyper is done with the body.
struct ResponseFinished(Arc<ConnectionState>);

impl Drop for ResponseFinished {
    fn drop(&mut self) {
        self.0.response_finished();
    }
}

struct TrackedBody {
    body: BoxBody<Bytes, std::io::Error>,
    _finished: ResponseFinished,
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Counts refused connections and logs them without flooding the log.
#[derive(Default)]
struct RefusalLog {
    since_last_line: AtomicU64,
    last_line: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl RefusalLog {
    fn refused(&self, cap: usize) {
        metrics::counter!("http_connections_refused_total").increment(1);
        let count = self.since_last_line.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.last_line.lock().unwrap_or_else(|e| e.into_inner());
        let now = tokio::time::Instant::now();
        if last.is_none_or(|at| now.duration_since(at) >= REFUSAL_LOG_INTERVAL) {
            *last = Some(now);
            self.since_last_line.store(0, Ordering::Relaxed);
            tracing::warn!(
                cap,
                refused = count,
                "open connection cap reached; closing new connections at accept"
            );
        }
    }
}

/// Binds `addr` with a listen backlog of `backlog` (the kernel caps it at `somaxconn`).
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Raises this process's soft limit of open files to its hard limit, so the connection cap
/// (and not the default 1,024 descriptors) bounds how many clients are served at once.
pub fn raise_file_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if limit < max_connections as u64 + 256 => tracing::warn!(
            limit,
            max_connections,
            "the open-file limit is below the connection cap; raise the hard limit (ulimit -Hn)"
        ),
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(err) => tracing::warn!(error = %err, "cannot raise the open-file limit"),
    }
}
