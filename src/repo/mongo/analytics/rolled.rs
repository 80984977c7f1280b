//! The analytics pipelines over `activity_rollups`, for the part of a window rollups answer
//! (`crate::domain::rollups::ReadPlan`). Each `$match` leads with `kind` and `start`, the
//! fields of the `kind_start` index.
//!
//! Bucketed answers (counts, active users) never share a bucket between rollups and raw
//! events, so their rows are simply put one after the other. Top lists sum one key across
//! both: the rollups' rows and each raw part's (through `$unionWith`) are brought to one
//! shape `{key, <counts>}`, grouped, sorted and cut in one pipeline.

use bson::{Bson, Document, doc};

use super::super::events::ACTIVITY_COLLECTION;
use super::super::rollups::{ACTIVE_USERS, CATEGORY_VIEWS, EVENT_COUNTS, SEARCHES, SUBJECT_COUNTS};
use super::pipelines::{category_views_match, found_nothing, product_views_match, searches_match};
use crate::domain::analytics::{
    Bucket, EventType, MAX_CATEGORIES, PRODUCT_SUBJECT, PRODUCT_VIEWED, TopLimit, Window,
};

/// Rollups of `kind` whose hour (or day) starts in `[from, to)`.
fn rollups_in(kind: &str, rolled: &Window, extra: Document) -> Document {
    let mut filter = doc! {
        "kind": kind,
        "start": {
            "$gte": bson::DateTime::from_chrono(rolled.from()),
            "$lt": bson::DateTime::from_chrono(rolled.to()),
        },
    };
    filter.extend(extra);
    doc! { "$match": filter }
}

/// Event counts per bucket and type, summed from hourly counts, as the raw pipeline answers.
pub(crate) fn counts(
    rolled: &Window,
    bucket: Bucket,
    event_type: Option<&EventType>,
) -> Vec<Document> {
    let extra = match event_type {
        Some(event_type) => doc! { "event_type": event_type.as_str() },
        None => doc! {},
    };
    vec![
        rollups_in(EVENT_COUNTS, rolled, extra),
        doc! { "$group": {
            "_id": {
                "start": { "$dateTrunc": { "date": "$start", "unit": bucket.as_str(), "timezone": "UTC" } },
                "event_type": "$event_type",
            },
            "count": { "$sum": "$count" },
        } },
        doc! { "$sort": { "_id.start": 1, "_id.event_type": 1 } },
        doc! { "$project": {
            "_id": 0, "start": "$_id.start", "event_type": "$_id.event_type", "count": 1,
        } },
    ]
}

/// Distinct users per bucket: stored per hour and per day, never summed.
pub(crate) fn active_users(rolled: &Window, bucket: Bucket) -> Vec<Document> {
    vec![
        rollups_in(ACTIVE_USERS, rolled, doc! { "unit": bucket.as_str() }),
        doc! { "$sort": { "start": 1 } },
        doc! { "$project": { "_id": 0, "start": 1, "active_users": 1 } },
    ]
}

/// `rolled` stages (ending in `{key, <sums>}` rows), then each raw part's stages in the same
/// shape, summed per key and cut to the `limit` largest by the first sum, ties by key.
fn summed_top(
    mut stages: Vec<Document>,
    raw: Vec<Vec<Document>>,
    sums: &[&str],
    limit: i64,
    key_as: &str,
) -> Vec<Document> {
    for pipeline in raw {
        stages.push(doc! { "$unionWith": { "coll": ACTIVITY_COLLECTION, "pipeline": pipeline } });
    }
    let mut group = doc! { "_id": "$key" };
    let mut project = doc! { "_id": 0, key_as: "$_id" };
    for sum in sums {
        group.insert(*sum, doc! { "$sum": format!("${sum}") });
        project.insert(*sum, 1);
    }
    stages.extend([
        doc! { "$group": group },
        doc! { "$sort": { sums[0]: -1, "_id": 1 } },
        doc! { "$limit": limit },
        doc! { "$project": project },
    ]);
    stages
}

fn project(fields: Document) -> Document {
    let mut shape = doc! { "_id": 0 };
    shape.extend(fields);
    doc! { "$project": shape }
}

const ONE: Bson = Bson::Int32(1);

pub(crate) fn top_products(rolled: &Window, raw: &[Window], limit: TopLimit) -> Vec<Document> {
    let rollups = vec![
        rollups_in(
            SUBJECT_COUNTS,
            rolled,
            doc! { "event_type": PRODUCT_VIEWED, "subject.type": PRODUCT_SUBJECT },
        ),
        project(doc! { "key": "$subject.id", "views": "$count" }),
    ];
    let raw = raw
        .iter()
        .map(|window| {
            vec![
                product_views_match(window),
                project(doc! { "key": "$subject.id", "views": { "$literal": ONE } }),
            ]
        })
        .collect();
    summed_top(rollups, raw, &["views"], limit.value(), "product_id")
}

/// Each hour's kept terms (its `other` searches are not any term's).
pub(crate) fn top_searches(rolled: &Window, raw: &[Window], limit: TopLimit) -> Vec<Document> {
    let rollups = vec![
        rollups_in(SEARCHES, rolled, doc! {}),
        doc! { "$unwind": "$terms" },
        project(doc! {
            "key": "$terms.query",
            "searches": "$terms.searches",
            "zero_result_searches": "$terms.zero_result_searches",
        }),
    ];
    let raw = raw
        .iter()
        .map(|window| {
            vec![
                searches_match(window),
                project(doc! {
                    "key": "$metadata.query",
                    "searches": { "$literal": ONE },
                    "zero_result_searches": found_nothing(),
                }),
            ]
        })
        .collect();
    summed_top(
        rollups,
        raw,
        &["searches", "zero_result_searches"],
        limit.value(),
        "query",
    )
}

pub(crate) fn category_views(rolled: &Window, raw: &[Window]) -> Vec<Document> {
    let rollups = vec![
        rollups_in(CATEGORY_VIEWS, rolled, doc! {}),
        project(doc! { "key": "$category_id", "views": "$views" }),
    ];
    let raw = raw
        .iter()
        .map(|window| {
            vec![
                category_views_match(window),
                project(doc! { "key": "$metadata.category_id", "views": { "$literal": ONE } }),
            ]
        })
        .collect();
    summed_top(rollups, raw, &["views"], MAX_CATEGORIES, "category_id")
}
