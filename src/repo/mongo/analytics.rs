//! The read side of `activity_events` for dashboards: aggregation pipelines over a window.
//!
//! Pipelines are typed BSON built from validated domain values (`Window`, `Bucket`,
//! `EventType`, `TopLimit`): times as BSON dates, names as plain string equality, so no
//! request text can become an operator. Only operators of MongoDB 6.0+ are used
//! (`$match`, `$group`, `$dateTrunc`, `$sort`, `$limit`, `$project`), and each `$match`
//! starts with fields an index of `mongo_indexes/activity_events.json` leads with:
//!
//! * counts with `event_type`: `event_type_occurred_at` (equality, then the range);
//! * counts without it, and active users: `occurred_at_event_type_actor` (the range, with
//!   the grouped fields in the index so the plan need not fetch documents);
//! * top products: `event_type_occurred_at` (`product.viewed`, then the range).
//!
//! With rollups on, the part of a window they cover is read from `activity_rollups`
//! (`rolled.rs`) and only the rest from raw events (`crate::domain::rollups::ReadPlan`).

use std::time::Duration;

use bson::{Bson, Document};
use futures::TryStreamExt;
use mongodb::Collection;
use uuid::Uuid;

mod pipelines;
mod rolled;

use super::EventStoreError;
use super::events::{ACTIVITY_COLLECTION, EventStore, ROLLUP_COLLECTION};
use super::rollups::RollupRepo;
use crate::domain::analytics::{
    ActiveUsers, Bucket, CategoryViews, EventCount, EventType, ProductViews, SearchCount, TopLimit,
    Window,
};
use crate::domain::rollups::ReadPlan;
pub(crate) use pipelines::*;

#[derive(Clone)]
pub struct AnalyticsRepo {
    activity: Collection<Document>,
    rollups: Collection<Document>,
    /// Where rollups are complete up to; `None` when they are off (raw events only).
    coverage: Option<RollupRepo>,
    /// `maxTimeMS` of each pipeline.
    time_limit: Duration,
}

impl AnalyticsRepo {
    pub fn new(events: &EventStore, time_limit: Duration, read_rollups: bool) -> Self {
        Self {
            activity: events.database().collection(ACTIVITY_COLLECTION),
            rollups: events.database().collection(ROLLUP_COLLECTION),
            coverage: read_rollups.then(|| RollupRepo::new(events)),
            time_limit,
        }
    }

    /// Which parts of `window` rollups answer, in whole `bucket`s.
    async fn plan(&self, window: &Window, bucket: Bucket) -> Result<ReadPlan, EventStoreError> {
        let Some(coverage) = &self.coverage else {
            return Ok(ReadPlan::raw(*window));
        };
        let closed_through = coverage.closed_through().await?;
        Ok(ReadPlan::new(*window, bucket, closed_through))
    }

    /// Rows of a bucketed answer: raw before, rollups, raw after (no bucket in two parts).
    async fn bucketed(
        &self,
        plan: ReadPlan,
        raw: impl Fn(&Window) -> Vec<Document>,
        rolled: impl Fn(&Window) -> Vec<Document>,
    ) -> Result<Vec<Document>, EventStoreError> {
        let mut rows = Vec::new();
        if let Some(head) = &plan.head {
            rows.extend(self.run(raw(head)).await?);
        }
        if let Some(middle) = &plan.rolled {
            rows.extend(self.run_on(&self.rollups, rolled(middle)).await?);
        }
        if let Some(tail) = &plan.tail {
            rows.extend(self.run(raw(tail)).await?);
        }
        Ok(rows)
    }

    /// A top list of `window`: raw events alone, or rollups plus the raw parts in one
    /// pipeline.
    async fn top(
        &self,
        window: &Window,
        raw: impl Fn(&Window) -> Vec<Document>,
        summed: impl Fn(&Window, &[Window]) -> Vec<Document>,
    ) -> Result<Vec<Document>, EventStoreError> {
        let plan = self.plan(window, Bucket::Hour).await?;
        let Some(middle) = &plan.rolled else {
            return self.run(raw(window)).await;
        };
        let raw_parts: Vec<Window> = plan.raw_windows().collect();
        self.run_on(&self.rollups, summed(middle, &raw_parts)).await
    }

