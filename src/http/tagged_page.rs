//! A list page with a weak `ETag` over its bytes: 304 without a body when `If-None-Match`
//! names it, so a client polling a page pays for it only when something on it changed.

use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

use super::json::Serialized;
use super::problem::ApiError;
use super::versioning;

pub enum TaggedPage<T> {
    Fresh(Serialized<T>, String),
    NotModified(String),
}

impl<T: Serialize> TaggedPage<T> {
    /// `page` as it is now, or 304 if `if_none_match` names exactly these bytes.
    pub fn answer(page: &T, if_none_match: Option<&str>) -> Result<Self, ApiError> {
        let body = Serialized::new(page)?;
        let tag = body.weak_etag();
        Ok(if versioning::is_not_modified(if_none_match, &tag) {
            Self::NotModified(tag)
        } else {
            Self::Fresh(body, tag)
        })
    }
}

impl<T: Send> IntoResponse for TaggedPage<T> {
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

fn etag_header() -> MetaHeader {
    MetaHeader {
        name: "ETag".to_owned(),
        description: Some("A weak tag over the page's bytes, `W/\"...\"`.".to_owned()),
        required: true,
        deprecated: false,
        schema: <String as Type>::schema_ref(),
    }
}

impl<T: Type + Send> ApiResponse for TaggedPage<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The page; `ETag` is a weak tag over it.",
                    status: Some(200),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json",
                        schema: T::schema_ref(),
                    }],
                    headers: vec![etag_header()],
                },
                MetaResponse {
                    description: "`If-None-Match` names the page as it still is: nothing to send.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![etag_header()],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
