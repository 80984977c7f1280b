//! Answers a client can keep: the body with its `ETag`, or 304 without a body when
//! `If-None-Match` names it. A versioned resource's tag is strong, `"<version>"`; a list
//! page's is weak, over its bytes, so a client polling a page pays for it only when something
//! on it changed.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

use super::json::Serialized;
use super::problem::ApiError;
use super::versioning;

/// `PAGE`: a list page (weak tag over the bytes) rather than a versioned resource.
pub enum Tagged<T, const PAGE: bool> {
    Fresh(Serialized<T>, String),
    NotModified(String),
}

pub type TaggedPage<T> = Tagged<T, true>;
pub type TaggedVersion<T> = Tagged<T, false>;

impl<T: Serialize> Tagged<T, true> {
    /// `page` as it is now, or 304 if `if_none_match` names exactly these bytes.
    pub fn answer(page: &T, if_none_match: Option<&str>) -> Result<Self, ApiError> {
        let body = Serialized::new(page)?;
        let tag = body.weak_etag();
        Ok(Self::unless_named(if_none_match, tag, body))
    }
}

impl<T: Serialize> Tagged<T, false> {
    /// `value` at `version`, or 304 (nothing serialised) if `if_none_match` names it.
    pub fn answer(value: &T, version: i64, if_none_match: Option<&str>) -> Result<Self, ApiError> {
        let tag = versioning::etag(version);
        if versioning::is_not_modified(if_none_match, &tag) {
            return Ok(Self::NotModified(tag));
        }
        Ok(Self::Fresh(Serialized::new(value)?, tag))
    }
}

impl<T, const PAGE: bool> Tagged<T, PAGE> {
    fn unless_named(if_none_match: Option<&str>, tag: String, body: Serialized<T>) -> Self {
        if versioning::is_not_modified(if_none_match, &tag) {
            Self::NotModified(tag)
        } else {
            Self::Fresh(body, tag)
        }
    }
}

impl<T: Send, const PAGE: bool> IntoResponse for Tagged<T, PAGE> {
    fn into_response(self) -> Response {
        let (mut response, tag) = match self {
            Self::Fresh(body, tag) => (body.into_response(), tag),
            Self::NotModified(tag) => (StatusCode::NOT_MODIFIED.into_response(), tag),
        };
        if let Ok(value) = tag.parse() {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    }
}

impl<T: Type + Send, const PAGE: bool> ApiResponse for Tagged<T, PAGE> {
    fn meta() -> MetaResponses {
        let etag = || MetaHeader {
            name: "ETag".to_owned(),
            description: Some(
                if PAGE {
                    "A weak tag over the page's bytes, `W/\"...\"`."
                } else {
                    "The version, `\"<version>\"`."
                }
                .to_owned(),
            ),
            required: true,
            deprecated: false,
            schema: <String as Type>::schema_ref(),
        };
        let (fresh, unchanged) = if PAGE {
            (
                "The page; `ETag` is a weak tag over it.",
                "`If-None-Match` names the page as it still is: nothing to send.",
            )
        } else {
            (
                "The resource; `ETag` is its version.",
                "`If-None-Match` names the current version: nothing to send.",
            )
        };
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: fresh,
                    status: Some(200),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json",
                        schema: T::schema_ref(),
                    }],
                    headers: vec![etag()],
                },
                MetaResponse {
                    description: unchanged,
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![etag()],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