    /// Events per bucket and type, by bucket start then type.
    pub async fn event_counts(
        &self,
        window: &Window,
        bucket: Bucket,
        event_type: Option<&EventType>,
    ) -> Result<Vec<EventCount>, EventStoreError> {
        let plan = self.plan(window, bucket).await?;
        let rows = self
            .bucketed(
                plan,
                |part| counts_pipeline(part, bucket, event_type),
                |part| rolled::counts(part, bucket, event_type),
            )
            .await?;
        Ok(rows.iter().filter_map(read_count).collect())
    }

    /// The most viewed products, by views descending then product id ascending.
    pub async fn top_products(
        &self,
        window: &Window,
        limit: TopLimit,
    ) -> Result<Vec<ProductViews>, EventStoreError> {
        let rows = self
            .top(
                window,
                |part| top_products_pipeline(part, limit),
                |middle, raw| rolled::top_products(middle, raw, limit),
            )
            .await?;
        Ok(rows.iter().filter_map(read_product_views).collect())
    }

    /// Distinct non-null actors per bucket, by bucket start.
    pub async fn active_users(
        &self,
        window: &Window,
        bucket: Bucket,
    ) -> Result<Vec<ActiveUsers>, EventStoreError> {
        let plan = self.plan(window, bucket).await?;
        let rows = self
            .bucketed(
                plan,
                |part| active_users_pipeline(part, bucket),
                |part| rolled::active_users(part, bucket),
            )
            .await?;
        Ok(rows.iter().filter_map(read_active_users).collect())
    }

    /// The most frequent searches, by searches descending then the query.
    pub async fn top_searches(
        &self,
        window: &Window,
        limit: TopLimit,
    ) -> Result<Vec<SearchCount>, EventStoreError> {
        let rows = self
            .top(
                window,
                |part| top_searches_pipeline(part, limit),
                |middle, raw| rolled::top_searches(middle, raw, limit),
            )
            .await?;
        Ok(rows.iter().filter_map(read_search_count).collect())
    }

    /// Product views per category, by views descending then category id.
    pub async fn category_views(
        &self,
        window: &Window,
    ) -> Result<Vec<CategoryViews>, EventStoreError> {
        let rows = self
            .top(window, category_views_pipeline, rolled::category_views)
            .await?;
        Ok(rows.iter().filter_map(read_category_views).collect())
    }

    async fn run(&self, pipeline: Vec<Document>) -> Result<Vec<Document>, EventStoreError> {
        self.run_on(&self.activity, pipeline).await
    }

    async fn run_on(
        &self,
        collection: &Collection<Document>,
        pipeline: Vec<Document>,
    ) -> Result<Vec<Document>, EventStoreError> {
        // The answers are small (at most 92 days x 24 buckets x event types, or 100
        // products), so they are collected rather than streamed.
        Ok(collection
            .aggregate(pipeline)
            .max_time(self.time_limit)
            .await?
            .try_collect()
            .await?)
    }
}

/// `$sum` answers an int32 while small and an int64 beyond.
pub(crate) fn get_count(row: &Document, key: &str) -> Option<i64> {
    match row.get(key)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        _ => None,
    }
}

fn read_count(row: &Document) -> Option<EventCount> {
    Some(EventCount {
        start: row.get_datetime("start").ok()?.to_chrono(),
        event_type: row.get_str("event_type").ok()?.to_owned(),
        count: get_count(row, "count")?,
    })
}

/// A product id that is not a UUID (not written by this service) is logged and left out.
fn read_product_views(row: &Document) -> Option<ProductViews> {
    let product_id = row
        .get_str("product_id")
        .ok()
        .and_then(|id| Uuid::parse_str(id).ok());
    if product_id.is_none() {
        tracing::warn!(product_id = ?row.get("product_id"), "product view with an unreadable subject id skipped");
    }
    Some(ProductViews {
        product_id: product_id?,
        views: get_count(row, "views")?,
        name: None,
    })
}

fn read_search_count(row: &Document) -> Option<SearchCount> {
    Some(SearchCount {
        query: row.get_str("query").ok()?.to_owned(),
        searches: get_count(row, "searches")?,
        zero_result_searches: get_count(row, "zero_result_searches")?,
    })
}

fn read_category_views(row: &Document) -> Option<CategoryViews> {
    Some(CategoryViews {
        category_id: Uuid::parse_str(row.get_str("category_id").ok()?).ok()?,
        views: get_count(row, "views")?,
        name: None,
    })
}

