//! The read side of `audit_events`: by id, keyset pages and a streaming cursor.
//!
//! Filters are typed BSON built from a validated `AuditFilter`: ids as BSON UUIDs, times as
//! BSON dates, text as plain string equality (a string can never become an operator).

use std::time::Duration;

use bson::{Bson, Document, doc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use mongodb::Collection;
use uuid::Uuid;

use super::EventStoreError;
use super::documents::{document_to_audit, user_id_filter};
use super::events::{AUDIT_COLLECTION, EventStore};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_query::{
    AuditCursor, AuditFilter, AuditOrder, AuditPage, ExportLimit, PageSize,
};

/// Documents fetched per round trip when streaming an export: bounds memory per request.
const EXPORT_BATCH_SIZE: u32 = 256;

#[derive(Clone)]
pub struct AuditQueryRepo {
    audit: Collection<Document>,
    /// `maxTimeMS` of a lookup or a page: the server stops a query its indexes cannot serve.
    /// Exports have none: they stream for as long as the client reads.
    time_limit: Duration,
}

impl AuditQueryRepo {
    pub fn new(events: &EventStore, time_limit: Duration) -> Self {
        Self {
            audit: events.database().collection(AUDIT_COLLECTION),
            time_limit,
        }
    }

    pub async fn find_by_id(&self, id: Uuid) -> Result<Option<AuditEvent>, EventStoreError> {
        let found = self
            .audit
            .find_one(doc! { "_id": bson::Uuid::from(id) })
            .max_time(self.time_limit)
            .await?;
        Ok(found.as_ref().and_then(readable))
    }

    /// In `order`, starting strictly after `after`. Fetches one event more than the page
    /// holds to know whether a next page exists without counting.
    pub async fn page(
        &self,
        filter: &AuditFilter,
        after: Option<&AuditCursor>,
        order: AuditOrder,
        size: PageSize,
    ) -> Result<AuditPage, EventStoreError> {
        let limit = size.as_usize();
        let mut documents: Vec<Document> = self
            .audit
            .find(filter_document(filter, after.map(|cursor| (cursor, order))))
            .sort(sorted(order))
            .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
            .max_time(self.time_limit)
            .await?
            .try_collect()
            .await?;
        let more = documents.len() > limit;
        documents.truncate(limit);
        // The cursor comes from the raw keys, so even an unreadable last document cannot
        // make the next page repeat or skip anything.
        let next = more.then(|| documents.last().and_then(sort_key)).flatten();
        Ok(AuditPage {
            events: documents.iter().filter_map(readable).collect(),
            next,
        })
    }

    /// Every matching event, newest first, read batch by batch from a server cursor (never
    /// all at once). Dropping the stream closes the cursor.
    pub async fn stream(
        &self,
        filter: &AuditFilter,
        limit: Option<ExportLimit>,
    ) -> Result<BoxStream<'static, Result<AuditEvent, EventStoreError>>, EventStoreError> {
        let mut find = self
            .audit
            .find(filter_document(filter, None))
            .sort(sorted(AuditOrder::Desc))
            .batch_size(EXPORT_BATCH_SIZE);
        if let Some(limit) = limit {
            find = find.limit(limit.value());
        }
        let cursor = find.await?;
        Ok(cursor
            .filter_map(|item| async move {
                match item {
                    Ok(document) => readable(&document).map(Ok),
                    Err(err) => Some(Err(EventStoreError::from(err))),
                }
            })
            .boxed())
    }
}

fn sorted(order: AuditOrder) -> Document {
    let way = match order {
        AuditOrder::Desc => -1,
        AuditOrder::Asc => 1,
    };
    doc! { "occurred_at": way, "_id": way }
}

pub(crate) fn filter_document(
    filter: &AuditFilter,
    after: Option<(&AuditCursor, AuditOrder)>,
) -> Document {
    let mut document = Document::new();
    if let Some(actor_id) = filter.actor_id {
        document.insert("actor.user_id", user_id_filter(actor_id));
    }
    if let Some(action) = &filter.action {
        document.insert("action", action.as_str());
    }
    if let Some(target_type) = &filter.target_type {
        document.insert("target.type", target_type.as_str());
    }
    if let Some(target_id) = &filter.target_id {
        document.insert("target.id", target_id.as_str());
    }
    if let Some(outcome) = filter.outcome {
        document.insert("outcome", outcome.as_str());
    }
    let mut range = Document::new();
    if let Some(from) = filter.from {
        range.insert("$gte", bson::DateTime::from_chrono(from));
    }
    if let Some(to) = filter.to {
        range.insert("$lte", bson::DateTime::from_chrono(to));
    }
    if !range.is_empty() {
        document.insert("occurred_at", range);
    }
    if let Some((cursor, order)) = after {
        let at = bson::DateTime::from_chrono(cursor.occurred_at);
        let id = bson::Uuid::from(cursor.id);
        let beyond = match order {
            AuditOrder::Desc => "$lt",
            AuditOrder::Asc => "$gt",
        };
        document.insert(
            "$or",
            vec![
                doc! { "occurred_at": { beyond: at } },
                doc! { "occurred_at": at, "_id": { beyond: id } },
            ],
        );
    }
    document
}

fn sort_key(document: &Document) -> Option<AuditCursor> {
    let occurred_at = document.get_datetime("occurred_at").ok()?.to_chrono();
    let id = match document.get("_id")? {
        Bson::Binary(binary) => Uuid::from_slice(&binary.bytes).ok()?,
        _ => return None,
    };
    Some(AuditCursor { occurred_at, id })
}

/// A stored document as an event; one that is not (written by something else) is logged
/// and left out rather than failing the whole read.
fn readable(document: &Document) -> Option<AuditEvent> {
    let event = document_to_audit(document);
    if event.is_none() {
        tracing::warn!(id = ?document.get("_id"), "unreadable audit event document skipped");
    }
    event
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::audit::Outcome;
    use crate::domain::audit_query::{ActionName, TargetId};

    #[test]
    fn filters_are_typed_bson_built_from_validated_values() {
        let actor = Uuid::now_v7();
        let from = Utc.timestamp_millis_opt(1_000).unwrap();
        let filter = AuditFilter {
            actor_id: Some(actor),
            action: Some(ActionName::parse("user.updated").unwrap()),
            target_id: Some(TargetId::parse("{\"$ne\": null}").unwrap()),
            outcome: Some(Outcome::Denied),
            from: Some(from),
            ..AuditFilter::default()
        }
        .checked()
        .unwrap();
        let cursor = AuditCursor {
            occurred_at: Utc.timestamp_millis_opt(5_000).unwrap(),
            id: Uuid::now_v7(),
        };
        let document = filter_document(&filter, Some((&cursor, AuditOrder::Desc)));
        assert_eq!(
            document.get("actor.user_id"),
            Some(&crate::repo::mongo::documents::user_id_filter(actor)),
            "the actor in both its stored forms"
        );
        assert_eq!(
            document.get("target.id"),
            Some(&Bson::String("{\"$ne\": null}".into())),
            "text stays a plain string"
        );
        assert_eq!(document.get_str("outcome"), Ok("denied"));
        assert_eq!(
            document.get_document("occurred_at").unwrap(),
            &doc! { "$gte": bson::DateTime::from_millis(1_000) }
        );
        let or = document.get_array("$or").unwrap();
        assert_eq!(
            or[1],
            Bson::Document(doc! {
                "occurred_at": bson::DateTime::from_millis(5_000),
                "_id": { "$lt": bson::Uuid::from(cursor.id) },
            })
        );
        assert!(filter_document(&AuditFilter::default(), None).is_empty());
    }
}
