//! Every error path answers problem+json with a request id, never plain text.

use serde_json::Value;

use crate::helpers::TestApp;

const PROBLEM: &str = "application/problem+json";

async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], PROBLEM);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string());
    let problem_type = body["type"].as_str().unwrap();
    assert!(
        problem_type.starts_with("/problems/"),
        "every problem names its type: {body}"
    );
    assert_eq!(
        body["request_id"],
        request_id.as_str(),
        "problem names the request id"
    );
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_are_404_problems() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/api/v1/nothing-here").await, 404).await;
    assert_problem(app.get("/").await, 404).await;
    // A path segment that is not UTF-8 once decoded.
    let user = app.new_user().await;
    let odd = app
        .get_as("/api/v1/products/%FF%FE", &user.access_token)
        .await;
    let status = odd.status().as_u16();
    assert!(matches!(status, 400 | 404 | 422), "{status}");
    assert_problem(odd, status).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_methods_are_405_problems() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .delete(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    assert_problem(response, 405).await;
    let product = format!("/api/v1/products/{}", uuid::Uuid::new_v4());
    let response = app.client.put(app.url(&product)).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "DELETE, GET, PATCH");
    assert_problem(response, 405).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_says_request_bodies_take_no_other_fields() {
    let app = TestApp::spawn().await;
    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &spec["components"]["schemas"];
    for body in [
        "CreateProductRequest",
        "UpdateProductRequest",
        "StockAdjustmentRequest",
        "CreateRoleRequest",
    ] {
        assert_eq!(schemas[body]["additionalProperties"], false, "{body}");
    }
    assert!(schemas["ProductView"].get("additionalProperties").is_none());
    // What responses write as null, and requests accept as null, is documented as nullable.
    assert_eq!(
        schemas["CategoryView"]["properties"]["description"]["nullable"],
        true
    );
    assert_eq!(
        schemas["UpdateProductRequest"]["properties"]["description"]["nullable"],
        true
    );
    assert!(
        schemas["ProductView"]["properties"]["name"]
            .get("nullable")
            .is_none()
    );
    // A field that may be left out but not cleared is not nullable (null is 422).
    for (body, field) in [
        ("UpdateProductRequest", "price"),
        ("UpdateProductRequest", "name"),
        ("CreateProductRequest", "stock_quantity"),
        ("UpdateCategoryRequest", "name"),
        ("UpdateRoleRequest", "permissions"),
        ("UpdateUserRequest", "is_active"),
        ("UpdateMeRequest", "email"),
    ] {
        assert!(
            schemas[body]["properties"][field].get("nullable").is_none(),
            "{body}.{field}"
        );
    }
}

/// Fields whose rule JSON Schema can state (a pattern, an enum, a `oneOf` of ranges), each
/// stated by the field's own domain type.
const RULED_FIELDS: &[(&str, &str)] = &[
    ("RegisterRequest", "email"),
    ("RegisterRequest", "full_name"),
    ("LoginRequest", "email"),
    ("UpdateMeRequest", "email"),
    ("UpdateMeRequest", "full_name"),
    ("UpdateUserRequest", "full_name"),
    ("SetRolesRequest", "roles"),
    ("CreateRoleRequest", "name"),
    ("CreateRoleRequest", "description"),
    ("CreateRoleRequest", "permissions"),
    ("UpdateRoleRequest", "name"),
    ("UpdateRoleRequest", "description"),
    ("UpdateRoleRequest", "permissions"),
    ("CreateCategoryRequest", "name"),
    ("CreateCategoryRequest", "description"),
    ("UpdateCategoryRequest", "name"),
    ("UpdateCategoryRequest", "description"),
    ("CreateProductRequest", "name"),
    ("CreateProductRequest", "description"),
    ("CreateProductRequest", "sku"),
    ("UpdateProductRequest", "name"),
    ("UpdateProductRequest", "description"),
    ("StockAdjustmentRequest", "delta"),
    ("StockAdjustmentRequest", "reason"),
    ("CreateSupplierRequest", "name"),
    ("CreateSupplierRequest", "contact_email"),
    ("CreateSupplierRequest", "notes"),
];

const RULED_PARAMETERS: &[(&str, &str)] = &[
    ("list_users", "q"),
    ("list_users", "role"),
    ("list_products", "q"),
    ("list_suppliers", "q"),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_document_states_every_value_rule_on_its_field() {
    let app = TestApp::spawn().await;
    let spec: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
    let stated = |schema: &serde_json::Value| {
        ["pattern", "oneOf", "enum"]
            .iter()
            .any(|k| schema.get(*k).is_some())
            || schema["items"].get("pattern").is_some()
            || schema["items"].get("enum").is_some()
    };
    for (schema, property) in RULED_FIELDS {
        let field = &spec["components"]["schemas"][schema]["properties"][property];
        assert!(stated(field), "{schema}.{property} states no rule: {field}");
    }
    for (operation_id, name) in RULED_PARAMETERS {
        let parameter = spec["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|ops| ops.as_object().unwrap().values())
            .filter(|op| op["operationId"] == *operation_id)
            .flat_map(|op| op["parameters"].as_array().unwrap())
            .find(|p| p["in"] == "query" && p["name"] == *name)
            .unwrap_or_else(|| panic!("{operation_id} has no query parameter {name}"));
        assert!(stated(&parameter["schema"]), "{operation_id}?{name}");
    }
    // The stated rule is the enforced one: a value outside the pattern is refused.
    let admin = app.new_admin().await;
    let response = app
        .send_as(
            reqwest::Method::POST,
            "/api/v1/categories",
            &admin.access_token,
            Some(&serde_json::json!({"name": "  \u{3000}"})),
        )
        .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_are_413_problems_whether_declared_or_chunked() {
    let app = TestApp::spawn().await;
    let declared = app
        .client
        .post(app.url("/health/live"))
        .body(vec![b'x'; 300 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(declared, 413).await;

    // Four times the 64 KiB limit, declared above and chunked here: the server reads and
    // drops the rest of a refused body (up to 1 MiB), so the client still sending gets the
    // 413 rather than a reset connection and a broken pipe.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..32).map(|_| Ok(vec![b'y'; 8 * 1024])).collect();
    let chunked = app
        .client
        .post(app.url("/health/live"))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_problem(chunked, 413).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_announced_with_expect_continue_is_refused_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut socket = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    socket
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 10000000\r\n\
              Expect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.read_exact(&mut head),
    )
    .await
    .expect("an answer without the body")
    .unwrap();
    // Not `100 Continue`: that would ask the client to send ten megabytes for nothing.
    assert_eq!(String::from_utf8_lossy(&head), "HTTP/1.1 413");
}

#[tokio::test(flavor = "multi_thread")]
async fn request_ids_are_echoed_generated_or_replaced() {
    let app = TestApp::spawn().await;
    let echoed = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "client-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-42");

    let generated = app.get("/health/live").await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let hostile = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b<script>");
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_carry_nosniff_and_no_server_banner() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/missing"] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers().get("server").is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        cors_allowed_origins: vec!["https://admin.example.com".to_owned()],
        ..Default::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/health/ready"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://admin.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://admin.example.com"
    );

    let refused = preflight("https://evil.example.net").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(refused.status().is_client_error());
    assert_eq!(refused.headers()["content-type"], PROBLEM);
}
