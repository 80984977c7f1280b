//! The write side of `activity_rollups` (docs/EVENTS.md): a pass recomputes whole hours of
//! raw activity events into rollups and then moves the mark that says up to where they are
//! complete (`event_store_meta`, `{_id: "activity_rollups", closed_through}`).
//!
//! Every write is a replacement under a deterministic `_id` and the mark only moves forward
//! (`$max`), so a pass repeated, interrupted or run by several instances at once leaves the
//! same documents: within an hour, recomputing only ever sees the same or more events.

mod pipelines;

use bson::{Document, doc};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::error::Error as MongoError;

use super::events::{ACTIVITY_COLLECTION, EventStore, ROLLUP_COLLECTION};
use super::legacy::META_COLLECTION;
use crate::domain::analytics::{Bucket, Window};
use crate::domain::rollups::{SEARCH_TERMS_PER_HOUR, days_ending_in};
pub use pipelines::{
    ACTIVE_USERS, CATEGORY_VIEWS, EVENT_COUNTS, ROLLUP_SCHEMA_VERSION, SEARCHES, SUBJECT_COUNTS,
};

const MARK_ID: &str = "activity_rollups";

#[derive(Clone)]
pub struct RollupRepo {
    activity: Collection<Document>,
    rollups: Collection<Document>,
    meta: Collection<Document>,
}

impl RollupRepo {
    pub fn new(events: &EventStore) -> Self {
        let db = events.database();
        Self {
            activity: db.collection(ACTIVITY_COLLECTION),
            rollups: db.collection(ROLLUP_COLLECTION),
            meta: db.collection(META_COLLECTION),
        }
    }

    /// The instant before which every hour is rolled up; `None` before the first pass.
    pub async fn closed_through(&self) -> Result<Option<DateTime<Utc>>, MongoError> {
        let mark = self.meta.find_one(doc! { "_id": MARK_ID }).await?;
        Ok(mark
            .as_ref()
            .and_then(|mark| mark.get_datetime("closed_through").ok())
            .map(|at| at.to_chrono()))
    }

    /// When the oldest raw activity event still stored happened.
    pub async fn oldest_event(&self) -> Result<Option<DateTime<Utc>>, MongoError> {
        let oldest = self
            .activity
            .find_one(doc! {})
            .sort(doc! { "occurred_at": 1 })
            .projection(doc! { "occurred_at": 1 })
            .await?;
        Ok(oldest
            .as_ref()
            .and_then(|event| event.get_datetime("occurred_at").ok())
            .map(|at| at.to_chrono()))
    }

    /// Recomputes every rollup of the whole hours in `hours` and the distinct users of the
    /// days that ended in it, then marks `hours.to()` closed.
    pub async fn roll(&self, hours: Window, now: DateTime<Utc>) -> Result<(), MongoError> {
        let computed_at = bson::DateTime::from_chrono(now);
        for pipeline in [
            pipelines::event_counts(&hours, computed_at),
            pipelines::subject_counts(&hours, computed_at),
            pipelines::category_views(&hours, computed_at),
            pipelines::active_users(&hours, Bucket::Hour, computed_at),
        ] {
            self.merge(pipeline).await?;
        }
        if let Some(days) = days_ending_in(hours) {
            self.merge(pipelines::active_users(&days, Bucket::Day, computed_at))
                .await?;
        }
        self.roll_searches(&hours, computed_at).await?;
        self.meta
            .update_one(
                doc! { "_id": MARK_ID },
                doc! { "$max": { "closed_through": bson::DateTime::from_chrono(hours.to()) } },
            )
            .upsert(true)
            .await?;
        Ok(())
    }

    async fn merge(&self, pipeline: Vec<Document>) -> Result<(), MongoError> {
        // A $merge answers an empty cursor; draining it completes the command.
        let mut cursor = self
            .activity
            .aggregate(pipeline)
            .allow_disk_use(true)
            .await?;
        while cursor.try_next().await?.is_some() {}
        Ok(())
    }

    /// One document per hour with searches: its most frequent terms and an `other` count
    /// for the rest, so terms clients invent cannot grow the rollups without bound.
    async fn roll_searches(
        &self,
        hours: &Window,
        computed_at: bson::DateTime,
    ) -> Result<(), MongoError> {
        let mut rows = self
            .activity
            .aggregate(pipelines::search_terms(hours))
            .allow_disk_use(true)
            .await?;
        let mut hour: Option<HourOfSearches> = None;
        while let Some(row) = rows.try_next().await? {
            let Some(term) = TermCount::read(&row) else {
                continue;
            };
            if hour.as_ref().is_some_and(|h| h.start != term.start) {
                self.store_searches(hour.take(), computed_at).await?;
            }
            hour.get_or_insert_with(|| HourOfSearches::new(term.start))
                .add(term);
        }
        self.store_searches(hour, computed_at).await
    }

    async fn store_searches(
        &self,
        hour: Option<HourOfSearches>,
        computed_at: bson::DateTime,
    ) -> Result<(), MongoError> {
        let Some(hour) = hour else { return Ok(()) };
        let id = pipelines::searches_id(hour.start);
        let document = hour.into_document(id.clone(), computed_at);
        self.rollups
            .replace_one(doc! { "_id": id }, document)
            .upsert(true)
            .await?;
        Ok(())
    }
}

struct TermCount {
    start: DateTime<Utc>,
    query: String,
    searches: i64,
    zero_result_searches: i64,
}

impl TermCount {
    fn read(row: &Document) -> Option<Self> {
        let key = row.get_document("_id").ok()?;
        Some(Self {
            start: key.get_datetime("start").ok()?.to_chrono(),
            query: key.get_str("query").ok()?.to_owned(),
            searches: super::analytics::get_count(row, "searches")?,
            zero_result_searches: super::analytics::get_count(row, "zero_result_searches")?,
        })
    }
}

struct HourOfSearches {
    start: DateTime<Utc>,
    terms: Vec<Document>,
    other_searches: i64,
    other_zero_result_searches: i64,
}

impl HourOfSearches {
    fn new(start: DateTime<Utc>) -> Self {
        Self {
            start,
            terms: Vec::new(),
            other_searches: 0,
            other_zero_result_searches: 0,
        }
    }

    /// Terms arrive most frequent first: the first ones are kept by name.
    fn add(&mut self, term: TermCount) {
        if self.terms.len() < SEARCH_TERMS_PER_HOUR {
            self.terms.push(doc! {
                "query": term.query,
                "searches": term.searches,
                "zero_result_searches": term.zero_result_searches,
            });
        } else {
            self.other_searches += term.searches;
            self.other_zero_result_searches += term.zero_result_searches;
        }
    }

    fn into_document(self, id: String, computed_at: bson::DateTime) -> Document {
        doc! {
            "_id": id,
            "schema_version": ROLLUP_SCHEMA_VERSION,
            "kind": SEARCHES,
            "unit": Bucket::Hour.as_str(),
            "start": bson::DateTime::from_chrono(self.start),
            "computed_at": computed_at,
            "terms": self.terms,
            "other": {
                "searches": self.other_searches,
                "zero_result_searches": self.other_zero_result_searches,
            },
        }
    }
}
