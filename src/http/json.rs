//! `Json<T>`: the one JSON response type, written straight from `T`'s serde `Serialize` and
//! documented with `T`'s poem-openapi schema as `application/json`.
//!
//! poem-openapi's own `Json<T>` first builds a `serde_json::Value` tree (an ordered map per
//! object, every string copied) and then writes it: for a page of twenty products that
//! was the largest part of the service's own CPU time (perf). Types sent this way derive
//! both `Object` and `Serialize`; their unit tests check that both give the same JSON.

use std::marker::PhantomData;

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::problem::ApiError;

pub struct Json<T>(pub T);

const CONTENT_TYPE: &str = "application/json";

impl<T: Type> Payload for Json<T> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().content_type(CONTENT_TYPE).body(body),
            // Plain data (strings, numbers, maps with string keys) always serialises.
            Err(err) => {
                tracing::error!(error = %err, "response not serialisable");
                poem::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for Json<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: CONTENT_TYPE,
                    schema: T::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// A JSON response serialised up front, so that its weak `ETag` can be taken over the very
/// bytes sent (a list page: a client polling it gets 304 while nothing on it changed).
pub struct Serialized<T> {
    bytes: Vec<u8>,
    shape: PhantomData<fn() -> T>,
}

impl<T: Serialize> Serialized<T> {
    pub fn new(value: &T) -> Result<Self, ApiError> {
        let bytes = serde_json::to_vec(value).map_err(|err| {
            ApiError::Internal(anyhow::anyhow!("response not serialisable: {err}"))
        })?;
        Ok(Self {
            bytes,
            shape: PhantomData,
        })
    }

    /// `W/"<the first 16 bytes of the body's SHA-256, hex>"`: weak, as it stands for the
    /// content, not for a stored version.
    pub fn weak_etag(&self) -> String {
        let digest = Sha256::digest(&self.bytes);
        format!("W/\"{}\"", hex::encode(&digest[..16]))
    }
}

impl<T: Type> Payload for Serialized<T> {
    const CONTENT_TYPE: &'static str = CONTENT_TYPE;

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Send> IntoResponse for Serialized<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(CONTENT_TYPE)
            .body(self.bytes)
    }
}
