//! The audit event's wire shape (kept apart from the domain type and the BSON document).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::audit::{AuditEvent, FieldChange, Outcome};
use crate::domain::audit_chain::CHAIN_SCHEMA_VERSION;
use crate::domain::audit_query::AuditPage;
use crate::domain::value::rfc3339;

/// Who acted; fields that are unknown are absent (an anonymous login attempt has no
/// `user_id`, the command line has no `ip`).
#[derive(Debug, Object, Serialize)]
pub struct AuditActorView {
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// What was acted on: `{type, id?}` (e.g. `user` and its id, `operation` and the
/// operation id for `access.denied`).
#[derive(Debug, Object, Serialize)]
pub struct AuditTargetView {
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub target_type: String,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// One field's change; values keep their JSON type (money as decimal strings). Secrets
/// never appear.
#[derive(Debug, Object, Serialize)]
pub struct FieldChangeView {
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// An audit event.
#[derive(Debug, Object, Serialize)]
pub struct AuditEventView {
    pub id: Uuid,
    /// The document's version (1), part of the chained bytes.
    pub schema_version: i64,
    /// The event's place in the audit chain (1, 2, 3, ...); absent for events stored before
    /// the chain existed, or not delivered yet (docs/AUDIT_INTEGRITY.md).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// The previous event's `hash` (64 zeros before the first), lowercase hex SHA-256.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// SHA-256 of the event's canonical bytes, lowercase hex.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// SHA-256(prev_hash || content_hash), lowercase hex.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub occurred_at: DateTime<Utc>,
    /// e.g. `user.updated`, `auth.login_failed`, `access.denied`.
    pub action: String,
    pub outcome: Outcome,
    pub actor: AuditActorView,
    pub target: AuditTargetView,
    /// Changed fields, for events that change something; absent otherwise.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<BTreeMap<String, FieldChangeView>>,
    /// The `X-Request-Id` of the request that caused the event (null for the command line).
    pub request_id: Option<String>,
    /// Event-specific details (e.g. the missing `permission` of `access.denied`).
    pub metadata: BTreeMap<String, serde_json::Value>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(event: AuditEvent) -> Self {
        let link = event.chain;
        Self {
            id: event.id,
            schema_version: CHAIN_SCHEMA_VERSION,
            seq: link.map(|l| l.seq),
            prev_hash: link.map(|l| l.prev_hash.to_hex()),
            content_hash: link.map(|l| l.content_hash.to_hex()),
            hash: link.map(|l| l.hash.to_hex()),
            occurred_at: event.occurred_at,
            action: event.action,
            outcome: event.outcome,
            actor: AuditActorView {
                user_id: event.actor.user_id,
                email: event.actor.email,
                ip: event.actor.ip,
                user_agent: event.actor.user_agent,
            },
            target: AuditTargetView {
                target_type: event.target.target_type,
                id: event.target.id,
            },
            changes: event.changes.map(|changes| {
                changes
                    .into_iter()
                    .map(|(field, FieldChange { from, to })| (field, FieldChangeView { from, to }))
                    .collect()
            }),
            request_id: event.request_id,
            metadata: event.metadata.into_iter().collect(),
        }
    }
}

/// A page of audit events, newest first.
#[derive(Debug, Object, Serialize)]
pub struct AuditEventPage {
    pub items: Vec<AuditEventView>,
    /// Pass as `cursor` to get the next page; null on the last page. Opaque: its format
    /// may change.
    pub next_cursor: Option<String>,
}

impl From<AuditPage> for AuditEventPage {
    fn from(page: AuditPage) -> Self {
        Self {
            items: page.events.into_iter().map(Into::into).collect(),
            next_cursor: page.next.map(|cursor| cursor.encode()),
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::domain::audit::{Actor, AuditAction, Target, TargetKind};

    #[test]
    fn serde_and_poem_openapi_write_the_same_json() {
        let bare = AuditEvent::new(
            AuditAction::LoginFailed,
            Outcome::Failure,
            Actor::default(),
            Target::unidentified(TargetKind::User),
        );
        let full = AuditEvent::new(
            AuditAction::ProductUpdated,
            Outcome::Success,
            Actor {
                user_id: Some(Uuid::now_v7()),
                email: Some("a@b.example".into()),
                ip: Some("::1".into()),
                user_agent: Some("t \"q\"".into()),
            },
            Target::new(TargetKind::Product, Uuid::now_v7()),
        )
        .with_change("price", "1.00".into(), "2.50".into())
        .with_metadata("version", 3.into())
        .with_request_id(Some("r-1".into()));
        let page = AuditEventPage {
            items: vec![bare.into(), full.into()],
            next_cursor: None,
        };
        assert_eq!(Some(serde_json::to_value(&page).unwrap()), page.to_json());
    }
}
