use poem::http::StatusCode;
use poem::test::TestClient;
use poem::{EndpointExt, IntoResponse, Route};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::PlainText;
use poem_openapi::{OpenApi, OpenApiService};

use super::ApiError;
use crate::http::middleware::RequestLayer;

struct ParamsApi;

#[OpenApi]
impl ParamsApi {
    #[oai(path = "/items/:id", method = "get")]
    async fn get(
        &self,
        id: Path<uuid::Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<i32>>,
    ) -> Result<PlainText<String>, ApiError> {
        Ok(PlainText(format!("{}:{:?}", id.0, limit.0)))
    }

    #[oai(path = "/conflict", method = "get")]
    async fn conflict(&self) -> Result<PlainText<String>, ApiError> {
        Err(ApiError::Conflict("That sku is taken.".into()))
    }

    #[oai(path = "/boom", method = "get")]
    async fn boom(&self) -> Result<PlainText<String>, ApiError> {
        Err(ApiError::Internal(anyhow::anyhow!(
            "connection to 10.0.0.5 refused: password=hunter2"
        )))
    }
}

fn client() -> TestClient<impl poem::Endpoint> {
    let app = Route::new()
        .nest("/", OpenApiService::new(ParamsApi, "t", "1"))
        .with(RequestLayer {
            max_body_bytes: 1024,
            body_read_timeout: std::time::Duration::from_secs(5),
            trusted_proxies: Default::default(),
        });
    TestClient::new(app)
}

async fn problem(path: &str) -> (StatusCode, serde_json::Value) {
    let response = client().get(path).send().await;
    let status = response.0.status();
    assert_eq!(
        response.0.content_type(),
        Some("application/problem+json"),
        "{path}"
    );
    let body = response.0.into_body().into_string().await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn invalid_path_and_query_values_are_422_naming_the_parameter() {
    let (status, body) = problem("/items/not-a-uuid").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "id");

    let id = uuid::Uuid::new_v4();
    let (status, body) = problem(&format!("/items/{id}?limit=0")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "limit");
    assert_eq!(body["errors"][0]["message"], "must be >= 1");

    let (_, body) = problem(&format!("/items/{id}?limit=101")).await;
    assert_eq!(body["errors"][0]["message"], "must be <= 100");

    let (status, body) = problem(&format!("/items/{id}?limit=ten")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[test]
fn parse_reasons_become_plain_sentences_without_type_names() {
    for (raw, expected) in [
        (
            "verification failed. minimum(1, exclusive: false)",
            "must be >= 1",
        ),
        (
            "verification failed. maximum(100, exclusive: true)",
            "must be < 100",
        ),
        (
            "verification failed. maxLength(64)",
            "must be at most 64 characters",
        ),
        (
            "verification failed. minLength(1)",
            "must be at least 1 characters",
        ),
        (
            "verification failed. pattern(\"^[a-z0-9_,()]+$\")",
            "must match the pattern ^[a-z0-9_,()]+$",
        ),
        (
            "failed to parse \"integer(uint32)\": invalid digit found in string",
            "must be a non-negative integer",
        ),
        (
            "failed to parse \"integer(int32)\": invalid digit found in string",
            "must be an integer",
        ),
        (
            "failed to parse \"string_uuid\": invalid character: found `x` at 0 (occurred while parsing \"optional_string_uuid\")",
            "must be a UUID",
        ),
        (
            "failed to parse \"string_date-time\": input contains invalid characters (occurred while parsing \"optional_string_date-time\")",
            "must be an RFC 3339 date-time",
        ),
        (
            "Type \"string_date-time\" expects an input value.",
            "is required",
        ),
        (
            "failed to parse \"ProductSort\": must be one of: name, -name (occurred while parsing \"optional_ProductSort\")",
            "must be one of: name, -name",
        ),
        (
            "failed to parse \"Outcome\": Expect a valid enumeration value. (occurred while parsing \"optional_Outcome\")",
            "Expect a valid enumeration value.",
        ),
    ] {
        assert_eq!(super::poem_errors::clean_reason(raw), expected, "{raw}");
    }
}

#[tokio::test]
async fn valid_parameters_pass() {
    let id = uuid::Uuid::new_v4();
    let response = client().get(format!("/items/{id}?limit=5")).send().await;
    response.assert_status_is_ok();
    response.assert_text(format!("{id}:Some(5)")).await;
}

#[tokio::test]
async fn api_errors_keep_their_status_and_detail() {
    let (status, body) = problem("/conflict").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["detail"], "That sku is taken.");
    assert_eq!(body["type"], "/problems/conflict");
}

#[tokio::test]
async fn internal_errors_tell_the_client_nothing_of_their_cause() {
    let (status, body) = problem("/boom").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = body.to_string();
    assert!(
        !text.contains("10.0.0.5") && !text.contains("hunter2"),
        "{text}"
    );
    assert!(body["request_id"].is_string());
}

#[test]
fn an_overloaded_service_is_503_with_retry_after() {
    let response = ApiError::from(crate::service::error::ServiceError::Overloaded {
        detail: "Too many password checks are waiting; retry shortly.",
        retry_after_secs: 3,
    })
    .into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
