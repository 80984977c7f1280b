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
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::head_problem;

mod state;

pub use state::{ConnectionState, Expiry, TimeLimits};

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

    fn wrote(&mut self, result: io::Result<usize>) -> Poll<io::Result<usize>> {
        if matches!(result, Ok(n) if n > 0) {
            self.state.wrote();
        }
        self.progressed(result)
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
                None => {
                    this.state.wait_for_response_end(cx.waker());
                    Poll::Pending
                }
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
            Poll::Ready(result) => this.wrote(result),
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
            Poll::Ready(result) => this.wrote(result),
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
