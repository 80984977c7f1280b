//! Keeps the caches honest: forwards every notification PostgreSQL delivers on a channel,
//! and turns the cache off whenever the listening connection is down (changes could go
//! unheard). One task per channel: identities, the catalogue.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::repo::pg::catalog_changes::{self, Announcement};
use crate::repo::pg::identity_changes;
use crate::repo::pg::notifications::{Channel, Listener};
use crate::service::identity_cache::IdentityCache;
use crate::service::product_cache::ProductCache;

/// A quiet connection is checked this often.
const IDLE_CHECK: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What a channel's notifications keep up to date.
pub trait Subscriber: Send + 'static {
    const CHANNEL: Channel;
    fn heard(&self, payload: &str);
    /// Listening (again): nothing can have been missed from now on.
    fn resume(&self);
    /// Not listening: changes may go unheard.
    fn suspend(&self);
}

impl Subscriber for IdentityCache {
    const CHANNEL: Channel = identity_changes::CHANNEL;

    fn heard(&self, payload: &str) {
        self.forget(identity_changes::parse(payload));
    }

    fn resume(&self) {
        IdentityCache::resume(self);
    }

    fn suspend(&self) {
        IdentityCache::suspend(self);
    }
}

impl Subscriber for ProductCache {
    const CHANNEL: Channel = catalog_changes::CHANNEL;

    fn heard(&self, payload: &str) {
        self.heard(Announcement::parse(payload));
    }

    fn resume(&self) {
        ProductCache::resume(self);
    }

    fn suspend(&self) {
        ProductCache::suspend(self);
    }
}

pub async fn run<S: Subscriber>(database_url: String, subscriber: S, stop: CancellationToken) {
    let channel = S::CHANNEL.name;
    let mut backoff = Duration::from_millis(100);
    loop {
        match Listener::listen(&database_url, S::CHANNEL).await {
            Ok(mut listener) => {
                subscriber.resume();
                backoff = Duration::from_millis(100);
                tracing::debug!(channel, "listening");
                loop {
                    tokio::select! {
                        () = stop.cancelled() => {
                            subscriber.suspend();
                            return;
                        }
                        next = listener.next(IDLE_CHECK) => match next {
                            Ok(Some(payload)) => subscriber.heard(&payload),
                            Ok(None) => {}
                            Err(err) => {
                                subscriber.suspend();
                                tracing::warn!(channel, error = %err, "listener lost; caching off until it is back");
                                break;
                            }
                        },
                    }
                }
            }
            Err(err) => tracing::warn!(channel, error = %err, "cannot listen yet"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
