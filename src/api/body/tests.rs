use poem::http::StatusCode;
use poem::test::TestClient;
use poem::{EndpointExt, Route};
use poem_openapi::payload::PlainText;
use poem_openapi::{Object, OpenApi, OpenApiService};

use super::JsonBody;
use crate::http::middleware::RequestLayer;
use crate::http::problem::ApiError;

#[derive(Object)]
#[oai(deny_unknown_fields)]
struct Sample {
    #[oai(validator(min_length = 2, max_length = 5))]
    name: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "10")))]
    count: i32,
    tag: Option<String>,
}

struct SampleApi;

#[OpenApi]
impl SampleApi {
    #[oai(path = "/samples", method = "post")]
    async fn create(&self, body: JsonBody<Sample>) -> Result<PlainText<String>, ApiError> {
        let sample = body.0;
        Ok(PlainText(format!(
            "{}:{}:{}",
            sample.name,
            sample.count,
            sample.tag.unwrap_or_default()
        )))
    }
}

fn client() -> TestClient<impl poem::Endpoint> {
    let app = Route::new()
        .nest("/", OpenApiService::new(SampleApi, "t", "1"))
        .with(RequestLayer {
            max_body_bytes: 1024,
            body_read_timeout: std::time::Duration::from_secs(5),
            trusted_proxies: Default::default(),
        });
    TestClient::new(app)
}

async fn post(raw: &str) -> (StatusCode, serde_json::Value, String) {
    let response = client()
        .post("/samples")
        .content_type("application/json")
        .body(raw.to_owned())
        .send()
        .await;
    let status = response.0.status();
    let content_type = response.0.content_type().unwrap_or_default().to_owned();
    let text = response.0.into_body().into_string().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (status, json, content_type)
}

fn fields(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_valid_body_is_parsed() {
    let response = client()
        .post("/samples")
        .content_type("application/json; charset=utf-8")
        .body(r#"{"name":"abc","count":3,"tag":"x"}"#)
        .send()
        .await;
    response.assert_status_is_ok();
    response.assert_text("abc:3:x").await;
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let (status, problem, content_type) = post(r#"{"name": "abc", "count": "#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 400);
    assert!(problem["request_id"].is_string());
}

#[tokio::test]
async fn invalid_values_are_a_422_naming_each_field() {
    let (status, problem, content_type) = post(r#"{"name":"abcdefgh","count":11}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(content_type, "application/problem+json");
    let mut found = fields(&problem);
    found.sort();
    assert_eq!(found, ["count", "name"]);
}

#[tokio::test]
async fn missing_wrong_type_and_unknown_fields_are_named() {
    let (status, problem, _) = post(r#"{"count":"three","roles":["admin"]}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut found = fields(&problem);
    found.sort();
    assert_eq!(found, ["count", "name", "roles"]);
}

#[tokio::test]
async fn a_non_object_body_is_a_422() {
    let (status, problem, _) = post("[1,2,3]").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["body"]);
}

#[tokio::test]
async fn a_wrong_content_type_is_a_415_problem() {
    let response = client()
        .post("/samples")
        .content_type("text/plain")
        .body("hello")
        .send()
        .await;
    response.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    response.assert_content_type("application/problem+json");
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let big = format!(r#"{{"name":"{}","count":1}}"#, "x".repeat(2048));
    let (status, problem, _) = post(&big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem["status"], 413);
}
