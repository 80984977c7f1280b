//! Hostile values in every string field of every JSON request body the document describes:
//! never a 5xx; a 4xx problem that changed nothing, or a 2xx that stored the value verbatim.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::targets::{PASSWORD_CHANGE, Targets};
use super::{Callers, Role, content_type, operations, served_document};
use crate::helpers::{TestApp, TestOptions, stored_audit_events, wait_for_audit_event};

/// The production default body limit, so a 1 MB string reaches validation.
const MAX_BODY_BYTES: usize = 1_048_576;

fn hostile_values() -> Vec<(&'static str, Value)> {
    vec![
        ("SQL drop", json!("'; DROP TABLE users; --")),
        ("SQL tautology", json!("' OR '1'='1")),
        ("Mongo $ne", json!({ "$ne": null })),
        ("Mongo $gt", json!({ "$gt": "" })),
        ("Mongo $where", json!("$where")),
        ("NUL byte", json!("a\u{0000}b")),
        ("1 MB string", json!("x".repeat(1_000_000))),
    ]
}

/// The string fields of a body schema: (property, whether it is an array of strings).
fn string_fields(document: &Value, schema: &Value) -> Vec<(String, bool)> {
    let schema = resolve(document, schema);
    let mut fields = Vec::new();
    for (name, property) in schema["properties"].as_object().expect("object schema") {
        let property = resolve(document, property);
        let is_string = |s: &Value| {
            s["type"] == "string"
                || s["anyOf"]
                    .as_array()
                    .is_some_and(|any| any.iter().any(|s| s["type"] == "string"))
        };
        if is_string(property) {
            fields.push((name.clone(), false));
        } else if property["type"] == "array" && is_string(&property["items"]) {
            fields.push((name.clone(), true));
        }
    }
    fields
}

/// Follows `$ref` (also the `allOf: [{$ref}]` wrapper of nullable references).
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    let reference = schema["$ref"]
        .as_str()
        .or_else(|| schema["allOf"][0]["$ref"].as_str());
    match reference.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    }
}

/// Where the state an operation may change can be read: the item it addresses, the
/// caller's account, or the collection it adds to (whose `total` must not move).
fn observed_path(template: &str, path: &str) -> Option<String> {
    match template {
        "/api/v1/auth/register" => Some("/api/v1/users?limit=1".to_owned()),
        "/api/v1/users/me" | "/api/v1/users/me/password" => Some("/api/v1/users/me".to_owned()),
        "/api/v1/categories" | "/api/v1/products" | "/api/v1/roles" => {
            Some(format!("{template}?limit=1"))
        }
        _ if template.contains("{id}") => {
            let depth = template.split("{id}").next().unwrap().matches('/').count();
            Some(
                path.split('/')
                    .take(depth + 1)
                    .collect::<Vec<_>>()
                    .join("/"),
            )
        }
        _ => None,
    }
}

