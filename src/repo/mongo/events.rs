//! The event store: `audit_events` (exactly-once by event id) and `activity_events`.
//!
//! Documents are built by `super::documents` in the shape `docs/EVENTS.md` describes.

use bson::{Document, doc};
use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};
use uuid::Uuid;

use super::documents::{activity_to_document, audit_to_document, document_to_audit};
use crate::domain::activity::ActivityEvent;
use crate::domain::audit::AuditEvent;

pub const AUDIT_COLLECTION: &str = "audit_events";
pub const ACTIVITY_COLLECTION: &str = "activity_events";
/// Hourly and daily aggregates of `activity_events` (`super::rollups`).
pub const ROLLUP_COLLECTION: &str = "activity_rollups";
pub(crate) const DUPLICATE_KEY: i32 = 11_000;

/// What happened to each event of an audit batch.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AuditInsertReport {
    pub inserted: Vec<Uuid>,
    /// Already stored (an earlier delivery got there first): as good as inserted.
    pub already_stored: Vec<Uuid>,
    pub failed: Vec<(Uuid, String)>,
}

#[derive(Clone)]
pub struct EventStore {
    db: Database,
    audit: Collection<Document>,
    activity: Collection<Document>,
}

impl EventStore {
    pub fn new(db: Database) -> Self {
        Self {
            audit: db.collection(AUDIT_COLLECTION),
            activity: db.collection(ACTIVITY_COLLECTION),
            db,
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub async fn ping(&self) -> Result<(), MongoError> {
        self.db.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }

    /// Inserts a batch unordered, with `_id` = event id: a duplicate key means the event was
    /// delivered before, so replays store nothing twice. An error (rather than a report)
    /// means the whole batch is in doubt: MongoDB unreachable, timed out, and so on.
    pub async fn insert_audit_batch(
        &self,
        events: &[AuditEvent],
    ) -> Result<AuditInsertReport, MongoError> {
        let documents: Vec<Document> = events.iter().map(audit_to_document).collect();
        let options = InsertManyOptions::builder().ordered(false).build();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        match self
            .audit
            .insert_many(documents)
            .with_options(options)
            .await
        {
            Ok(_) => Ok(AuditInsertReport {
                inserted: ids,
                ..AuditInsertReport::default()
            }),
            Err(err) => match err.kind.as_ref() {
                ErrorKind::InsertMany(failure) if failure.write_concern_error.is_none() => {
                    let mut report = AuditInsertReport::default();
                    let errors = failure.write_errors.as_deref().unwrap_or_default();
                    for (index, id) in ids.into_iter().enumerate() {
                        match errors.iter().find(|e| e.index == index) {
                            None => report.inserted.push(id),
                            Some(e) if e.code == DUPLICATE_KEY => report.already_stored.push(id),
                            Some(e) => report
                                .failed
                                .push((id, format!("write error {}: {}", e.code, e.message))),
                        }
                    }
                    Ok(report)
                }
                _ => Err(err),
            },
        }
    }

    pub async fn get_audit_event(&self, id: Uuid) -> Result<Option<AuditEvent>, MongoError> {
        let found = self
            .audit
            .find_one(doc! { "_id": bson::Uuid::from(id) })
            .await?;
        Ok(found.as_ref().and_then(document_to_audit))
    }

    /// Inserts activity events unordered; returns how many were stored.
    pub async fn insert_activity_batch(
        &self,
        events: &[ActivityEvent],
    ) -> Result<usize, MongoError> {
        let documents: Vec<Document> = events.iter().map(activity_to_document).collect();
        let options = InsertManyOptions::builder().ordered(false).build();
        let result = self
            .activity
            .insert_many(documents)
            .with_options(options)
            .await?;
        Ok(result.inserted_ids.len())
    }
}
