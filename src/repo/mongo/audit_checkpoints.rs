//! The copy of the signed checkpoints in MongoDB (`audit_checkpoints`, `_id` = `seq`), for
//! direct readers and exports. Its documents are only as good as their signatures: the
//! verifier checks each against the configured keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::InsertManyOptions;

use super::events::{DUPLICATE_KEY, EventStore};
use crate::domain::audit_chain::Digest32;
use crate::domain::audit_checkpoint::Checkpoint;

pub const CHECKPOINTS_COLLECTION: &str = "audit_checkpoints";
const CHECKPOINT_SCHEMA_VERSION: i32 = 1;

/// A stored checkpoint document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredCheckpoint {
    Readable(Checkpoint),
    /// Has a position but not the fields or types of a checkpoint any more.
    Unreadable {
        seq: i64,
    },
}

#[derive(Clone)]
pub struct AuditCheckpointStore {
    checkpoints: Collection<Document>,
}

fn to_document(checkpoint: &Checkpoint) -> Document {
    doc! {
        "_id": checkpoint.seq,
        "schema_version": CHECKPOINT_SCHEMA_VERSION,
        "seq": checkpoint.seq,
        "hash": checkpoint.hash.to_hex(),
        "created_at": bson::DateTime::from_chrono(checkpoint.created_at),
        "key_id": &checkpoint.key_id,
        "signature": checkpoint.signature_base64(),
    }
}

fn from_document(document: &Document) -> Option<Checkpoint> {
    let signature = STANDARD.decode(document.get_str("signature").ok()?).ok()?;
    Some(Checkpoint {
        seq: document.get_i64("seq").ok()?,
        hash: Digest32::from_hex(document.get_str("hash").ok()?)?,
        created_at: document.get_datetime("created_at").ok()?.to_chrono(),
        key_id: document.get_str("key_id").ok()?.to_owned(),
        signature: signature.as_slice().try_into().ok()?,
    })
}

impl AuditCheckpointStore {
    pub fn new(events: &EventStore) -> Self {
        Self {
            checkpoints: events.database().collection(CHECKPOINTS_COLLECTION),
        }
    }

    /// Stores the checkpoints; one already there (a copy repeated) is left as it is.
    pub async fn store(&self, checkpoints: &[Checkpoint]) -> Result<(), MongoError> {
        if checkpoints.is_empty() {
            return Ok(());
        }
        let documents: Vec<Document> = checkpoints.iter().map(to_document).collect();
        let options = InsertManyOptions::builder().ordered(false).build();
        match self
            .checkpoints
            .insert_many(documents)
            .with_options(options)
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match err.kind.as_ref() {
                ErrorKind::InsertMany(failure)
                    if failure.write_concern_error.is_none()
                        && failure
                            .write_errors
                            .as_deref()
                            .unwrap_or_default()
                            .iter()
                            .all(|e| e.code == DUPLICATE_KEY) =>
                {
                    Ok(())
                }
                _ => Err(err),
            },
        }
    }

    /// Up to `limit` documents at or after position `from`, by position.
    pub async fn from(&self, from: i64, limit: i64) -> Result<Vec<StoredCheckpoint>, MongoError> {
        let documents: Vec<Document> = self
            .checkpoints
            .find(doc! { "_id": { "$gte": from } })
            .sort(doc! { "_id": 1 })
            .limit(limit)
            .await?
            .try_collect()
            .await?;
        Ok(documents
            .iter()
            .map(|document| match from_document(document) {
                Some(checkpoint) => StoredCheckpoint::Readable(checkpoint),
                None => StoredCheckpoint::Unreadable {
                    seq: document.get_i64("_id").unwrap_or(from),
                },
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::domain::audit_checkpoint::AuditKeys;

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let keys = AuditKeys::new([3; 32], Vec::new());
        let checkpoint = keys.sign(
            12,
            Digest32([7; 32]),
            DateTime::from_timestamp_millis(1_780_000_000_001).unwrap(),
        );
        let document = to_document(&checkpoint);
        assert_eq!(document.get_i64("_id").unwrap(), 12);
        assert_eq!(from_document(&document), Some(checkpoint));
        let mut retyped = document.clone();
        retyped.insert("seq", "12");
        assert_eq!(from_document(&retyped), None);
    }
}
