//! The documents of `audit_events` and `activity_events`, schema version 1 (`docs/EVENTS.md`
//! is their reference, `mongo_indexes/*.validator.json` the store's check of it).
//!
//! One BSON type per kind of value, chosen for people who read the collections directly:
//! event ids (`_id`) are BSON UUIDs (the store's key); every other id (a user, a target, a
//! subject) is a string, the UUID's canonical text where it is one; times are BSON dates in
//! milliseconds. A field with no value is absent, never `null`. Readers also take the forms
//! written before version 1 (binary actor ids, `null`s, no `schema_version`), so documents
//! read the same while `super::legacy` rewrites them.

use bson::{Bson, Document, doc};
use uuid::Uuid;

use crate::domain::activity::ActivityEvent;
use crate::domain::audit::{Actor, AuditEvent, FieldChange, Outcome, Target};
use crate::domain::audit_chain::{ChainLink, Digest32};

/// The version every document written now carries. Within a version, changes are additive
/// only (a new optional field); anything else is a new version.
pub const SCHEMA_VERSION: i32 = 1;

pub(crate) fn audit_to_document(event: &AuditEvent) -> Document {
    let mut actor = Document::new();
    insert_some(
        &mut actor,
        "user_id",
        event.actor.user_id.map(|id| id.to_string()),
    );
    insert_some(&mut actor, "email", event.actor.email.clone());
    insert_some(&mut actor, "ip", event.actor.ip.clone());
    insert_some(&mut actor, "user_agent", event.actor.user_agent.clone());
    let mut target = doc! { "type": &event.target.target_type };
    insert_some(&mut target, "id", event.target.id.clone());
    let mut document = doc! {
        "_id": bson::Uuid::from(event.id),
        "schema_version": SCHEMA_VERSION,
        "occurred_at": bson::DateTime::from_chrono(event.occurred_at),
        "action": &event.action,
        "outcome": event.outcome.as_str(),
        "actor": actor,
        "target": target,
    };
    insert_some(&mut document, "request_id", event.request_id.clone());
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
    document.insert("metadata", json_map_to_document(&event.metadata));
    if let Some(link) = &event.chain {
        document.insert("seq", link.seq);
        document.insert("prev_hash", link.prev_hash.to_hex());
        document.insert("content_hash", link.content_hash.to_hex());
        document.insert("hash", link.hash.to_hex());
    }
    document
}

/// The chain fields of an audit document, when it has them all and they are well formed.
fn read_link(document: &Document) -> Option<ChainLink> {
    let digest = |key| Digest32::from_hex(document.get_str(key).ok()?);
    Some(ChainLink {
        seq: document.get_i64("seq").ok()?,
        prev_hash: digest("prev_hash")?,
        content_hash: digest("content_hash")?,
        hash: digest("hash")?,
    })
}

/// Reads an audit document back (version 1 or earlier); `None` for a document that is not
/// one of ours.
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
        chain: read_link(document),
    })
}

pub(crate) fn activity_to_document(event: &ActivityEvent) -> Document {
    let mut subject = doc! { "type": &event.subject_type };
    insert_some(&mut subject, "id", event.subject_id.clone());
    let mut document = doc! {
        "_id": bson::Uuid::from(event.id),
        "schema_version": SCHEMA_VERSION,
        "occurred_at": bson::DateTime::from_chrono(event.occurred_at),
        "event_type": &event.event_type,
    };
    insert_some(
        &mut document,
        "actor_id",
        event.actor_id.map(|id| id.to_string()),
    );
    document.insert("subject", subject);
    // A metadata key without a value is left out (a search's unused filters).
    let metadata: Document = json_map_to_document(&event.metadata)
        .into_iter()
        .filter(|(_, value)| *value != Bson::Null)
        .collect();
    document.insert("metadata", metadata);
    document
}

/// Reads an activity document back (version 1 or earlier); `None` for one not of ours.
pub(crate) fn document_to_activity(document: &Document) -> Option<ActivityEvent> {
    let subject = document.get_document("subject").ok()?;
    Some(ActivityEvent {
        id: get_uuid(document, "_id")?,
        occurred_at: document.get_datetime("occurred_at").ok()?.to_chrono(),
        event_type: get_string(document, "event_type")?,
        actor_id: get_uuid(document, "actor_id"),
        subject_type: get_string(subject, "type")?,
        subject_id: get_string(subject, "id"),
        metadata: document_to_json_map(document.get_document("metadata").ok()),
    })
}

/// A user id as a filter matches both its forms: the string of version 1 and the binary
/// UUID written before it.
pub(crate) fn user_id_filter(id: Uuid) -> Bson {
    Bson::Document(doc! { "$in": [id.to_string(), bson::Uuid::from(id)] })
}

fn insert_some(document: &mut Document, key: &str, value: Option<String>) {
    if let Some(value) = value {
        document.insert(key, value);
    }
}

/// A UUID stored as a BSON UUID or as its text.
fn get_uuid(document: &Document, key: &str) -> Option<Uuid> {
    match document.get(key)? {
        Bson::Binary(binary) => Uuid::from_slice(&binary.bytes).ok(),
        Bson::String(text) => Uuid::parse_str(text).ok(),
        _ => None,
    }
}

fn get_string(document: &Document, key: &str) -> Option<String> {
    document.get_str(key).ok().map(str::to_owned)
}

fn json_map_to_document(map: &serde_json::Map<String, serde_json::Value>) -> Document {
    map.iter()
        .map(|(k, v)| (k.clone(), Bson::try_from(v.clone()).unwrap_or(Bson::Null)))
        .collect()
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

#[cfg(test)]
mod tests;
