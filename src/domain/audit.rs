//! Audit events: the record of every state change and security decision.
//!
//! They travel PostgreSQL (outbox, as JSON) -> MongoDB (`audit_events`), so the type
//! serialises to JSON with serde and the event store maps it to BSON explicitly.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "success" => Some(Outcome::Success),
            "denied" => Some(Outcome::Denied),
            "failure" => Some(Outcome::Failure),
            _ => None,
        }
    }
}

/// Who acted. `None` fields are unknown (e.g. an anonymous login attempt has no user id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Actor {
    /// The command line acting on its own (e.g. `stockroom create-admin`).
    pub fn system() -> Self {
        Self {
            email: Some("system".to_owned()),
            ..Self::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub target_type: String,
    pub id: Option<String>,
}

/// One field's change. Values are JSON so numbers, strings (money as decimal strings) and
/// lists keep their shape; secrets are never put here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub action: String,
    pub outcome: Outcome,
    pub actor: Actor,
    pub target: Target,
    pub changes: Option<BTreeMap<String, FieldChange>>,
    pub request_id: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl AuditEvent {
    /// A new event happening now. Time is cut to milliseconds: what BSON dates keep, so an
    /// event reads back exactly as it was written.
    pub fn new(action: impl Into<String>, outcome: Outcome, actor: Actor, target: Target) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: Utc::now().trunc_subsecs(3),
            action: action.into(),
            outcome,
            actor,
            target,
            changes: None,
            request_id: None,
            metadata: serde_json::Map::new(),
        }
    }

    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    pub fn with_change(
        mut self,
        field: &str,
        from: serde_json::Value,
        to: serde_json::Value,
    ) -> Self {
        self.changes
            .get_or_insert_with(BTreeMap::new)
            .insert(field.to_owned(), FieldChange { from, to });
        self
    }

    pub fn with_metadata(mut self, key: &str, value: serde_json::Value) -> Self {
        self.metadata.insert(key.to_owned(), value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_every_field() {
        let event = AuditEvent::new(
            "product.updated",
            Outcome::Success,
            Actor {
                user_id: Some(Uuid::new_v4()),
                email: Some("a@b.c".into()),
                ..Actor::default()
            },
            Target {
                target_type: "product".into(),
                id: Some(Uuid::new_v4().to_string()),
            },
        )
        .with_change("price", "1.00".into(), "2.50".into())
        .with_metadata("reason", "restock".into())
        .with_request_id(Some("req-1".into()));
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["target"]["type"], "product");
        assert_eq!(json["outcome"], "success");
        let back: AuditEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn outcome_parses_only_known_values() {
        assert_eq!(Outcome::parse("denied"), Some(Outcome::Denied));
        assert_eq!(Outcome::parse("DENIED"), None);
        assert_eq!(Outcome::parse("$ne"), None);
    }
}
