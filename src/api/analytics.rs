//! `/api/v1/analytics/*`: dashboards over activity events (views, searches, logins).

use chrono::{DateTime, Utc};
use poem_openapi::param::Query;
use poem_openapi::{Object, OpenApi};
use serde::Serialize;
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use crate::domain::analytics::{
    self as domain, ActiveUsers, Bucket, Compare, EventCount, EventType, ProductViews, SearchCount,
    TopLimit,
};
use crate::domain::value::rfc3339;
use crate::http::json::Json;
use crate::http::problem::ApiError;
use crate::service::analytics::AnalyticsService;

#[derive(Debug, Object, Serialize)]
pub struct EventCountBucket {
    /// Start of the UTC bucket (inclusive); it ends one `bucket` later.
    #[serde(serialize_with = "rfc3339")]
    pub start: DateTime<Utc>,
    pub event_type: String,
    /// Events of this type in this bucket and the window (at least 1).
    pub count: i64,
}

#[derive(Debug, Object, Serialize)]
pub struct EventCounts {
    /// Sorted by `start`, then `event_type`. A bucket or type without events is absent.
    pub buckets: Vec<EventCountBucket>,
    /// With `compare=previous`: the window of the same length that ends at `from`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousEventCounts>,
}

#[derive(Debug, Object, Serialize)]
pub struct PreviousEventCounts {
    /// As `buckets` above, for the previous window.
    pub buckets: Vec<EventCountBucket>,
}

#[derive(Debug, Object, Serialize)]
pub struct ProductViewCount {
    pub product_id: Uuid,
    /// The product's name now; null once it is deleted.
    pub name: Option<String>,
    /// `product.viewed` events for this product in the window (at least 1).
    pub views: i64,
}

#[derive(Debug, Object, Serialize)]
pub struct SearchCountView {
    /// The search term, trimmed and lowercased (ASCII letters; other scripts keep their
    /// case): searches that differ only so count as one.
    pub query: String,
    /// Searches for it in the window (at least 1).
    pub searches: i64,
    /// Of those, the searches that found no product: what customers look for and miss.
    pub zero_result_searches: i64,
}

#[derive(Debug, Object, Serialize)]
pub struct TopSearches {
    /// By `searches` descending, then `query`; at most `limit`.
    pub items: Vec<SearchCountView>,
}

#[derive(Debug, Object, Serialize)]
pub struct CategoryViewCount {
    /// The category the product was in when it was viewed.
    pub category_id: Uuid,
    /// The category's name now; null once it is deleted.
    pub name: Option<String>,
    /// Product views in the window (at least 1).
    pub views: i64,
}

#[derive(Debug, Object, Serialize)]
pub struct CategoryViews {
    /// By `views` descending, then `category_id`; categories without views are absent.
    pub items: Vec<CategoryViewCount>,
}

impl From<SearchCount> for SearchCountView {
    fn from(s: SearchCount) -> Self {
        Self {
            query: s.query,
            searches: s.searches,
            zero_result_searches: s.zero_result_searches,
        }
    }
}

impl From<domain::CategoryViews> for CategoryViewCount {
    fn from(c: domain::CategoryViews) -> Self {
        Self {
            category_id: c.category_id,
            name: c.name,
            views: c.views,
        }
    }
}

#[derive(Debug, Object, Serialize)]
pub struct ActiveUsersBucket {
    /// Start of the UTC bucket (inclusive); it ends one `bucket` later.
    #[serde(serialize_with = "rfc3339")]
    pub start: DateTime<Utc>,
    /// Distinct users with at least one activity event in this bucket and the window.
    pub active_users: i64,
}

#[derive(Debug, Object, Serialize)]
pub struct ActiveUsersCounts {
    /// Sorted by `start`. A bucket without any identified user is absent.
    pub buckets: Vec<ActiveUsersBucket>,
    /// With `compare=previous`: the window of the same length that ends at `from`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousActiveUsers>,
}

#[derive(Debug, Object, Serialize)]
pub struct PreviousActiveUsers {
    /// As `buckets` above, for the previous window.
    pub buckets: Vec<ActiveUsersBucket>,
}

impl From<EventCount> for EventCountBucket {
    fn from(c: EventCount) -> Self {
        Self {
            start: c.start,
            event_type: c.event_type,
            count: c.count,
        }
    }
}

impl From<ProductViews> for ProductViewCount {
    fn from(p: ProductViews) -> Self {
        Self {
            product_id: p.product_id,
            name: p.name,
            views: p.views,
        }
    }
}

