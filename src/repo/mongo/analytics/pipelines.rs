//! The aggregation pipelines of the analytics reads, each built from validated values.

use bson::{Bson, Document, doc};

use crate::domain::analytics::{
    Bucket, EventType, MAX_CATEGORIES, PRODUCT_SEARCHED, PRODUCT_SUBJECT, PRODUCT_VIEWED, TopLimit,
    Window,
};

/// `occurred_at` in `[from, to)`.
pub(crate) fn in_window(window: &Window) -> Document {
    doc! {
        "$gte": bson::DateTime::from_chrono(window.from()),
        "$lt": bson::DateTime::from_chrono(window.to()),
    }
}

/// The start of the UTC bucket `occurred_at` falls in.
fn bucket_start(bucket: Bucket) -> Document {
    doc! {
        "$dateTrunc": { "date": "$occurred_at", "unit": bucket.as_str(), "timezone": "UTC" }
    }
}

pub(crate) fn counts_pipeline(
    window: &Window,
    bucket: Bucket,
    event_type: Option<&EventType>,
) -> Vec<Document> {
    let filter = match event_type {
        Some(event_type) => doc! {
            "event_type": event_type.as_str(),
            "occurred_at": in_window(window),
        },
        None => doc! { "occurred_at": in_window(window) },
    };
    vec![
        doc! { "$match": filter },
        doc! { "$group": {
            "_id": { "start": bucket_start(bucket), "event_type": "$event_type" },
            "count": { "$sum": 1 },
        } },
        doc! { "$sort": { "_id.start": 1, "_id.event_type": 1 } },
        doc! { "$project": {
            "_id": 0, "start": "$_id.start", "event_type": "$_id.event_type", "count": 1,
        } },
    ]
}

/// Views of products in the window.
pub(crate) fn product_views_match(window: &Window) -> Document {
    doc! { "$match": {
        "event_type": PRODUCT_VIEWED,
        "occurred_at": in_window(window),
        "subject.type": PRODUCT_SUBJECT,
    } }
}

pub(crate) fn top_products_pipeline(window: &Window, limit: TopLimit) -> Vec<Document> {
    vec![
        product_views_match(window),
        doc! { "$group": { "_id": "$subject.id", "views": { "$sum": 1 } } },
        doc! { "$sort": { "views": -1, "_id": 1 } },
        doc! { "$limit": limit.value() },
        doc! { "$project": { "_id": 0, "product_id": "$_id", "views": 1 } },
    ]
}

/// Two groups rather than `$addToSet`: the first makes one row per (bucket, actor), the
/// second counts them, so no bucket ever holds its actors in one array (which a busy day
/// could grow past what a group may hold in memory).
pub(crate) fn active_users_pipeline(window: &Window, bucket: Bucket) -> Vec<Document> {
    vec![
        doc! { "$match": { "occurred_at": in_window(window), "actor_id": { "$ne": Bson::Null } } },
        doc! { "$group": { "_id": { "start": bucket_start(bucket), "actor": "$actor_id" } } },
        doc! { "$group": { "_id": "$_id.start", "active_users": { "$sum": 1 } } },
        doc! { "$sort": { "_id": 1 } },
        doc! { "$project": { "_id": 0, "start": "$_id", "active_users": 1 } },
    ]
}

/// Searches with a text term in the window.
pub(crate) fn searches_match(window: &Window) -> Document {
    doc! { "$match": {
        "event_type": PRODUCT_SEARCHED,
        "occurred_at": in_window(window),
        "metadata.query": { "$type": "string" },
    } }
}

/// 1 for a search that found nothing, else 0.
pub(crate) fn found_nothing() -> Document {
    doc! { "$cond": [{ "$eq": ["$metadata.total", 0] }, 1, 0] }
}

/// Searches with a text term, by the term as recorded normalised (`metadata.query`:
/// trimmed and lowercased when the search was made).
pub(crate) fn top_searches_pipeline(window: &Window, limit: TopLimit) -> Vec<Document> {
    vec![
        searches_match(window),
        doc! { "$group": {
            "_id": "$metadata.query",
            "searches": { "$sum": 1 },
            "zero_result_searches": { "$sum": found_nothing() },
        } },
        doc! { "$sort": { "searches": -1, "_id": 1 } },
        doc! { "$limit": limit.value() },
        doc! { "$project": {
            "_id": 0, "query": "$_id", "searches": 1, "zero_result_searches": 1,
        } },
    ]
}

/// Product views in the window that recorded the product's category.
pub(crate) fn category_views_match(window: &Window) -> Document {
    doc! { "$match": {
        "event_type": PRODUCT_VIEWED,
        "occurred_at": in_window(window),
        "metadata.category_id": { "$type": "string" },
    } }
}

/// Product views by the category the product was in when viewed (`metadata.category_id`).
pub(crate) fn category_views_pipeline(window: &Window) -> Vec<Document> {
    vec![
        category_views_match(window),
        doc! { "$group": { "_id": "$metadata.category_id", "views": { "$sum": 1 } } },
        doc! { "$sort": { "views": -1, "_id": 1 } },
        doc! { "$limit": MAX_CATEGORIES },
        doc! { "$project": { "_id": 0, "category_id": "$_id", "views": 1 } },
    ]
}
