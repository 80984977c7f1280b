//! One accepted socket, watched: time limits on what a client may leave unfinished, and
//! hyper's own answers to unparsable request heads rewritten as problem documents.
//!
//! hyper's HTTP/1 header timeout also runs while a keep-alive connection waits idle, so one
//! number cannot be both a short header limit and a long idle limit; and hyper answers a head
//! it cannot parse (400, 414, 431) itself, with an empty body. This wrapper keeps both in one
//! place: it knows, from the service, whether a request is being served, and otherwise
//! treats bytes read as the next request's head and bytes written as hyper's own answer.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::head_problem;

/// The limits one connection is held to.
#[derive(Clone, Copy, Debug)]
pub struct TimeLimits {
    pub header_read: Duration,
    pub keep_alive: Duration,
    pub max_header_bytes: usize,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// No request is being served: what is read is the next request's head.
    AwaitingHead {
        since: Instant,
        /// A request was served before (the wait is a keep-alive wait, not a new client's).
        served: bool,
        /// When the first byte of this head arrived.
        head_started: Option<Instant>,
        /// A line end was read: the request line is complete.
        line_complete: bool,
    },
    /// The service has the request; the body's time limit is the request layer's. The
    /// response is `finished` once its body is done with; its last bytes may still sit in
    /// hyper's buffer until the next flush.
    Serving { finished: bool },
}

/// Why a connection was closed by a time limit (the `reason` label of its metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// A new connection sent nothing, or a request head did not finish in time.
    Header,
    /// A keep-alive connection stayed idle.
    Idle,
    /// The client stopped reading a response.
    Write,
}

impl Expiry {
    pub fn label(self) -> &'static str {
        match self {
            Expiry::Header => "header",
            Expiry::Idle => "idle",
            Expiry::Write => "write",
        }
    }
}

/// What the service and the socket wrapper of one connection share.
pub struct ConnectionState {
    phase: Mutex<Phase>,
    limits: TimeLimits,
}

impl ConnectionState {
    pub fn new(limits: TimeLimits) -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::AwaitingHead {
                since: Instant::now(),
                served: false,
                head_started: None,
                line_complete: false,
            }),
            limits,
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        // A poisoned lock only means a panic elsewhere; the phase itself is always valid.
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// hyper parsed a head and called the service.
    pub fn request_started(&self) {
        *self.phase() = Phase::Serving { finished: false };
    }

    /// The response's body is done with (sent, or dropped).
    pub fn response_finished(&self) {
        if let Phase::Serving { finished } = &mut *self.phase() {
            *finished = true;
        }
    }

    /// Everything written so far has reached the socket: a finished response is over, and
    /// from now on the client's next head is awaited.
    fn flushed(&self) {
        let mut phase = self.phase();
        if let Phase::Serving { finished: true } = *phase {
            *phase = Phase::AwaitingHead {
                since: Instant::now(),
                served: true,
                head_started: None,
                line_complete: false,
            };
        }
    }

    fn bytes_read(&self, bytes: &[u8]) {
        if let Phase::AwaitingHead {
            head_started,
            line_complete,
            ..
        } = &mut *self.phase()
        {
            head_started.get_or_insert_with(Instant::now);
            *line_complete = *line_complete || bytes.contains(&b'\n');
        }
    }

    /// When a pending read must give up, and why; `None` while a request is served.
    fn read_deadline(&self) -> Option<(Instant, Expiry)> {
        match *self.phase() {
            Phase::Serving { .. } => None,
            Phase::AwaitingHead {
                head_started: Some(started),
                ..
            } => Some((started + self.limits.header_read, Expiry::Header)),
            Phase::AwaitingHead {
                since,
                served: false,
                ..
            } => Some((since + self.limits.header_read, Expiry::Header)),
            Phase::AwaitingHead { since, .. } => {
                Some((since + self.limits.keep_alive, Expiry::Idle))
            }
        }
    }

    /// Nothing but hyper's answer to a head it could not parse is written while a head is
    /// awaited (every response of the service is flushed before); then whether its request
    /// line ended. A head that came wholly with the previous request (pipelined) was not
    /// seen here: its line counts as ended.
    fn awaiting_head(&self) -> Option<bool> {
        match *self.phase() {
            Phase::AwaitingHead {
                line_complete,
                head_started,
                ..
            } => Some(line_complete || head_started.is_none()),
            Phase::Serving { .. } => None,
        }
    }
}

