//! Audit events: the record of every state change and security decision.
//!
//! They travel PostgreSQL (outbox, as JSON) -> MongoDB (`audit_events`), so the type
//! serialises to JSON with serde and the event store maps it to BSON explicitly.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::audit_chain::ChainLink;

crate::choices! {
    /// What became of an attempt.
    pub enum Outcome as "AuditOutcome", "What became of the attempt: success (it took place), denied (refused by a permission or security check; every 403 is `access.denied`) or failure (attempted and failed, e.g. a wrong password)." {
        Success => "success",
        Denied => "denied",
        Failure => "failure",
    }
}

crate::name_type! {
    /// An action the audit trail records, by the name events store (`resource.verb`). Each
    /// area declares its own beside its records (see [`super::names`]).
    AuditAction from actions
}

crate::name_type! {
    /// What an audit event is about, by the name events store. Each area declares its own.
    TargetKind from targets
}

crate::names! {
    targets {
        /// An API operation (the target of `access.denied`), by its operation id.
        Operation => "operation",
        /// The audit trail itself (exports and verifications), without an id.
        AuditTrail => "audit_trail",
    }
    actions {
        /// Every 403.
        AccessDenied => "access.denied",
        /// An export of the audit trail (the filters in metadata).
        AuditExported => "audit.exported",
        /// A verification someone asked for (`full=true`, the command line).
        AuditVerified => "audit.verified",
    }
    permissions {
        AuditRead => "audit:read",
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

impl Target {
    /// The one way to name a target: its kind and id.
    pub fn new(kind: TargetKind, id: impl ToString) -> Self {
        Self {
            target_type: kind.as_str().to_owned(),
            id: Some(id.to_string()),
        }
    }

    /// A target whose id is not known (a login attempt for an email nobody holds).
    pub fn unidentified(kind: TargetKind) -> Self {
        Self {
            target_type: kind.as_str().to_owned(),
            id: None,
        }
    }
}

/// One field's change. Values are JSON so numbers, strings (money as decimal strings) and
/// lists keep their shape; secrets are never put here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

/// The fields of a record an event compares, by name, as they appear in `changes`.
pub type AuditFields = Vec<(&'static str, serde_json::Value)>;

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
    /// Its place in the audit chain, fixed by the relay before delivery (`None` before, and
    /// for events stored before the chain existed). Kept in outbox columns, not the payload.
    #[serde(skip)]
    pub chain: Option<ChainLink>,
}

impl AuditEvent {
    /// A new event happening now. Time is cut to milliseconds: what BSON dates keep, so an
    /// event reads back exactly as it was written.
    pub fn new(action: AuditAction, outcome: Outcome, actor: Actor, target: Target) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: Utc::now().trunc_subsecs(3),
            action: action.as_str().to_owned(),
            outcome,
            actor,
            target,
            changes: None,
            request_id: None,
            metadata: serde_json::Map::new(),
            chain: None,
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

    /// A `changes` entry for each field whose value differs between `before` (absent: the
    /// record is new, every field was null) and `after` (absent: it is gone, every field
    /// becomes null). The one way events describe a change of a record.
    pub fn with_diff(mut self, before: Option<&AuditFields>, after: Option<&AuditFields>) -> Self {
        let names: Vec<&'static str> = before
            .or(after)
            .map(|fields| fields.iter().map(|(name, _)| *name).collect())
            .unwrap_or_default();
        let value = |fields: Option<&AuditFields>, wanted: &str| {
            fields
                .and_then(|fields| fields.iter().find(|(name, _)| *name == wanted))
                .map_or(serde_json::Value::Null, |(_, value)| value.clone())
        };
        for name in names {
            let (from, to) = (value(before, name), value(after, name));
            if from != to {
                self = self.with_change(name, from, to);
            }
        }
        self
    }

    /// Whether any field changed (an update that changed nothing records nothing).
    pub fn has_changes(&self) -> bool {
        self.changes
            .as_ref()
            .is_some_and(|changes| !changes.is_empty())
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
    fn a_diff_names_only_what_changed_and_treats_absence_as_null() {
        let event = || {
            AuditEvent::new(
                AuditAction::RoleUpdated,
                Outcome::Success,
                Actor::default(),
                Target::new(TargetKind::Role, 1),
            )
        };
        let before: AuditFields = vec![("name", "a".into()), ("note", serde_json::Value::Null)];
        let after: AuditFields = vec![("name", "b".into()), ("note", serde_json::Value::Null)];
        let updated = event().with_diff(Some(&before), Some(&after));
        let changes = updated.changes.as_ref().unwrap();
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["name"]);
        assert_eq!(changes["name"].to, "b");
        let deleted = event().with_diff(Some(&before), None);
        assert_eq!(deleted.changes.unwrap()["name"].to, serde_json::Value::Null);
        assert!(
            !event()
                .with_diff(Some(&before), Some(&before))
                .has_changes()
        );
    }

    #[test]
    fn every_action_has_its_own_name_of_resource_dot_verb() {
        let shape = regex::Regex::new(r"^[a-z]+\.[a-z_]+$").unwrap();
        let mut names: Vec<&str> = AuditAction::all().map(|a| a.as_str()).collect();
        for name in &names {
            assert!(shape.is_match(name), "{name}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::all().count(), "a name used twice");
    }

    #[test]
    fn json_round_trip_keeps_every_field() {
        let event = AuditEvent::new(
            AuditAction::ProductUpdated,
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
        assert_eq!(Outcome::parse("denied"), Ok(Outcome::Denied));
        assert_eq!(
            Outcome::parse("DENIED").unwrap_err().rule(),
            "must be one of: success, denied, failure"
        );
        assert!(Outcome::parse("$ne").is_err());
    }
}
