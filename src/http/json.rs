//! `Json<T>`: the one JSON response type, written straight from `T`'s serde `Serialize` and
//! documented with `T`'s poem-openapi schema as `application/json`.
//!
//! poem-openapi's own `Json<T>` first builds a `serde_json::Value` tree (an ordered map per
//! object, every string copied) and then writes it: for a page of twenty products that
//! was the largest part of the service's own CPU time (perf). Types sent this way derive
//! both `Object` and `Serialize`; their unit tests check that both give the same JSON.

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::Payload;
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::Serialize;

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
