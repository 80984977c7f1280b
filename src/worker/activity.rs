//! The activity writer: request handlers hand activity events to a bounded channel and never
//! wait; a task writes them to MongoDB in batches (by size or every flush interval). When the
//! channel is full the event is dropped and counted.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

use crate::config::ActivityConfig;
use crate::domain::activity::ActivityEvent;
use crate::repo::mongo::EventStore;
use crate::repo::mongo::activity_sink::ActivitySink;

const RETRY_DELAY: Duration = Duration::from_millis(500);

pub struct ActivityWriter {
    receiver: mpsc::Receiver<ActivityEvent>,
    events: EventStore,
    batch_size: usize,
    flush_interval: Duration,
    discard: bool,
}

pub fn activity_pipeline(
    events: EventStore,
    config: &ActivityConfig,
) -> (ActivitySink, ActivityWriter) {
    let (sink, receiver) = ActivitySink::channel(config.channel_capacity);
    let writer = ActivityWriter {
        receiver,
        events,
        batch_size: config.batch_size,
        flush_interval: config.flush_interval,
        discard: config.discard,
    };
    (sink, writer)
}

impl ActivityWriter {
    /// Runs until `shutdown`, then writes everything still queued.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut batch = Vec::with_capacity(self.batch_size);
        loop {
            tokio::select! {
                biased;
                received = self.receiver.recv() => match received {
                    Some(event) => batch.push(event),
                    None => break,
                },
                () = shutdown.cancelled() => break,
            }
            let deadline = sleep(self.flush_interval);
            tokio::pin!(deadline);
            while batch.len() < self.batch_size {
                tokio::select! {
                    received = self.receiver.recv() => match received {
                        Some(event) => batch.push(event),
                        None => break,
                    },
                    () = &mut deadline => break,
                    () = shutdown.cancelled() => break,
                }
            }
            self.write(&mut batch).await;
        }
        self.receiver.close();
        while let Ok(event) = self.receiver.try_recv() {
            batch.push(event);
            if batch.len() >= self.batch_size {
                self.write(&mut batch).await;
            }
        }
        self.write(&mut batch).await;
        tracing::info!("activity writer flushed");
    }

    /// Writes and empties `batch`; one retry, then the events are dropped and counted
    /// (activity is best effort, unlike the audit trail).
    async fn write(&self, batch: &mut Vec<ActivityEvent>) {
        if batch.is_empty() {
            return;
        }
        if self.discard {
            metrics::counter!("activity_events_discarded_total").increment(batch.len() as u64);
            batch.clear();
            return;
        }
        for attempt in 0..2 {
            match self.events.insert_activity_batch(batch).await {
                Ok(written) => {
                    metrics::counter!("activity_events_written_total").increment(written as u64);
                    batch.clear();
                    return;
                }
                Err(err) if attempt == 0 => {
                    tracing::warn!(error = %err, "activity batch failed; retrying once");
                    sleep(RETRY_DELAY).await;
                }
                Err(err) => {
                    tracing::warn!(error = %err, dropped = batch.len(), "activity batch dropped")
                }
            }
        }
        metrics::counter!("activity_events_dropped_total", "reason" => "store_error")
            .increment(batch.len() as u64);
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_drops_and_never_waits() {
        // The client connects lazily; nothing is written in this test.
        let client = mongodb::Client::with_uri_str("mongodb://127.0.0.1:9/")
            .await
            .unwrap();
        let events = EventStore::new(client.database("unused"));
        let config = ActivityConfig {
            discard: false,
            channel_capacity: 2,
            batch_size: 10,
            flush_interval: Duration::from_secs(1),
            retention: Duration::from_secs(86_400),
            rollups: crate::config::RollupConfig {
                enabled: false,
                interval: Duration::from_secs(60),
                retention: Duration::from_secs(86_400),
            },
        };
        let (sink, writer) = activity_pipeline(events, &config);
        let event = || ActivityEvent::new("product.viewed", None, "product", None);
        assert!(sink.record(event()));
        assert!(sink.record(event()));
        assert!(
            !sink.record(event()),
            "third event dropped: the queue holds two"
        );
        drop(writer);
        assert!(!sink.record(event()), "dropped once the writer is gone");
    }
}