impl From<ActiveUsers> for ActiveUsersBucket {
    fn from(a: ActiveUsers) -> Self {
        Self {
            start: a.start,
            active_users: a.active_users,
        }
    }
}

pub struct AnalyticsApi {
    pub analytics: AnalyticsService,
}

#[OpenApi(prefix_path = "/api/v1/analytics", tag = "ApiTags::Analytics")]
impl AnalyticsApi {
    /// Count activity events per time bucket and event type.
    ///
    /// Needs `analytics:read`. Counts the events with `from <= occurred_at < to` (half-open: an
    /// event exactly at `to` belongs to the next window), grouped into UTC buckets of one
    /// `hour` (default) or one `day`. Buckets and types without events are absent, not zero.
    /// `event_type` keeps one type (e.g. `product.viewed`, `product.searched`,
    /// `auth.login_succeeded`); a well-formed name nobody records just gives no buckets. `from`
    /// must precede `to` by at most 92 days. Invalid parameters are 422, once the
    /// permission is held (without it, 403 whatever the parameters).
    #[oai(
        path = "/events/counts",
        method = "get",
        operation_id = "get_event_counts"
    )]
    async fn event_counts(
        &self,
        auth: Permitted<permission::AnalyticsRead>,
        /// Start of the window, inclusive (RFC 3339).
        from: Query<DateTime<Utc>>,
        /// End of the window, exclusive (RFC 3339); after `from`, by at most 92 days.
        to: Query<DateTime<Utc>>,
        /// Bucket width: `hour` (default) or `day`, in UTC.
        #[oai(default)]
        bucket: Query<Bucket>,
        /// Only events of this type.
        event_type: Query<Option<EventType>>,
        /// `previous`: also count the window of the same length that ends at `from`.
        compare: Query<Option<Compare>>,
    ) -> Result<Json<EventCounts>, ApiError> {
        let counts = self
            .analytics
            .event_counts(&auth.0, from.0, to.0, bucket.0, event_type.0, compare.0)
            .await?;
        let buckets = |counts: Vec<EventCount>| counts.into_iter().map(Into::into).collect();
        Ok(Json(EventCounts {
            buckets: buckets(counts.current),
            previous: counts.previous.map(|previous| PreviousEventCounts {
                buckets: buckets(previous),
            }),
        }))
    }

    /// The most viewed products.
    ///
    /// Needs `analytics:read`. Counts `product.viewed` events about a product (subject type
    /// `product`) with `from <= occurred_at < to`, and answers the `limit` products viewed
    /// most, sorted by `views` descending, then `product_id` ascending. Products without views
    /// in the window are absent (the list may be shorter than `limit`, or empty). `from` must
    /// precede `to` by at most 92 days. Invalid parameters are 422, once the
    /// permission is held (without it, 403 whatever the parameters).
    #[oai(
        path = "/top-products",
        method = "get",
        operation_id = "get_top_products"
    )]
    async fn top_products(
        &self,
        auth: Permitted<permission::AnalyticsRead>,
        /// Start of the window, inclusive (RFC 3339).
        from: Query<DateTime<Utc>>,
        /// End of the window, exclusive (RFC 3339); after `from`, by at most 92 days.
        to: Query<DateTime<Utc>>,
        /// How many products at most, 1 to 100 (default 10).
        #[oai(default)]
        limit: Query<TopLimit>,
    ) -> Result<Json<Vec<ProductViewCount>>, ApiError> {
        let top = self
            .analytics
            .top_products(&auth.0, from.0, to.0, limit.0)
            .await?;
        Ok(Json(top.into_iter().map(Into::into).collect()))
    }

    /// Count distinct active users per time bucket.
    ///
    /// Needs `analytics:read`. Counts the distinct users (`actor_id`) with at least one
    /// activity event of any type with `from <= occurred_at < to`, per UTC bucket of one `hour`
    /// (default) or one `day`. A user active several times in a bucket counts once; events
    /// without an actor (anonymous) are not counted. Buckets without an identified user are
    /// absent, not zero. `from` must precede `to` by at most 92 days. Invalid parameters are
    /// 422, once the permission is held (without it, 403 whatever the parameters).
    #[oai(
        path = "/active-users",
        method = "get",
        operation_id = "get_active_users"
    )]
    async fn active_users(
        &self,
        auth: Permitted<permission::AnalyticsRead>,
        /// Start of the window, inclusive (RFC 3339).
        from: Query<DateTime<Utc>>,
        /// End of the window, exclusive (RFC 3339); after `from`, by at most 92 days.
        to: Query<DateTime<Utc>>,
        /// Bucket width: `hour` (default) or `day`, in UTC.
        #[oai(default)]
        bucket: Query<Bucket>,
        /// `previous`: also count the window of the same length that ends at `from`.
        compare: Query<Option<Compare>>,
    ) -> Result<Json<ActiveUsersCounts>, ApiError> {
        let active = self
            .analytics
            .active_users(&auth.0, from.0, to.0, bucket.0, compare.0)
            .await?;
        let buckets = |active: Vec<ActiveUsers>| active.into_iter().map(Into::into).collect();
        Ok(Json(ActiveUsersCounts {
            buckets: buckets(active.current),
            previous: active.previous.map(|previous| PreviousActiveUsers {
                buckets: buckets(previous),
            }),
        }))
    }

    /// The most frequent searches, and how many found nothing.
    ///
    /// Needs `analytics:read`. Counts `product.searched` events with a search term (`q`) and
    /// `from <= occurred_at < to`, per term trimmed and lowercased, with how many of them
    /// found no product (a shop's missing products); terms nobody searched in the window are
    /// absent. `from` must precede `to` by at most 92 days. Invalid parameters are 422, once
    /// the permission is held (without it, 403 whatever the parameters). Hours already rolled
    /// up keep their 100 most frequent terms by name: a term outside an hour's 100 is not
    /// counted for that hour (exact whenever an hour has at most 100 distinct terms).
    #[oai(
        path = "/top-searches",
        method = "get",
        operation_id = "get_top_searches"
    )]
    async fn top_searches(
        &self,
        auth: Permitted<permission::AnalyticsRead>,
        /// Start of the window, inclusive (RFC 3339).
        from: Query<DateTime<Utc>>,
        /// End of the window, exclusive (RFC 3339); after `from`, by at most 92 days.
        to: Query<DateTime<Utc>>,
        /// How many searches at most, 1 to 100 (default 10).
        #[oai(default)]
        limit: Query<TopLimit>,
    ) -> Result<Json<TopSearches>, ApiError> {
        let top = self
            .analytics
            .top_searches(&auth.0, from.0, to.0, limit.0)
            .await?;
        Ok(Json(TopSearches {
            items: top.into_iter().map(Into::into).collect(),
        }))
    }

    /// Product views per category.
    ///
    /// Needs `analytics:read`. Counts `product.viewed` events with `from <= occurred_at < to`
    /// by the category the product was in when it was viewed (views recorded before the
    /// category was stored on the event are not counted), with the category's name now;
    /// categories without views in the window are absent. At most 1,000 categories. `from`
    /// must precede `to` by at most 92 days. Invalid parameters are 422, once the permission
    /// is held (without it, 403 whatever the parameters).
    #[oai(
        path = "/category-views",
        method = "get",
        operation_id = "get_category_views"
    )]
    async fn category_views(
        &self,
        auth: Permitted<permission::AnalyticsRead>,
        /// Start of the window, inclusive (RFC 3339).
        from: Query<DateTime<Utc>>,
        /// End of the window, exclusive (RFC 3339); after `from`, by at most 92 days.
        to: Query<DateTime<Utc>>,
    ) -> Result<Json<CategoryViews>, ApiError> {
        let views = self.analytics.category_views(&auth.0, from.0, to.0).await?;
        Ok(Json(CategoryViews {
            items: views.into_iter().map(Into::into).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use poem_openapi::types::ToJSON;

    use super::*;

    #[test]
    fn serde_and_poem_openapi_write_the_same_json() {
        let counts = EventCounts {
            buckets: vec![EventCountBucket {
                start: Utc::now(),
                event_type: "product.viewed".into(),
                count: 3,
            }],
            previous: None,
        };
        assert_eq!(
            Some(serde_json::to_value(&counts).unwrap()),
            counts.to_json()
        );
        let compared = EventCounts {
            previous: Some(PreviousEventCounts { buckets: vec![] }),
            ..counts
        };
        assert_eq!(
            Some(serde_json::to_value(&compared).unwrap()),
            compared.to_json()
        );
        let active = ActiveUsersCounts {
            buckets: vec![ActiveUsersBucket {
                start: Utc::now(),
                active_users: 2,
            }],
            previous: Some(PreviousActiveUsers { buckets: vec![] }),
        };
        assert_eq!(
            Some(serde_json::to_value(&active).unwrap()),
            active.to_json()
        );
        let top = vec![ProductViewCount {
            product_id: Uuid::now_v7(),
            name: None,
            views: 9,
        }];
        assert_eq!(Some(serde_json::to_value(&top).unwrap()), top.to_json());
    }
}
