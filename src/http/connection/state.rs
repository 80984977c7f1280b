//! What the service and the socket wrapper of one connection share: the phase it is in
//! (awaiting a head, or serving a request) and the deadline a pending read takes from it.

use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

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
    /// hyper's buffer until the next flush. `written`: bytes of the response (its head
    /// first) went to the socket; `unflushed`: some of them since the last flush.
    Serving {
        finished: bool,
        written: bool,
        unflushed: bool,
    },
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
    /// A read left pending without a deadline (while serving), woken when the response is
    /// over so that it takes up the keep-alive deadline.
    idle_reader: Mutex<Option<Waker>>,
    pub(super) limits: TimeLimits,
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
            idle_reader: Mutex::new(None),
            limits,
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        // A poisoned lock only means a panic elsewhere; the phase itself is always valid.
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// hyper parsed a head and called the service.
    pub fn request_started(&self) {
        *self.phase() = Phase::Serving {
            finished: false,
            written: false,
            unflushed: false,
        };
    }

    /// The response's body is done with (sent, or dropped). hyper may have flushed the
    /// whole response before it let go of the body: then no flush follows, and the
    /// response is over now.
    pub fn response_finished(&self) {
        let mut phase = self.phase();
        if let Phase::Serving {
            finished,
            written,
            unflushed,
        } = &mut *phase
        {
            *finished = true;
            if *written && !*unflushed {
                *phase = Self::keep_alive_wait();
            }
        }
        drop(phase);
        let reader = self
            .idle_reader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(reader) = reader {
            reader.wake();
        }
    }

    fn keep_alive_wait() -> Phase {
        Phase::AwaitingHead {
            since: Instant::now(),
            served: true,
            head_started: None,
            line_complete: false,
        }
    }

    /// Bytes of a response reached the socket.
    pub(super) fn wrote(&self) {
        if let Phase::Serving {
            written, unflushed, ..
        } = &mut *self.phase()
        {
            *written = true;
            *unflushed = true;
        }
    }

    /// Everything written so far has reached the socket: a finished response is over, and
    /// from now on the client's next head is awaited.
    pub(super) fn flushed(&self) {
        let mut phase = self.phase();
        match &mut *phase {
            Phase::Serving { finished: true, .. } => *phase = Self::keep_alive_wait(),
            Phase::Serving { unflushed, .. } => *unflushed = false,
            Phase::AwaitingHead { .. } => {}
        }
    }

    pub(super) fn wait_for_response_end(&self, reader: &Waker) {
        *self.idle_reader.lock().unwrap_or_else(|e| e.into_inner()) = Some(reader.clone());
    }

    pub(super) fn bytes_read(&self, bytes: &[u8]) {
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
    pub(super) fn read_deadline(&self) -> Option<(Instant, Expiry)> {
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
    pub(super) fn awaiting_head(&self) -> Option<bool> {
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
