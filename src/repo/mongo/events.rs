//! The event store: `audit_events` (exactly-once by event id) and `activity_events`.
//!
//! Documents are built field by field from domain types: ids as BSON UUIDs (binary subtype 4),
//! times as BSON dates, free-form `changes`/`metadata` as embedded documents.

use bson::{Bson, Document, doc};
use mongodb::error::{Error as MongoError, ErrorKind};
use mongodb::options::InsertManyOptions;
use mongodb::{Collection, Database};
use uuid::Uuid;

use crate::domain::activity::ActivityEvent;
#[cfg(test)]
use crate::domain::audit::AuditAction;
use crate::domain::audit::{Actor, AuditEvent, FieldChange, Outcome, Target};

pub const AUDIT_COLLECTION: &str = "audit_events";
pub const ACTIVITY_COLLECTION: &str = "activity_events";
const DUPLICATE_KEY: i32 = 11000;

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

fn optional_uuid(id: Option<Uuid>) -> Bson {
    id.map_or(Bson::Null, |id| Bson::Binary(bson::Uuid::from(id).into()))
}

fn json_map_to_document(map: &serde_json::Map<String, serde_json::Value>) -> Document {
    map.iter()
        .map(|(k, v)| (k.clone(), Bson::try_from(v.clone()).unwrap_or(Bson::Null)))
        .collect()
}

pub(crate) fn audit_to_document(event: &AuditEvent) -> Document {
    let mut document = doc! {
        "_id": bson::Uuid::from(event.id),
        "occurred_at": bson::DateTime::from_chrono(event.occurred_at),
        "action": &event.action,
        "outcome": event.outcome.as_str(),
        "actor": {
            "user_id": optional_uuid(event.actor.user_id),
            "email": event.actor.email.as_deref(),
            "ip": event.actor.ip.as_deref(),
            "user_agent": event.actor.user_agent.as_deref(),
        },
        "target": { "type": &event.target.target_type, "id": event.target.id.as_deref() },
        "request_id": event.request_id.as_deref(),
        "metadata": json_map_to_document(&event.metadata),
    };
    if let Some(changes) = &event.changes {
        let changes: Document = changes
            .iter()
            .map(|(field, change)| {
                let from = Bson::try_from(change.from.clone()).unwrap_or(Bson::Null);
                let to = Bson::try_from(change.to.clone()).unwrap_or(Bson::Null);
                (
                    field.clone(),
                    Bson::Document(doc! { "from": from, "to": to }),
                )
            })
            .collect();
        document.insert("changes", changes);
    }
    document
}

fn get_uuid(document: &Document, key: &str) -> Option<Uuid> {
    match document.get(key)? {
        Bson::Binary(binary) => Uuid::from_slice(&binary.bytes).ok(),
        _ => None,
    }
}

fn get_string(document: &Document, key: &str) -> Option<String> {
    document.get_str(key).ok().map(str::to_owned)
}

fn document_to_json_map(document: Option<&Document>) -> serde_json::Map<String, serde_json::Value> {
    document
        .map(|d| {
            d.iter()
                .map(|(k, v)| (k.clone(), v.clone().into_relaxed_extjson()))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an audit document back; `None` for a document that is not one of ours.
pub(crate) fn document_to_audit(document: &Document) -> Option<AuditEvent> {
    let actor = document.get_document("actor").ok()?;
    let target = document.get_document("target").ok()?;
    let changes = document.get_document("changes").ok().map(|changes| {
        changes
            .iter()
            .filter_map(|(field, change)| {
                let change = change.as_document()?;
                let value = |k| {
                    change
                        .get(k)
                        .cloned()
                        .unwrap_or(Bson::Null)
                        .into_relaxed_extjson()
                };
                Some((
                    field.clone(),
                    FieldChange {
                        from: value("from"),
                        to: value("to"),
                    },
                ))
            })
            .collect()
    });
    Some(AuditEvent {
        id: get_uuid(document, "_id")?,
        occurred_at: document.get_datetime("occurred_at").ok()?.to_chrono(),
        action: get_string(document, "action")?,
        outcome: Outcome::parse(document.get_str("outcome").ok()?).ok()?,
        actor: Actor {
            user_id: get_uuid(actor, "user_id"),
            email: get_string(actor, "email"),
            ip: get_string(actor, "ip"),
            user_agent: get_string(actor, "user_agent"),
        },
        target: Target {
            target_type: get_string(target, "type")?,
            id: get_string(target, "id"),
        },
        changes,
        request_id: get_string(document, "request_id"),
        metadata: document_to_json_map(document.get_document("metadata").ok()),
    })
}

pub(crate) fn activity_to_document(event: &ActivityEvent) -> Document {
    doc! {
        "_id": bson::Uuid::from(event.id),
        "occurred_at": bson::DateTime::from_chrono(event.occurred_at),
        "event_type": &event.event_type,
        "actor_id": optional_uuid(event.actor_id),
        "subject": { "type": &event.subject_type, "id": event.subject_id.as_deref() },
        "metadata": json_map_to_document(&event.metadata),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_documents_round_trip_with_typed_ids_and_dates() {
        let event = AuditEvent::new(
            AuditAction::ProductUpdated,
            Outcome::Success,
            Actor {
                user_id: Some(Uuid::new_v4()),
                email: Some("m@x.io".into()),
                ip: Some("127.0.0.1".into()),
                user_agent: None,
            },
            Target {
                target_type: "product".into(),
                id: Some("p-1".into()),
            },
        )
        .with_change(
            "price",
            serde_json::json!("1.00"),
            serde_json::json!("2.50"),
        )
        .with_change("stock_quantity", serde_json::json!(3), serde_json::json!(7))
        .with_metadata("reason", serde_json::json!("restock"))
        .with_request_id(Some("req-9".into()));
        let document = audit_to_document(&event);
        assert!(
            matches!(document.get("_id"), Some(Bson::Binary(b)) if b.subtype == bson::spec::BinarySubtype::Uuid)
        );
        assert!(matches!(
            document.get("occurred_at"),
            Some(Bson::DateTime(_))
        ));
        assert_eq!(document_to_audit(&document), Some(event));
    }

    #[test]
    fn activity_documents_keep_subject_and_actor() {
        let actor = Uuid::new_v4();
        let event =
            ActivityEvent::new("product.viewed", Some(actor), "product", Some("p-2".into()));
        let document = activity_to_document(&event);
        assert_eq!(
            document
                .get_document("subject")
                .unwrap()
                .get_str("id")
                .unwrap(),
            "p-2"
        );
        assert_eq!(get_uuid(&document, "actor_id"), Some(actor));
    }
}
