//! The audit chain as the event store holds it: events in `seq` order (index `seq`), for
//! the verifier.

use bson::{Document, doc};
use futures::{Stream, StreamExt, TryStreamExt};
use mongodb::Collection;
use mongodb::error::Error as MongoError;

use super::documents::document_to_audit;
use super::events::{AUDIT_COLLECTION, EventStore};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_chain::Digest32;

/// A stored document in the chain's range.
#[derive(Debug)]
pub enum Stored {
    Event(Box<AuditEvent>),
    /// Has a `seq` but is not an audit event of ours any more (a field removed or retyped).
    Unreadable {
        seq: Option<i64>,
    },
}

#[derive(Clone)]
pub struct AuditChainRepo {
    audit: Collection<Document>,
}

impl AuditChainRepo {
    pub fn new(events: &EventStore) -> Self {
        Self {
            audit: events.database().collection(AUDIT_COLLECTION),
        }
    }

    /// Every document with `from <= seq <= through`, by `seq` then `_id`, streamed.
    pub async fn chained(
        &self,
        from: i64,
        through: i64,
    ) -> Result<impl Stream<Item = Result<Stored, MongoError>> + use<>, MongoError> {
        let cursor = self
            .audit
            .find(doc! { "seq": { "$gte": from, "$lte": through } })
            .sort(doc! { "seq": 1, "_id": 1 })
            .batch_size(1_000)
            .await?;
        Ok(cursor.map(|document| {
            let document = document?;
            Ok(match document_to_audit(&document) {
                Some(event) if event.chain.is_some() => Stored::Event(Box::new(event)),
                _ => Stored::Unreadable {
                    seq: document.get_i64("seq").ok(),
                },
            })
        }))
    }

    /// The lowest `seq` stored above `seq` (a position never given, when `seq` is the head).
    pub async fn first_above(&self, seq: i64) -> Result<Option<i64>, MongoError> {
        let found = self
            .audit
            .find_one(doc! { "seq": { "$gt": seq } })
            .sort(doc! { "seq": 1 })
            .projection(doc! { "seq": 1 })
            .await?;
        Ok(found.and_then(|document| document.get_i64("seq").ok()))
    }

    /// `{seq, content_hash, hash}` of the positions `after < seq <= through`, in order (a
    /// document whose hashes are not readable is left out: the proof's checker sees the gap),
    /// within the server-side `time_limit` (a proof is read per request).
    pub async fn links(
        &self,
        after: i64,
        through: i64,
        time_limit: std::time::Duration,
    ) -> Result<Vec<LinkHashes>, MongoError> {
        let documents: Vec<Document> = self
            .audit
            .find(doc! { "seq": { "$gt": after, "$lte": through } })
            .sort(doc! { "seq": 1, "_id": 1 })
            .projection(doc! { "_id": 0, "seq": 1, "content_hash": 1, "hash": 1 })
            .max_time(time_limit)
            .batch_size(1_000)
            .await?
            .try_collect()
            .await?;
        Ok(documents
            .iter()
            .filter_map(|document| {
                Some(LinkHashes {
                    seq: document.get_i64("seq").ok()?,
                    content_hash: Digest32::from_hex(document.get_str("content_hash").ok()?)?,
                    hash: Digest32::from_hex(document.get_str("hash").ok()?)?,
                })
            })
            .collect())
    }
}

/// One link of the chain by its hashes alone (what a proof carries after its event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHashes {
    pub seq: i64,
    pub content_hash: Digest32,
    pub hash: Digest32,
}
