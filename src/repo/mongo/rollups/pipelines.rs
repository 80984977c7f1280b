//! The pipelines that recompute rollups from raw events over whole hours (or days), each
//! ending in a `$merge` that replaces the documents of the same `_id`, so running one twice,
//! or on two instances at once, leaves the same documents.
//!
//! A rollup's `_id` is its kind, unit, UTC start and key joined by `|`
//! (`event_counts|hour|2026-03-01T10:00:00Z|product.viewed`): deterministic and readable.
//! Event types, subject types and ids are the service's own names and UUIDs, which hold no `|`.

use bson::{Bson, Document, doc};

use super::super::analytics::{category_views_match, found_nothing, in_window, searches_match};
use super::super::events::ROLLUP_COLLECTION;
use crate::domain::analytics::{Bucket, Window};

pub const ROLLUP_SCHEMA_VERSION: i32 = 1;

pub const EVENT_COUNTS: &str = "event_counts";
pub const SUBJECT_COUNTS: &str = "subject_counts";
pub const CATEGORY_VIEWS: &str = "category_views";
pub const SEARCHES: &str = "searches";
pub const ACTIVE_USERS: &str = "active_users";

/// The start of the UTC bucket `occurred_at` falls in.
fn start_of(bucket: Bucket) -> Document {
    doc! { "$dateTrunc": { "date": "$occurred_at", "unit": bucket.as_str(), "timezone": "UTC" } }
}

/// `kind|unit|start|key...` from the grouped `_id.start` and the given key expressions.
fn rollup_id(kind: &str, bucket: Bucket, start: &str, keys: Vec<Bson>) -> Bson {
    let mut parts = vec![
        Bson::String(format!("{kind}|{}|", bucket.as_str())),
        doc! { "$dateToString": { "date": start, "format": "%Y-%m-%dT%H:%M:%SZ", "timezone": "UTC" } }
            .into(),
    ];
    for key in keys {
        parts.push(Bson::String("|".into()));
        parts.push(doc! { "$ifNull": [key, ""] }.into());
    }
    doc! { "$concat": parts }.into()
}

/// The fields every rollup starts with.
fn header(
    kind: &str,
    bucket: Bucket,
    id: Bson,
    start: &str,
    computed_at: bson::DateTime,
) -> Document {
    doc! {
        "_id": id,
        "schema_version": { "$literal": ROLLUP_SCHEMA_VERSION },
        "kind": { "$literal": kind },
        "unit": { "$literal": bucket.as_str() },
        "start": start,
        "computed_at": { "$literal": computed_at },
    }
}

fn merge() -> Document {
    doc! { "$merge": {
        "into": ROLLUP_COLLECTION, "on": "_id", "whenMatched": "replace", "whenNotMatched": "insert",
    } }
}

fn matching(hours: &Window, extra: Document) -> Document {
    let mut filter = extra;
    filter.insert("occurred_at", in_window(hours));
    doc! { "$match": filter }
}

/// Events per (hour, event type).
pub fn event_counts(hours: &Window, computed_at: bson::DateTime) -> Vec<Document> {
    let id = rollup_id(
        EVENT_COUNTS,
        Bucket::Hour,
        "$_id.start",
        vec!["$_id.event_type".into()],
    );
    let mut project = header(EVENT_COUNTS, Bucket::Hour, id, "$_id.start", computed_at);
    project.insert("event_type", "$_id.event_type");
    project.insert("count", 1);
    vec![
        matching(hours, doc! {}),
        doc! { "$group": {
            "_id": { "start": start_of(Bucket::Hour), "event_type": "$event_type" },
            "count": { "$sum": 1 },
        } },
        doc! { "$project": project },
        merge(),
    ]
}

/// Events per (hour, event type, subject): the subject as stored (`{type}` or `{type, id}`).
pub fn subject_counts(hours: &Window, computed_at: bson::DateTime) -> Vec<Document> {
    let keys = vec![
        "$_id.event_type".into(),
        "$_id.subject.type".into(),
        "$_id.subject.id".into(),
    ];
    let id = rollup_id(SUBJECT_COUNTS, Bucket::Hour, "$_id.start", keys);
    let mut project = header(SUBJECT_COUNTS, Bucket::Hour, id, "$_id.start", computed_at);
    project.insert("event_type", "$_id.event_type");
    project.insert("subject", "$_id.subject");
    project.insert("count", 1);
    vec![
        matching(hours, doc! { "subject.type": { "$type": "string" } }),
        doc! { "$group": {
            "_id": { "start": start_of(Bucket::Hour), "event_type": "$event_type", "subject": "$subject" },
            "count": { "$sum": 1 },
        } },
        doc! { "$project": project },
        merge(),
    ]
}

/// Product views per (hour, category the product was in).
pub fn category_views(hours: &Window, computed_at: bson::DateTime) -> Vec<Document> {
    let id = rollup_id(
        CATEGORY_VIEWS,
        Bucket::Hour,
        "$_id.start",
        vec!["$_id.category_id".into()],
    );
    let mut project = header(CATEGORY_VIEWS, Bucket::Hour, id, "$_id.start", computed_at);
    project.insert("category_id", "$_id.category_id");
    project.insert("views", 1);
    vec![
        category_views_match(hours),
        doc! { "$group": {
            "_id": { "start": start_of(Bucket::Hour), "category_id": "$metadata.category_id" },
            "views": { "$sum": 1 },
        } },
        doc! { "$project": project },
        merge(),
    ]
}

/// Distinct non-null actors per `bucket` over `span` (whole buckets): two groups, so no
/// bucket holds its actors in one array.
pub fn active_users(span: &Window, bucket: Bucket, computed_at: bson::DateTime) -> Vec<Document> {
    let id = rollup_id(ACTIVE_USERS, bucket, "$_id", vec![]);
    let mut project = header(ACTIVE_USERS, bucket, id, "$_id", computed_at);
    project.insert("active_users", 1);
    vec![
        matching(span, doc! { "actor_id": { "$type": "string" } }),
        doc! { "$group": { "_id": { "start": start_of(bucket), "actor": "$actor_id" } } },
        doc! { "$group": { "_id": "$_id.start", "active_users": { "$sum": 1 } } },
        doc! { "$project": project },
        merge(),
    ]
}

/// Searches per (hour, normalised term), each hour's most frequent first (ties by the term):
/// read as a stream, the first terms of each hour become its rollup and the rest its `other`.
pub fn search_terms(hours: &Window) -> Vec<Document> {
    vec![
        searches_match(hours),
        doc! { "$group": {
            "_id": { "start": start_of(Bucket::Hour), "query": "$metadata.query" },
            "searches": { "$sum": 1 },
            "zero_result_searches": { "$sum": found_nothing() },
        } },
        doc! { "$sort": { "_id.start": 1, "searches": -1, "_id.query": 1 } },
    ]
}

/// The `_id` of one hour's search rollup, as `rollup_id` builds it in a pipeline.
pub fn searches_id(start: chrono::DateTime<chrono::Utc>) -> String {
    format!("{SEARCHES}|hour|{}", start.format("%Y-%m-%dT%H:%M:%SZ"))
}
