//! Announces this instance's catalogue changes to the others: one `NOTIFY` for whatever
//! changed while the previous one was being sent, so a burst of writes costs a handful of
//! notifications and the writes' own transactions notify nothing (see `catalog_changes`).

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::repo::pg::PgPool;
use crate::repo::pg::catalog_changes::{
    self, Announcement, CatalogChange, MAX_IDS_PER_NOTIFICATION,
};
use crate::service::product_cache::Announcements;

const MAX_BACKOFF: Duration = Duration::from_secs(2);

pub async fn run(pool: PgPool, mut announcements: Announcements, stop: CancellationToken) {
    loop {
        let first = tokio::select! {
            () = stop.cancelled() => return,
            next = announcements.changed.recv() => match next {
                Some(id) => id,
                None => return,
            },
        };
        let mut ids = BTreeSet::from([first]);
        while ids.len() <= MAX_IDS_PER_NOTIFICATION {
            match announcements.changed.try_recv() {
                Ok(id) => ids.insert(id),
                Err(_) => break,
            };
        }
        // More ids than one notification can name are sent as "everything" by the encoding.
        let change = if announcements.overflowed.swap(false, Ordering::AcqRel) {
            CatalogChange::Everything
        } else {
            CatalogChange::Products(ids.into_iter().collect::<Vec<Uuid>>())
        };
        let announcement = Announcement {
            sender: Some(announcements.sender),
            change,
        };
        announce(&pool, &announcement, &stop).await;
    }
}

/// Sends `change`, retrying until it is sent or the instance stops: the other instances
/// serve the old version until they hear it (or their entries' lifetime ends).
async fn announce(pool: &PgPool, announcement: &Announcement, stop: &CancellationToken) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match catalog_changes::announce(pool, announcement).await {
            Ok(()) => {
                metrics::counter!("catalog_notifications_total").increment(1);
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "catalogue change not announced yet; retrying")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
