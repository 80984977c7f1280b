//! Every poem and poem-openapi error that reaches the top of the router, as a problem
//! document: by its type wherever poem has one; only parameter reasons (which poem-openapi
//! gives as text alone) are reworded.

use poem::Response;
use poem::error::{MethodNotAllowedError, NotFoundError, ResponseError};
use poem::http::StatusCode;

use super::{ApiError, Problem, problem_response};
use crate::http::request_context;

/// Turns any error that reached the top of the router into a problem response.
pub fn into_problem_response(err: poem::Error) -> Response {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    if let Some(api_error) = err.downcast_ref::<ApiError>() {
        return api_error.as_response();
    }
    let api_error = if let Some(e) = err.downcast_ref::<ParseParamError>() {
        ApiError::validation(e.name, clean_reason(&e.reason))
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        ApiError::validation(path_param_name(e.name), clean_reason(&e.reason))
    } else if err.is::<ParseRequestPayloadError>() {
        ApiError::BadRequest("The request body is not valid JSON for this operation.".to_owned())
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        ApiError::UnsupportedMediaType(e.to_string())
    } else if err.is::<AuthorizationError>() {
        ApiError::Unauthorized("A valid bearer token is required.".to_owned())
    } else if err.is::<NotFoundError>() {
        ApiError::NotFound("No resource at this path.".to_owned())
    } else if err.is::<MethodNotAllowedError>() {
        return generic_problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "This method is not allowed on this path.",
        );
    } else if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else if err.status().is_server_error() {
        ApiError::Internal(anyhow::anyhow!("{err}"))
    } else {
        // A client error from a layer we do not know by type: keep its status, not its text.
        return generic_problem(err.status(), "The request could not be processed.");
    };
    api_error.as_response()
}

/// poem-openapi extracts path parameters as `param0`, `param1`, ...; every path of this API
/// has exactly one, `{id}`.
fn path_param_name(extracted: &str) -> &str {
    if extracted == "param0" {
        "id"
    } else {
        extracted
    }
}

/// A problem for a status no [`ApiError`] stands for, typed after the status
/// (`/problems/method-not-allowed`, ...).
fn generic_problem(status: StatusCode, detail: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    problem_response(&Problem {
        problem_type: format!(
            "/problems/{}",
            title.to_ascii_lowercase().replace([' ', '\''], "-")
        ),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: detail.to_owned(),
        request_id: request_context::current_request_id(),
        errors: None,
    })
}

/// poem-openapi reasons name schema types (`failed to parse "integer(uint32)": ...`) and
/// validators (`verification failed. minimum(1, exclusive: false)`); say in words what the
/// value must be instead.
pub(super) fn clean_reason(reason: &str) -> String {
    let reason = reason
        .split(" (occurred while parsing")
        .next()
        .unwrap_or(reason);
    if reason.ends_with("expects an input value.") {
        return "is required".to_owned();
    }
    if let Some((_, rule)) = reason.split_once("verification failed. ") {
        return describe_rule(rule.trim());
    }
    let parsed_type = reason
        .strip_prefix("failed to parse \"")
        .and_then(|rest| rest.split_once('"'))
        .map(|(ty, _)| ty)
        .unwrap_or_default();
    if parsed_type.ends_with("uuid") {
        return "must be a UUID".to_owned();
    }
    if parsed_type.ends_with("date-time") {
        return "must be an RFC 3339 date-time".to_owned();
    }
    if parsed_type.starts_with("integer(uint") {
        return "must be a non-negative integer".to_owned();
    }
    if parsed_type.starts_with("integer") {
        return "must be an integer".to_owned();
    }
    // A domain value's own words follow the type's name whole (they may hold `: ` too).
    let ours = format!("failed to parse \"{parsed_type}\": ");
    let tail = reason
        .strip_prefix(ours.as_str())
        .unwrap_or_else(|| reason.rsplit(": ").next().unwrap_or(reason))
        .trim();
    if tail.is_empty() {
        "invalid value".to_owned()
    } else {
        tail.to_owned()
    }
}

/// A poem-openapi validator (`maxLength(64)`, `pattern("^[a-z]+$")`, ...) as a sentence.
fn describe_rule(rule: &str) -> String {
    if let Some(pattern) = rule
        .strip_prefix("pattern(\"")
        .and_then(|r| r.strip_suffix("\")"))
    {
        return format!("must match the pattern {pattern}");
    }
    let (name, args) = rule
        .strip_suffix(')')
        .and_then(|r| r.split_once('('))
        .unwrap_or((rule, ""));
    let bound = args.split(',').next().unwrap_or_default().trim();
    let exclusive = args.contains("exclusive: true");
    match name {
        "minimum" => format!("must be {} {bound}", if exclusive { ">" } else { ">=" }),
        "maximum" => format!("must be {} {bound}", if exclusive { "<" } else { "<=" }),
        "minLength" => format!("must be at least {bound} characters"),
        "maxLength" => format!("must be at most {bound} characters"),
        "minItems" => format!("must have at least {bound} items"),
        "maxItems" => format!("must have at most {bound} items"),
        _ => "invalid value".to_owned(),
    }
}
