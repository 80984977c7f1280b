//! What the administration services (users, roles) share: refusals.

use super::auth::{AuthService, Caller};
use super::error::ServiceError;

/// Why a service vetoed a change once it saw the locked row.
#[derive(Debug)]
pub enum Refusal {
    /// The change contradicts the current state (409).
    Conflict(String),
    /// The change would give or take permissions the caller does not hold (403).
    Escalation(Vec<String>),
}

impl Refusal {
    /// `Escalation` when the caller lacks any of `wanted`.
    pub fn unless_held<'a>(
        caller: &Caller,
        wanted: impl IntoIterator<Item = &'a String>,
    ) -> Option<Refusal> {
        let lacking = caller.lacking(wanted);
        (!lacking.is_empty()).then_some(Refusal::Escalation(lacking))
    }

    /// The error to answer with; an escalation is a 403 and is recorded as `access.denied`.
    pub async fn into_error(
        self,
        auth: &AuthService,
        caller: &Caller,
        operation: &str,
    ) -> ServiceError {
        match self {
            Refusal::Conflict(detail) => ServiceError::Conflict(detail),
            Refusal::Escalation(lacking) => {
                let detail = format!(
                    "This change involves permissions you do not hold: {}.",
                    lacking.join(", ")
                );
                auth.deny(
                    caller,
                    operation,
                    ("lacking_permissions", serde_json::json!(lacking)),
                    detail,
                )
                .await
            }
        }
    }
}
