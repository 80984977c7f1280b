//! Hostile values in every query parameter, path id and header parameter the document
//! describes:
//! never a 5xx; an error is a problem document.

use super::targets::Targets;
use super::{Callers, Role, content_type, operations, send, served_document};
use crate::helpers::TestApp;

/// Percent-encoded hostile values for a query parameter or a path segment.
fn hostile_encoded() -> Vec<(&'static str, String)> {
    vec![
        ("SQL drop", encode("'; DROP TABLE users; --")),
        ("SQL tautology", encode("' OR '1'='1")),
        ("Mongo operator JSON", encode("{\"$ne\": null}")),
        ("Mongo $where", encode("$where")),
        ("NUL byte", encode("a\u{0000}b")),
        ("invalid UTF-8", "%FF%FE%C3%28".to_owned()),
        ("path traversal", encode("../../etc/passwd")),
        ("10 KB string", "x".repeat(10_000)),
    ]
}

/// Every byte but the unreserved ones as `%XX`.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path` (which may carry a valid query) with `name` set to the raw, encoded `value`.
fn with_query(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
        .map(str::to_owned)
        .collect();
    pairs.push(format!("{name}={value}"));
    format!("{base}?{}", pairs.join("&"))
}

/// A failure description unless the answer is a success or a 4xx problem document.
async fn judge(what: String, response: reqwest::Response) -> Option<String> {
    let status = response.status().as_u16();
    let content_type = content_type(&response);
    let fine = (200..300).contains(&status)
        || ((400..500).contains(&status) && content_type == "application/problem+json");
    if fine {
        return None;
    }
    let text = response.text().await.unwrap_or_default();
    Some(format!("{what}: {status} {content_type}: {text:.200}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_query_parameters_and_path_ids_are_answered_without_a_5xx() {
    let app = TestApp::spawn().await;
    let callers = Callers::sign_up(&app).await;
    let targets = Targets::create(&app, &callers).await;
    let document = served_document(&app).await;
    let admin = callers.token(Role::Admin);

    let mut failures = Vec::new();
    let mut attempts = 0;
    for (method, template, operation) in operations(&document) {
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let has_body = operation.get("requestBody").is_some();
        let needs_request = has_body || parameters.iter().any(|p| p["in"] == "query");
        // A valid request, so the hostile part is the only thing wrong with it.
        let (path, body) = if needs_request {
            targets.request(&app, &callers, &method, &template).await
        } else {
            (template.clone(), None)
        };
        for parameter in &parameters {
            let name = parameter["name"].as_str().unwrap();
            for (label, value) in hostile_encoded() {
                let target = match parameter["in"].as_str() {
                    Some("query") => with_query(&path, name, &value),
                    Some("path") => {
                        let (before, after) = template.split_once(&format!("{{{name}}}")).unwrap();
                        format!("{before}{value}{after}")
                    }
                    Some("header") => {
                        attempts += 1;
                        let response = app
                            .client
                            .request(method.clone(), app.url(&path))
                            .bearer_auth(admin.unwrap())
                            .header(name, value.as_str())
                            .json(&body)
                            .send()
                            .await
                            .unwrap();
                        let what = format!("{method} {template} header {name} = {label}");
                        failures.extend(judge(what, response).await);
                        continue;
                    }
                    _ => continue,
                };
                attempts += 1;
                let response = send(&app, method.clone(), &target, admin, body.as_ref()).await;
                let what = format!("{method} {template} {name} = {label}");
                failures.extend(judge(what, response).await);
            }
        }
        // Bracket syntax some frameworks turn into operator objects.
        if parameters.iter().any(|p| p["in"] == "query") {
            attempts += 1;
            let target = with_query(&path, "q%5B%24ne%5D", "x");
            let response = send(&app, method.clone(), &target, admin, body.as_ref()).await;
            failures.extend(judge(format!("{method} {template} q[$ne]"), response).await);
        }
    }
    assert!(attempts > 300, "every parameter was tried ({attempts})");
    assert!(
        failures.is_empty(),
        "{} of {attempts} hostile parameters were mishandled:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
