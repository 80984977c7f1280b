//! Keeps the identity cache honest: forwards every change PostgreSQL announces, and turns
//! the cache off whenever the listening connection is down (changes could go unheard).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::repo::pg::identity_changes::IdentityChanges;
use crate::service::identity_cache::IdentityCache;

/// A quiet connection is checked this often.
const IDLE_CHECK: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub async fn run(database_url: String, cache: IdentityCache, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match IdentityChanges::listen(&database_url).await {
            Ok(mut changes) => {
                cache.resume();
                backoff = Duration::from_millis(100);
                tracing::debug!("listening for identity changes");
                loop {
                    tokio::select! {
                        () = stop.cancelled() => {
                            cache.suspend();
                            return;
                        }
                        next = changes.next(IDLE_CHECK) => match next {
                            Ok(Some(change)) => cache.forget(change),
                            Ok(None) => {}
                            Err(err) => {
                                cache.suspend();
                                tracing::warn!(error = %err, "identity change listener lost; caching off until it is back");
                                break;
                            }
                        },
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for identity changes yet"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
