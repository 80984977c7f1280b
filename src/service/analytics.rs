//! Dashboards over activity events: counts per bucket and type, the most viewed products,
//! and distinct active users per bucket (`analytics:read`).
//!
//! Order of checks, as everywhere: the permission first (403, recorded as `access.denied`),
//! then the parameters (422), then the event store (503 while it is unreachable).

use super::caller::Authorized;
use crate::domain::names::permission;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::{EventStoreMessages, ServiceError, ServiceResult};
use crate::domain::analytics::{
    ActiveUsers, Bucket, CategoryViews, Compare, Compared, EventCount, EventType, ProductViews,
    SearchCount, TopLimit, Window,
};
use crate::repo::mongo::{AnalyticsRepo, EventStoreError};
use crate::repo::pg::{PgCategoryRepo, PgPool, PgProductRepo};

/// Reads activity events from MongoDB; the names it shows beside ids come from PostgreSQL
/// as they are now.
#[derive(Clone)]
pub struct AnalyticsService {
    events: AnalyticsRepo,
    pool: PgPool,
    products: PgProductRepo,
    categories: PgCategoryRepo,
}

impl AnalyticsService {
    pub fn new(events: AnalyticsRepo, pool: PgPool) -> Self {
        Self {
            events,
            pool,
            products: PgProductRepo,
            categories: PgCategoryRepo,
        }
    }

    /// Activity events per bucket and type in `[from, to)`, optionally of one type, and for
    /// the window before it when `compare` asks.
    pub async fn event_counts(
        &self,
        _caller: &Authorized<permission::AnalyticsRead>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
        event_type: Option<EventType>,
        compare: Option<Compare>,
    ) -> ServiceResult<Compared<Vec<EventCount>>> {
        let window = Window::parse(from, to)?;
        let event_type = event_type.as_ref();
        let counts = |window: Window| async move {
            self.events
                .event_counts(&window, bucket, event_type)
                .await
                .map_err(unavailable)
        };
        compared(window, compare, counts).await
    }

    /// The `limit` most viewed products in `[from, to)`.
    pub async fn top_products(
        &self,
        _caller: &Authorized<permission::AnalyticsRead>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: TopLimit,
    ) -> ServiceResult<Vec<ProductViews>> {
        let window = Window::parse(from, to)?;
        let mut top = self
            .events
            .top_products(&window, limit)
            .await
            .map_err(unavailable)?;
        let ids: Vec<Uuid> = top.iter().map(|p| p.product_id).collect();
        let names = self.products.names(&self.pool, &ids).await?;
        name_each(&mut top, names, |p| (p.product_id, &mut p.name));
        Ok(top)
    }

    /// The `limit` most frequent searches in `[from, to)`, trimmed and lowercased, with how
    /// many of each found nothing.
    pub async fn top_searches(
        &self,
        _caller: &Authorized<permission::AnalyticsRead>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: TopLimit,
    ) -> ServiceResult<Vec<SearchCount>> {
        let window = Window::parse(from, to)?;
        self.events
            .top_searches(&window, limit)
            .await
            .map_err(unavailable)
    }

    /// Product views in `[from, to)` per category the product was in when viewed, with the
    /// category's name now (`None` once deleted).
    pub async fn category_views(
        &self,
        _caller: &Authorized<permission::AnalyticsRead>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ServiceResult<Vec<CategoryViews>> {
        let window = Window::parse(from, to)?;
        let mut views = self
            .events
            .category_views(&window)
            .await
            .map_err(unavailable)?;
        let ids: Vec<Uuid> = views.iter().map(|c| c.category_id).collect();
        let names = self.categories.names(&self.pool, &ids).await?;
        name_each(&mut views, names, |c| (c.category_id, &mut c.name));
        Ok(views)
    }

    /// Distinct users (non-null actors of any activity event) per bucket in `[from, to)`,
    /// and for the window before it when `compare` asks.
    pub async fn active_users(
        &self,
        _caller: &Authorized<permission::AnalyticsRead>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
        compare: Option<Compare>,
    ) -> ServiceResult<Compared<Vec<ActiveUsers>>> {
        let window = Window::parse(from, to)?;
        let active = |window: Window| async move {
            self.events
                .active_users(&window, bucket)
                .await
                .map_err(unavailable)
        };
        compared(window, compare, active).await
    }
}

/// Gives each item the name its id has in `names` (`None` for an id without one: deleted).
fn name_each<T>(
    items: &mut [T],
    names: Vec<(Uuid, String)>,
    slot: impl Fn(&mut T) -> (Uuid, &mut Option<String>),
) {
    let names: HashMap<Uuid, String> = names.into_iter().collect();
    for item in items {
        let (id, name) = slot(item);
        *name = names.get(&id).cloned();
    }
}

/// `read` of the window and, when `compare` asks, of the one before it (both at once).
async fn compared<T, F, Fut>(
    window: Window,
    compare: Option<Compare>,
    read: F,
) -> ServiceResult<Compared<T>>
where
    F: Fn(Window) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<T>>,
{
    match compare {
        None => Ok(Compared {
            current: read(window).await?,
            previous: None,
        }),
        Some(Compare::Previous) => {
            let (current, previous) = tokio::try_join!(read(window), read(window.previous()))?;
            Ok(Compared {
                current,
                previous: Some(previous),
            })
        }
    }
}

/// As for the audit trail, but naming what is missing in this operation's terms.
const ANALYTICS_STORE: EventStoreMessages = EventStoreMessages {
    unavailable: "The analytics store is unavailable; retry shortly.",
    timed_out: "The analytics store did not answer in time; narrow the window or retry shortly.",
};

fn unavailable(err: EventStoreError) -> ServiceError {
    ServiceError::from_event_store(err, &ANALYTICS_STORE)
}
