//! Dashboards over activity events: counts per bucket and type, the most viewed products,
//! and distinct active users per bucket (`analytics:read`).
//!
//! Order of checks, as everywhere: the permission first (403, recorded as `access.denied`),
//! then the parameters (422), then the event store (503 while it is unreachable).

use chrono::{DateTime, Utc};

use super::auth::AuthService;
use super::caller::Caller;
use super::error::{EventStoreMessages, ServiceError, ServiceResult};
use crate::domain::analytics::{
    ActiveUsers, Bucket, EventCount, EventType, ProductViews, TopLimit, Window,
};
use crate::domain::identity::Permission;
use crate::repo::mongo::{AnalyticsRepo, EventStoreError};

#[derive(Clone)]
pub struct AnalyticsService {
    events: AnalyticsRepo,
    auth: AuthService,
}

impl AnalyticsService {
    pub fn new(events: AnalyticsRepo, auth: AuthService) -> Self {
        Self { events, auth }
    }

    /// Activity events per bucket and type in `[from, to)`, optionally of one type.
    pub async fn event_counts(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
        event_type: Option<EventType>,
    ) -> ServiceResult<Vec<EventCount>> {
        self.auth
            .authorize(caller, Permission::AnalyticsRead, "get_event_counts")
            .await?;
        let window = window(from, to)?;
        self.events
            .event_counts(&window, bucket, event_type.as_ref())
            .await
            .map_err(unavailable)
    }

    /// The `limit` most viewed products in `[from, to)`.
    pub async fn top_products(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: TopLimit,
    ) -> ServiceResult<Vec<ProductViews>> {
        self.auth
            .authorize(caller, Permission::AnalyticsRead, "get_top_products")
            .await?;
        let window = window(from, to)?;
        self.events
            .top_products(&window, limit)
            .await
            .map_err(unavailable)
    }

    /// Distinct users (non-null actors of any activity event) per bucket in `[from, to)`.
    pub async fn active_users(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
    ) -> ServiceResult<Vec<ActiveUsers>> {
        self.auth
            .authorize(caller, Permission::AnalyticsRead, "get_active_users")
            .await?;
        let window = window(from, to)?;
        self.events
            .active_users(&window, bucket)
            .await
            .map_err(unavailable)
    }
}

/// The window once its rules hold (each bound is a valid time by its type).
fn window(from: DateTime<Utc>, to: DateTime<Utc>) -> ServiceResult<Window> {
    Window::parse(from, to).map_err(|(field, why)| ServiceError::invalid(field, why.rule()))
}

/// As for the audit trail, but naming what is missing in this operation's terms.
const ANALYTICS_STORE: EventStoreMessages = EventStoreMessages {
    unavailable: "The analytics store is unavailable; retry shortly.",
    timed_out: "The analytics store did not answer in time; narrow the window or retry shortly.",
};

fn unavailable(err: EventStoreError) -> ServiceError {
    ServiceError::from_event_store(err, &ANALYTICS_STORE)
}
