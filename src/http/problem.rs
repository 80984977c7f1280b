//! Errors as RFC 9457 problem documents (`application/problem+json`), everywhere.
//!
//! `ApiError` is what operations return; `into_problem_response` turns *any* poem error
//! (parse failures, unknown routes, wrong methods) into the same shape, so no path answers
//! plain text and none leaks internals.

use poem::error::ResponseError;
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Object};

use super::request_context;

mod poem_errors;

use crate::service::error::ServiceError;
pub use poem_errors::into_problem_response;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI reference naming the problem type: always a `/problems/...` path.
    #[oai(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// Human-readable explanation. Never contains internals (SQL, driver text, stacks).
    pub detail: String,
    /// The `X-Request-Id` of the request, for support and log correlation.
    pub request_id: Option<String>,
    /// Per-field problems, for 422 responses.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct FieldError {
    /// The body property, query or path parameter at fault (dotted path for nested values).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Errors an operation can answer with. Each maps to one status of the contract.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("request body not received in time")]
    BodyTimeout,
    #[error("URI too long")]
    UriTooLong,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("rate limited")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// 503 with `Retry-After`: the service is too busy for this work right now.
    #[error("overloaded: {detail}")]
    Overloaded {
        detail: String,
        retry_after_secs: u64,
    },
    /// 409 with `Retry-After`: what was asked for is not there yet, and will be.
    #[error("not yet: {detail}")]
    NotYet {
        detail: String,
        retry_after_secs: u64,
    },
    /// Anything unexpected: logged with its cause, answered as a bare 500.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::NotYet { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UriTooLong => StatusCode::URI_TOO_LONG,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::ServiceUnavailable(_) | ApiError::Overloaded { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        let (problem_type, detail, errors) = match self {
            ApiError::BadRequest(d) => ("/problems/malformed-request", d.clone(), None),
            ApiError::Unauthorized(d) => ("/problems/unauthorized", d.clone(), None),
            ApiError::Forbidden(d) => ("/problems/forbidden", d.clone(), None),
            ApiError::NotFound(d) => ("/problems/not-found", d.clone(), None),
            ApiError::Conflict(d) => ("/problems/conflict", d.clone(), None),
            ApiError::NotYet { detail, .. } => ("/problems/not-yet", detail.clone(), None),
            ApiError::PreconditionFailed(d) => ("/problems/precondition-failed", d.clone(), None),
            ApiError::PayloadTooLarge => (
                "/problems/payload-too-large",
                "The request body is larger than this service accepts.".to_owned(),
                None,
            ),
            ApiError::BodyTimeout => (
                "/problems/request-timeout",
                "The request body did not arrive in time.".to_owned(),
                None,
            ),
            ApiError::UriTooLong => {
                let (problem_type, _, detail) = crate::http::head_problem::describe(414, 0);
                (problem_type, detail, None)
            }
            ApiError::UnsupportedMediaType(d) => {
                ("/problems/unsupported-media-type", d.clone(), None)
            }
            ApiError::Validation(errors) => (
                "/problems/validation",
                "The request has invalid values; see `errors`.".to_owned(),
                Some(errors.clone()),
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                "/problems/rate-limited",
                format!("Too many requests; retry after {retry_after_secs} seconds."),
                None,
            ),
            ApiError::ServiceUnavailable(d) | ApiError::Overloaded { detail: d, .. } => {
                ("/problems/unavailable", d.clone(), None)
            }
            ApiError::Internal(_) => (
                "/problems/internal",
                "An unexpected error occurred; it has been logged with this request id.".to_owned(),
                None,
            ),
        };
        Problem {
            problem_type: problem_type.to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            request_id: request_context::current_request_id(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = problem_response(&self.problem());
        match self {
            ApiError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, "Bearer".parse().unwrap());
            }
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Overloaded {
                retry_after_secs, ..
            }
            | ApiError::NotYet {
                retry_after_secs, ..
            } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, (*retry_after_secs).into());
            }
            // The rest of a late body may still be on its way: this connection is done.
            ApiError::BodyTimeout => {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, "close".parse().unwrap());
            }
            _ => {}
        }
        response
    }
}

pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::builder()
        .status(status)
        .content_type(PROBLEM_CONTENT_TYPE)
        .body(problem.to_json_string())
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Validation(issues) => ApiError::Validation(
                issues
                    .into_iter()
                    .map(|i| FieldError::new(i.field, i.message))
                    .collect(),
            ),
            ServiceError::Unauthorized(detail) => ApiError::Unauthorized(detail.to_owned()),
            ServiceError::Forbidden(detail) => ApiError::Forbidden(detail),
            ServiceError::NotFound(what) => ApiError::NotFound(format!("No such {what}.")),
            ServiceError::Conflict(detail) => ApiError::Conflict(detail),
            ServiceError::PreconditionFailed(detail) => ApiError::PreconditionFailed(detail),
            ServiceError::RateLimited { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            ServiceError::Unavailable(detail) => ApiError::ServiceUnavailable(detail.to_owned()),
            ServiceError::Overloaded {
                detail,
                retry_after_secs,
            } => ApiError::Overloaded {
                detail: detail.to_owned(),
                retry_after_secs,
            },
            ServiceError::NotYet {
                detail,
                retry_after_secs,
            } => ApiError::NotYet {
                detail,
                retry_after_secs,
            },
            ServiceError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

/// The statuses every operation may answer with, documented as problem documents.
const DOCUMENTED: &[(u16, &str)] = &[
    (400, "Malformed request (e.g. invalid JSON)"),
    (401, "Missing, invalid or expired bearer token"),
    (403, "Authenticated but lacking the permission"),
    (404, "Not found"),
    (409, "Conflict with the current state"),
    (412, "If-Match version mismatch"),
    (
        408,
        "The request body did not arrive within the body read timeout",
    ),
    (413, "Request body too large"),
    (415, "Unsupported content type"),
    (422, "Invalid values in body, query or path"),
    (429, "Rate limited; see Retry-After"),
    (500, "Unexpected error"),
    (503, "A dependency is unavailable"),
];

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_CONTENT_TYPE,
                        schema: <Problem as poem_openapi::types::Type>::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        <Problem as poem_openapi::types::Type>::register(registry);
    }
}

#[cfg(test)]
mod tests;