fn read_active_users(row: &Document) -> Option<ActiveUsers> {
    Some(ActiveUsers {
        start: row.get_datetime("start").ok()?.to_chrono(),
        active_users: get_count(row, "active_users")?,
    })
}

#[cfg(test)]
mod tests {
    use bson::doc;
    use chrono::{TimeZone, Utc};

    use super::*;

    fn window() -> Window {
        Window::parse(
            Utc.timestamp_millis_opt(1_000).unwrap(),
            Utc.timestamp_millis_opt(9_000).unwrap(),
        )
        .unwrap()
    }

    fn first_stage<'a>(pipeline: &'a [Document], stage: &str) -> &'a Document {
        pipeline[0].get_document(stage).expect("first stage")
    }

    #[test]
    fn windows_are_half_open_bson_date_ranges() {
        let pipeline = counts_pipeline(&window(), Bucket::Hour, None);
        assert_eq!(
            first_stage(&pipeline, "$match"),
            &doc! { "occurred_at": {
                "$gte": bson::DateTime::from_millis(1_000),
                "$lt": bson::DateTime::from_millis(9_000),
            } }
        );
    }

    #[test]
    fn an_event_type_is_an_equality_on_a_plain_string_before_the_range() {
        let event_type = EventType::parse("product.searched").unwrap();
        let pipeline = counts_pipeline(&window(), Bucket::Day, Some(&event_type));
        let filter = first_stage(&pipeline, "$match");
        let keys: Vec<&String> = filter.keys().collect();
        assert_eq!(keys, ["event_type", "occurred_at"], "index key order");
        assert_eq!(
            filter.get("event_type"),
            Some(&Bson::String("product.searched".into()))
        );
        let group = pipeline[1].get_document("$group").unwrap();
        assert_eq!(
            group
                .get_document("_id")
                .unwrap()
                .get_document("start")
                .unwrap(),
            &doc! { "$dateTrunc": { "date": "$occurred_at", "unit": "day", "timezone": "UTC" } }
        );
    }

    #[test]
    fn top_products_count_product_views_and_cut_after_a_total_order() {
        let pipeline = top_products_pipeline(&window(), TopLimit::parse(7).unwrap());
        let filter = first_stage(&pipeline, "$match");
        assert_eq!(filter.get_str("event_type"), Ok("product.viewed"));
        assert_eq!(filter.get_str("subject.type"), Ok("product"));
        assert_eq!(pipeline[2], doc! { "$sort": { "views": -1, "_id": 1 } });
        assert_eq!(pipeline[3], doc! { "$limit": 7_i64 });
    }

    #[test]
    fn active_users_leave_out_null_actors_and_group_twice() {
        let pipeline = active_users_pipeline(&window(), Bucket::Hour);
        let filter = first_stage(&pipeline, "$match");
        assert_eq!(
            filter.get_document("actor_id").unwrap(),
            &doc! { "$ne": Bson::Null }
        );
        let stages: Vec<&String> = pipeline.iter().flat_map(|s| s.keys()).collect();
        assert_eq!(stages, ["$match", "$group", "$group", "$sort", "$project"]);
    }

    #[test]
    fn rows_are_read_with_either_integer_width_and_bad_ids_are_skipped() {
        let start = bson::DateTime::from_millis(3_600_000);
        assert_eq!(
            read_count(&doc! { "start": start, "event_type": "a.b", "count": 3_i64 }),
            Some(EventCount {
                start: start.to_chrono(),
                event_type: "a.b".into(),
                count: 3,
            })
        );
        let id = Uuid::new_v4();
        assert_eq!(
            read_product_views(&doc! { "product_id": id.to_string(), "views": 2 }),
            Some(ProductViews {
                product_id: id,
                views: 2,
                name: None,
            })
        );
        assert_eq!(
            read_product_views(&doc! { "product_id": "p-1", "views": 2 }),
            None
        );
        assert_eq!(
            read_product_views(&doc! { "product_id": Bson::Null, "views": 2 }),
            None
        );
        assert_eq!(
            read_active_users(&doc! { "start": start, "active_users": 4 }),
            Some(ActiveUsers {
                start: start.to_chrono(),
                active_users: 4
            })
        );
    }
}
