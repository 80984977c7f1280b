//! The `skip` and `limit` query parameters of every offset-paged list, read into a
//! [`PageRequest`] and documented in this one place.
//!
//! poem-openapi documents one parameter per extractor, so the extractor reads the query itself
//! and the document's completion (`super::spec`) adds [`parameters`] to every operation whose
//! answer is a page (`Page_*`): a list cannot take one without the other.

use poem::{Request, RequestBody};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};
use serde_json::{Value, json};

use super::problem::{ApiError, FieldError};
use crate::domain::page::PageRequest;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// From a query string (the first of repeated keys counts): `skip` items from the start
/// (>= 0), at most `limit` (1..=100); every bad value named.
pub fn from_query(query: &str) -> Result<PageRequest, ApiError> {
    let (mut skip, mut limit) = (None, None);
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "skip" if skip.is_none() => skip = Some(value),
            "limit" if limit.is_none() => limit = Some(value),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let mut read = |name: &str, raw: Option<&str>, default: i64, range, rule: &str| {
        let Some(raw) = raw else {
            return default;
        };
        match raw.parse::<i64>() {
            Ok(value) if std::ops::RangeInclusive::contains(&range, &value) => value,
            _ => {
                errors.push(FieldError::new(name, rule));
                default
            }
        }
    };
    let paging = PageRequest {
        skip: read(
            "skip",
            skip.as_deref(),
            0,
            0..=i64::MAX,
            "must be a whole number, 0 or more",
        ),
        limit: read(
            "limit",
            limit.as_deref(),
            DEFAULT_LIMIT,
            1..=MAX_LIMIT,
            "must be a whole number from 1 to 100",
        ),
    };
    if errors.is_empty() {
        Ok(paging)
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl<'a> ApiExtractor<'a> for PageRequest {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::PoemExtractor];

    type ParamType = ();
    type ParamRawType = ();

    async fn from_request(
        request: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(from_query(request.uri().query().unwrap_or_default())?)
    }
}

/// The two parameters as the document states them.
pub fn parameters() -> [Value; 2] {
    [
        json!({
            "name": "skip",
            "in": "query",
            "required": false,
            "description": "How many items to skip (>= 0).",
            "schema": { "type": "integer", "format": "int64", "minimum": 0, "default": 0 },
        }),
        json!({
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size, 1 to 100.",
            "schema": {
                "type": "integer",
                "format": "int64",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &str) -> Vec<String> {
        match from_query(query) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn defaults_bounds_and_every_bad_value_named() {
        assert_eq!(from_query("").unwrap(), PageRequest { skip: 0, limit: 20 });
        assert_eq!(
            from_query("q=x&skip=40&limit=100&skip=1").unwrap(),
            PageRequest {
                skip: 40,
                limit: 100
            }
        );
        assert_eq!(fields("limit=0"), ["limit"]);
        assert_eq!(fields("limit=101"), ["limit"]);
        assert_eq!(fields("limit=ten"), ["limit"]);
        assert_eq!(fields("skip=-1&limit=1.5"), ["skip", "limit"]);
        assert_eq!(fields("skip=%2B1e3"), ["skip"]);
        assert_eq!(fields("skip=99999999999999999999"), ["skip"]);
    }
}