/// Bytes to write instead of hyper's empty-bodied answer, then nothing more.
enum Rewrite {
    Off,
    Writing { bytes: Vec<u8>, written: usize },
    Swallowing,
}

pub struct GuardedIo<T> {
    io: T,
    state: Arc<ConnectionState>,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    write_stalled_since: Option<Instant>,
    rewrite: Rewrite,
}

impl<T> GuardedIo<T> {
    pub fn new(io: T, state: Arc<ConnectionState>) -> Self {
        let now = Instant::now();
        Self {
            io,
            state,
            read_timer: Box::pin(tokio::time::sleep_until(now)),
            write_timer: Box::pin(tokio::time::sleep_until(now)),
            write_stalled_since: None,
            rewrite: Rewrite::Off,
        }
    }
}

fn expired(expiry: Expiry) -> io::Error {
    metrics::counter!("http_connections_timed_out_total", "reason" => expiry.label()).increment(1);
    io::Error::new(io::ErrorKind::TimedOut, expiry.label())
}

/// Waits on `timer` for `deadline`; ready (with the error to fail with) once it has passed.
fn poll_deadline(
    timer: &mut Pin<Box<Sleep>>,
    cx: &mut Context<'_>,
    deadline: Instant,
    expiry: Expiry,
) -> Poll<io::Error> {
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    match timer.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(expired(expiry)),
        Poll::Pending => Poll::Pending,
    }
}

impl<T: AsyncWrite + Unpin> GuardedIo<T> {
    /// A write that made no progress: pending until the write limit, then an error.
    fn stalled<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        let since = *self.write_stalled_since.get_or_insert_with(Instant::now);
        let deadline = since + self.state.limits.keep_alive;
        match poll_deadline(&mut self.write_timer, cx, deadline, Expiry::Write) {
            Poll::Ready(err) => Poll::Ready(Err(err)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<R>(&mut self, result: io::Result<R>) -> Poll<io::Result<R>> {
        self.write_stalled_since = None;
        Poll::Ready(result)
    }

    /// Starts rewriting when `first` is the start of hyper's own answer to a bad head.
    fn check_for_own_answer(&mut self, first: &[u8]) {
        if !matches!(self.rewrite, Rewrite::Off) || !first.starts_with(b"HTTP/1.") {
            return;
        }
        let Some(line_complete) = self.state.awaiting_head() else {
            return;
        };
        let status = first
            .get(9..12)
            .and_then(|code| std::str::from_utf8(code).ok())
            .and_then(|code| code.parse::<u16>().ok())
            .unwrap_or(400);
        let bytes =
            head_problem::response_bytes(status, line_complete, self.state.limits.max_header_bytes);
        self.rewrite = Rewrite::Writing { bytes, written: 0 };
    }

    /// Writes the rewritten answer in place of hyper's `len` bytes.
    fn poll_rewrite(&mut self, cx: &mut Context<'_>, len: usize) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.rewrite {
                Rewrite::Off => unreachable!("only called while rewriting"),
                Rewrite::Swallowing => return Poll::Ready(Ok(len)),
                Rewrite::Writing { bytes, written } if *written == bytes.len() => {
                    self.rewrite = Rewrite::Swallowing;
                }
                Rewrite::Writing { bytes, written } => {
                    match Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]) {
                        Poll::Ready(Ok(n)) => {
                            *written += n;
                            self.write_stalled_since = None;
                        }
                        Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                        Poll::Pending => return self.stalled(cx),
                    }
                }
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = &buf.filled()[before..];
                if !read.is_empty() {
                    this.state.bytes_read(read);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => match this.state.read_deadline() {
                None => Poll::Pending,
                Some((deadline, expiry)) => {
                    let err = ready!(poll_deadline(&mut this.read_timer, cx, deadline, expiry));
                    Poll::Ready(Err(err))
                }
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check_for_own_answer(buf);
        if !matches!(this.rewrite, Rewrite::Off) {
            return this.poll_rewrite(cx, buf.len());
        }
        match Pin::new(&mut this.io).poll_write(cx, buf) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            this.check_for_own_answer(first);
        }
        if !matches!(this.rewrite, Rewrite::Off) {
            let len = bufs.iter().map(|b| b.len()).sum();
            return this.poll_rewrite(cx, len);
        }
        match Pin::new(&mut this.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => this.progressed(result),
            Poll::Pending => this.stalled(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_flush(cx) {
            Poll::Ready(result) => {
                if result.is_ok() {
                    this.state.flushed();
                }
                this.progressed(result)
            }
            Poll::Pending => this.stalled(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