/// An observation without what reading it changes (product views touch nothing stored).
async fn observe(app: &TestApp, token: &str, path: &Option<String>) -> Option<Value> {
    match path {
        Some(path) => Some(app.get_json(path, token).await),
        None => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_strings_in_every_body_field_are_refused_cleanly_or_stored_verbatim() {
    let app = TestApp::spawn_with(TestOptions {
        max_body_bytes: MAX_BODY_BYTES,
        ..TestOptions::default()
    })
    .await;
    let callers = Callers::sign_up(&app).await;
    let targets = Targets::create(&app, &callers).await;
    let document = served_document(&app).await;
    let admin = callers.token(Role::Admin).unwrap();

    let mut refused_request_ids = Vec::new();
    let mut failures = Vec::new();
    let mut attempts = 0;
    for (method, template, operation) in operations(&document) {
        let Some(schema) = operation["requestBody"]["content"]["application/json"].get("schema")
        else {
            continue;
        };
        for (field, is_array) in string_fields(&document, schema) {
            for (name, value) in hostile_values() {
                attempts += 1;
                let (path, body) = targets.request(&app, &callers, &method, &template).await;
                let mut body = body.expect("a body operation has a body");
                body[&field] = if is_array {
                    json!([value])
                } else {
                    value.clone()
                };
                let observed = observed_path(&template, &path);
                let before = observe(&app, admin, &observed).await;
                // A password change ends its caller's sessions: a fresh admin sends it.
                let fresh = match template.as_str() {
                    PASSWORD_CHANGE => callers.fresh(&app, Role::Admin).await,
                    _ => None,
                };
                let sender = fresh.as_ref().map_or(admin, |a| a.access_token.as_str());
                let response = app
                    .send_as(method.clone(), &path, sender, Some(&body))
                    .await;
                let status = response.status().as_u16();
                let what = format!("{method} {template} `{field}` = {name}: {status}");
                let location = response
                    .headers()
                    .get("location")
                    .map(|v| v.to_str().unwrap().to_owned());
                let content_type = content_type(&response);
                let request_id = response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                if (200..300).contains(&status) {
                    // Stored: it must read back exactly as sent.
                    if let Some(read) = location.or_else(|| observed.filter(|p| !p.contains('?'))) {
                        let stored = app.get_json(&read, admin).await;
                        if stored.get(&field).is_some() && stored[&field] != value {
                            failures.push(format!("{what}, read back as {:.80}", stored[&field]));
                        }
                    }
                } else if (400..500).contains(&status) && content_type == "application/problem+json"
                {
                    let after = observe(&app, admin, &observed_path(&template, &path)).await;
                    if after != before {
                        failures.push(format!("{what}, yet the state changed"));
                    }
                    refused_request_ids.push(request_id);
                } else {
                    let text = response.text().await.unwrap_or_default();
                    failures.push(format!("{what} ({content_type}): {text:.200}"));
                }
            }
        }
        failures.extend(malformed_bodies(&app, &targets, &callers, &method, &template).await);
    }
    assert!(attempts > 200, "every body field was tried ({attempts})");
    assert!(
        failures.is_empty(),
        "{} of {attempts} hostile bodies were mishandled:\n{}",
        failures.len(),
        failures.join("\n")
    );
    no_success_recorded_for(&app, admin, refused_request_ids).await;
}

/// Deep nesting and invalid UTF-8, as raw bodies: 400 problems.
async fn malformed_bodies(
    app: &TestApp,
    targets: &Targets,
    callers: &Callers,
    method: &Method,
    template: &str,
) -> Vec<String> {
    let (path, _) = targets.request(app, callers, method, template).await;
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let raw_bodies: [(&str, Vec<u8>); 2] = [
        ("10,000 nested arrays", deep.into_bytes()),
        (
            "invalid UTF-8",
            b"{\"name\": \"\xff\xfe\xc3\x28\"}".to_vec(),
        ),
    ];
    let mut failures = Vec::new();
    for (name, raw) in raw_bodies {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(callers.token(Role::Admin).unwrap())
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = content_type(&response);
        if status != 400 || content_type != "application/problem+json" {
            failures.push(format!(
                "{method} {template} {name}: {status} {content_type}"
            ));
        }
    }
    failures
}

/// No refused request left a success in the audit trail. The outbox relays in order, so
/// once a later success has arrived, any event of the refused requests would have too.
async fn no_success_recorded_for(app: &TestApp, token: &str, request_ids: Vec<String>) {
    let sentinel = app
        .send_as(
            Method::POST,
            "/api/v1/categories",
            token,
            Some(&json!({ "name": format!("Sentinel {}", uuid::Uuid::new_v4()) })),
        )
        .await;
    assert_eq!(sentinel.status(), 201);
    let sentinel_id = sentinel.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    wait_for_audit_event(
        app,
        doc! { "request_id": &sentinel_id, "outcome": "success" },
    )
    .await;
    let recorded = stored_audit_events(
        app,
        doc! { "request_id": { "$in": request_ids }, "outcome": "success" },
    )
    .await;
    assert!(
        recorded.is_empty(),
        "refused requests recorded as successes: {recorded:?}"
    );
}
