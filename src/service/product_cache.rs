//! The catalogue in memory: product views by id, and the first pages of the unfiltered and
//! per-category lists (each sort), kept as [`NotifiedCache`] says. A change made here is
//! forgotten here before the change is answered, and announced to the other instances
//! through `worker::catalog_notifier` (one notification per burst of writes); a change heard
//! from another instance drops the product and every cached page (any change can move a
//! page or its total).

use std::mem::size_of;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;
use uuid::Uuid;

use super::notified_cache::{Footprint, LoadTicket, NotifiedCache};
use crate::config::CatalogCacheConfig;
use crate::domain::catalog::{ProductRecord, ProductSort};
use crate::domain::page::{PageRequest, Paged};
use crate::repo::pg::catalog_changes::{Announcement, CatalogChange};

/// Pages deeper than this (skip + limit) are read from PostgreSQL each time.
pub const CACHED_PAGE_DEPTH: i64 = 100;
/// Changes waiting to be announced; past it the next announcement says "everything".
const ANNOUNCEMENT_BACKLOG: usize = 10_000;

/// A product's size in memory: the record and the text it owns.
fn product_bytes(product: &ProductRecord) -> usize {
    size_of::<ProductRecord>()
        + product.name.len()
        + product.sku.len()
        + product.description.as_ref().map_or(0, String::len)
}

impl Footprint for Arc<ProductRecord> {
    fn footprint(&self) -> u64 {
        product_bytes(self) as u64
    }
}

impl Footprint for Arc<Paged<ProductRecord>> {
    fn footprint(&self) -> u64 {
        let items: usize = self.items.iter().map(product_bytes).sum();
        (size_of::<Paged<ProductRecord>>() + items) as u64
    }
}

/// A list page worth remembering: no filter but the category, within the first pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    category_id: Option<Uuid>,
    sort: ProductSort,
    skip: i64,
    limit: i64,
}

impl PageKey {
    pub fn first_pages(
        category_id: Option<Uuid>,
        sort: ProductSort,
        page: PageRequest,
    ) -> Option<Self> {
        (page.skip + page.limit <= CACHED_PAGE_DEPTH).then_some(Self {
            category_id,
            sort,
            skip: page.skip,
            limit: page.limit,
        })
    }
}

/// The ids this instance changed, for the notifier to announce.
pub struct Announcements {
    /// This instance, as its announcements name it.
    pub sender: Uuid,
    pub changed: mpsc::Receiver<Uuid>,
    /// Set when an id could not be queued: the next announcement must say "everything".
    pub overflowed: Arc<AtomicBool>,
}

#[derive(Clone)]
pub struct ProductCache {
    views: NotifiedCache<Uuid, Arc<ProductRecord>>,
    pages: NotifiedCache<PageKey, Arc<Paged<ProductRecord>>>,
    changed: mpsc::Sender<Uuid>,
    overflowed: Arc<AtomicBool>,
    /// This instance's id in its announcements.
    sender: Uuid,
}

impl ProductCache {
    pub fn new(config: &CatalogCacheConfig) -> (Self, Announcements) {
        let (changed, receiver) = mpsc::channel(ANNOUNCEMENT_BACKLOG);
        let overflowed = Arc::new(AtomicBool::new(false));
        let sender = Uuid::new_v4();
        let cache = Self {
            views: NotifiedCache::new(
                config.product_entries,
                config.product_bytes,
                config.lifetime,
            ),
            pages: NotifiedCache::new(config.page_entries, config.page_bytes, config.lifetime),
            changed,
            overflowed: overflowed.clone(),
            sender,
        };
        let announcements = Announcements {
            sender,
            changed: receiver,
            overflowed,
        };
        (cache, announcements)
    }

    pub fn product(&self, id: Uuid) -> Option<Arc<ProductRecord>> {
        let found = self.views.get(&id);
        metrics::counter!("product_cache_lookups_total", "hit" => if found.is_some() { "true" } else { "false" }).increment(1);
        found
    }

    pub fn product_ticket(&self) -> LoadTicket {
        self.views.ticket()
    }

    pub fn store_product(&self, ticket: LoadTicket, product: Arc<ProductRecord>) {
        self.views.store(ticket, product.id, product);
        // Stores follow misses, which cost a query: the gauges are cheap beside it.
        let (entries, bytes) = self.views.usage();
        metrics::gauge!("product_cache_entries").set(entries as f64);
        metrics::gauge!("product_cache_bytes").set(bytes as f64);
    }

    pub fn page(&self, key: &PageKey) -> Option<Arc<Paged<ProductRecord>>> {
        self.pages.get(key)
    }

    pub fn page_ticket(&self) -> LoadTicket {
        self.pages.ticket()
    }

    pub fn store_page(&self, ticket: LoadTicket, key: PageKey, page: Arc<Paged<ProductRecord>>) {
        self.pages.store(ticket, key, page);
    }

    /// This instance changed product `id` (and committed): forgotten here at once, and
    /// queued for the other instances to hear.
    pub fn changed(&self, id: Uuid) {
        self.forget(&CatalogChange::Products(vec![id]));
        if self.changed.try_send(id).is_err() {
            self.overflowed.store(true, Ordering::Release);
        }
    }

    /// An announcement heard; this instance's own are skipped (it forgot before it
    /// answered, and would only drop what it has read since).
    pub fn heard(&self, announcement: Announcement) {
        if announcement.sender != Some(self.sender) {
            self.forget(&announcement.change);
        }
    }

    /// A change heard (or made here).
    pub fn forget(&self, change: &CatalogChange) {
        match change {
            CatalogChange::Products(ids) => ids.iter().for_each(|id| self.views.forget(id)),
            CatalogChange::Everything => self.views.forget_all(),
        }
        self.pages.forget_all();
    }

    pub fn resume(&self) {
        self.views.resume();
        self.pages.resume();
    }

    pub fn suspend(&self) {
        self.views.suspend();
        self.pages.suspend();
    }
}
