//! The write side of the activity event collections as request handlers see it: a bounded
//! queue they hand events to without waiting. The activity writer (a background worker)
//! drains it into MongoDB in batches; a full queue drops the event and counts it.

use tokio::sync::mpsc;

use crate::domain::activity::ActivityEvent;

/// The handle request handlers use; cheap to clone.
#[derive(Clone)]
pub struct ActivitySink {
    sender: mpsc::Sender<ActivityEvent>,
}

impl ActivitySink {
    /// A sink and the receiving end its events are read from (the activity writer).
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<ActivityEvent>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (Self { sender }, receiver)
    }

    /// Queues `event` without waiting. Returns false (and counts it) when it was dropped.
    pub fn record(&self, event: ActivityEvent) -> bool {
        match self.sender.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("activity_events_dropped_total", "reason" => "queue_full")
                    .increment(1);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                metrics::counter!("activity_events_dropped_total", "reason" => "shutting_down")
                    .increment(1);
                false
            }
        }
    }
}
