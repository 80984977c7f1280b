//! What a service call can fail with, in business terms; the API maps each to a status.

use crate::domain::value::{Invalid, VersionPrecondition};
use crate::repo::mongo::EventStoreError;
use crate::repo::pg::{DbError, Violation, ViolationKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: String,
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Validation(Vec<FieldIssue>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// Too much work of one kind is queued; a retry after the pause may be served.
    #[error("overloaded: {detail}")]
    Overloaded {
        detail: &'static str,
        retry_after_secs: u64,
    },
    /// Not possible yet; it will be after about `retry_after_secs` (409).
    #[error("not yet: {detail}")]
    NotYet {
        detail: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::Validation(vec![FieldIssue::new(field, message)])
    }

    /// 412 unless `expected` (an `If-Match`, when given) admits the `current` version of
    /// the `what` it names.
    pub fn unless_version(
        expected: Option<&VersionPrecondition>,
        what: &str,
        current: i64,
    ) -> ServiceResult<()> {
        match expected {
            Some(expected) if !expected.admits(current) => Err(Self::PreconditionFailed(format!(
                "The {what} is at version {current}; If-Match does not name it. Fetch it \
                 again and retry."
            ))),
            _ => Ok(()),
        }
    }
}

/// What a refused write means to the client, by the name of the constraint PostgreSQL
/// names: the one mapping from a database refusal to an answer, for every service. A key
/// named by PostgreSQL's convention (`<table>_<field>_key`, `<table>_<field>_fkey`) needs no
/// entry: it is 409 (unique) or 422 on the field (foreign key) in general words; an entry
/// here gives better ones. Any other constraint is a 500 (a rule the service should have
/// checked first).
enum Meaning {
    /// A unique key: 409 with these words.
    Taken(&'static str),
    /// A foreign key from a request field: 422 on that field.
    Unknown {
        field: &'static str,
        message: &'static str,
    },
}

const CONSTRAINTS: &[(&str, Meaning)] = &[
    (
        "users_email_key",
        Meaning::Taken("An account with this email already exists."),
    ),
    (
        "roles_name_key",
        Meaning::Taken("A role with this name already exists."),
    ),
    (
        "categories_name_key",
        Meaning::Taken("A category with this name already exists (names ignore case)."),
    ),
    (
        "products_sku_key",
        Meaning::Taken("A product with this SKU already exists (SKUs ignore case)."),
    ),
    (
        "products_category_id_fkey",
        Meaning::Unknown {
            field: "category_id",
            message: "no category has this id",
        },
    ),
    (
        // A role deleted between the lookup of the names and the assignment.
        "user_roles_role_id_fkey",
        Meaning::Unknown {
            field: "roles",
            message: "names a role that no longer exists",
        },
    ),
];

/// The answer to a refused write: its entry in [`CONSTRAINTS`], else by the convention.
fn constraint_answer(violation: &Violation<'_>) -> Option<ServiceError> {
    let listed = CONSTRAINTS
        .iter()
        .find(|(constraint, _)| *constraint == violation.constraint);
    if let Some((_, meaning)) = listed {
        return Some(match meaning {
            Meaning::Taken(detail) => ServiceError::Conflict((*detail).to_owned()),
            Meaning::Unknown { field, message } => ServiceError::invalid(field, message),
        });
    }
    let field = violation.field()?;
    Some(match violation.kind {
        ViolationKind::Unique => {
            ServiceError::Conflict(format!("The {field} is already taken; choose another."))
        }
        ViolationKind::ForeignKey => ServiceError::invalid(field, "names nothing that exists"),
    })
}

/// A domain rule that spans parameters, broken: 422 on the parameter it names.
impl From<(&'static str, Invalid)> for ServiceError {
    fn from((field, why): (&'static str, Invalid)) -> Self {
        ServiceError::invalid(field, why.rule())
    }
}

impl From<DbError> for ServiceError {
    fn from(err: DbError) -> Self {
        if let DbError::Missing(what) = err {
            return ServiceError::NotFound(what);
        }
        if let Some(answer) = err.violation().and_then(|v| constraint_answer(&v)) {
            return answer;
        }
        if err.is_connection_lost() {
            tracing::warn!(error = %err, "database unavailable");
            ServiceError::Unavailable("The database is unavailable; retry shortly.")
        } else if err.is_cancelled() {
            tracing::warn!(error = %err, "database statement cancelled");
            ServiceError::Unavailable("The database did not answer in time; retry shortly.")
        } else {
            ServiceError::Internal(anyhow::Error::new(err))
        }
    }
}

/// What a client is told when an event-store read fails, in the words of what it reads.
pub struct EventStoreMessages {
    pub unavailable: &'static str,
    pub timed_out: &'static str,
}

const AUDIT_STORE: EventStoreMessages = EventStoreMessages {
    unavailable: "The audit store is unavailable; retry shortly.",
    timed_out: "The audit store did not answer in time; narrow the filters or retry shortly.",
};

impl ServiceError {
    pub fn from_event_store(err: EventStoreError, messages: &EventStoreMessages) -> Self {
        match err {
            EventStoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "event store unavailable");
                ServiceError::Unavailable(messages.unavailable)
            }
            EventStoreError::TimedOut(cause) => {
                tracing::warn!(error = %cause, "event store query timed out");
                ServiceError::Unavailable(messages.timed_out)
            }
            EventStoreError::Other(cause) => ServiceError::Internal(anyhow::Error::new(cause)),
        }
    }
}

impl From<EventStoreError> for ServiceError {
    fn from(err: EventStoreError) -> Self {
        Self::from_event_store(err, &AUDIT_STORE)
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
