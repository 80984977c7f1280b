//! Activity events: high-volume, lower-stakes signals for dashboards (views, searches, logins).

use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq)]
pub struct ActivityEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub event_type: String,
    pub actor_id: Option<Uuid>,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl ActivityEvent {
    pub fn new(
        event_type: impl Into<String>,
        actor_id: Option<Uuid>,
        subject_type: impl Into<String>,
        subject_id: Option<String>,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            occurred_at: Utc::now().trunc_subsecs(3),
            event_type: event_type.into(),
            actor_id,
            subject_type: subject_type.into(),
            subject_id,
            metadata: serde_json::Map::new(),
        }
    }
}
