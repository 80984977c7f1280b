//! Readying the event store in the background: the validators and index specs, when
//! MongoDB was not there at start-up (retried until it is), then the one-off rewrite of
//! documents older than `schema_version` 1.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::repo::mongo::EventStore;
use crate::repo::mongo::indexes::StoreSpecs;
use crate::repo::mongo::legacy;

/// How long to wait between attempts while MongoDB is away.
const RETRY: Duration = Duration::from_secs(5);

/// Applies the specs if start-up could not (`Some`), retrying until MongoDB answers, then
/// rewrites documents stored before `schema_version` 1.
pub async fn run(events: EventStore, pending: Option<StoreSpecs>, stop: CancellationToken) {
    if let Some(specs) = pending {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(RETRY) => {}
            }
            match specs.apply(events.database()).await {
                Ok(count) => {
                    tracing::info!(count, "MongoDB index specs and validators applied");
                    break;
                }
                Err(err) => tracing::warn!(error = %err, "MongoDB specs still not applied"),
            }
        }
    }
    tokio::select! {
        () = stop.cancelled() => {}
        upgraded = legacy::upgrade(&events) => match upgraded {
            Ok(done) if done.rewritten > 0 => {
                tracing::info!(count = done.rewritten, "event documents upgraded to schema_version 1");
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "event documents not upgraded; the next start tries again"),
        },
    }
}
