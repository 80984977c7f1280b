//! The docs page as a reader meets it: sections in a reader's order, one-line plain
//! summaries, and value rules in words where the pattern is an implementation detail.

use serde_json::Value;

use crate::helpers::TestApp;

/// Sign in first, then the caller's own account, the catalogue, administration, the audit
/// trail, analytics and operations.
const READING_ORDER: [&str; 8] = [
    "Auth",
    "Me",
    "Catalog",
    "Users",
    "Roles",
    "Audit",
    "Analytics",
    "Operations",
];

/// Longer patterns than this are spelled out for a reader in the description.
const READABLE_PATTERN_CHARS: usize = 40;
/// What the long patterns are about: one of these names it in words.
const PATTERN_SUBJECTS: [&str; 2] = ["control characters", "email address"];

fn operations(document: &Value) -> Vec<(String, &Value)> {
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .iter()
                .map(move |(method, operation)| (format!("{method} {path}"), operation))
        })
        .collect()
}

/// Every (place, schema) pair: component properties (and array items) and parameters.
fn schemas(document: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    for (name, schema) in document["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            found.push((format!("{name}.{property}"), value));
        }
    }
    for (operation, value) in operations(document) {
        for parameter in value["parameters"].as_array().into_iter().flatten() {
            let place = format!("{operation} ?{}", parameter["name"].as_str().unwrap());
            found.push((place, parameter));
        }
    }
    found
}

fn pattern(schema: &Value) -> Option<&str> {
    schema["pattern"]
        .as_str()
        .or_else(|| schema["schema"]["pattern"].as_str())
        .or_else(|| schema["items"]["pattern"].as_str())
}

#[tokio::test(flavor = "multi_thread")]
async fn sections_come_in_a_readers_order_with_plain_one_line_summaries() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let tags: Vec<&str> = document["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, READING_ORDER);

    // Operations follow the same order, each section's operations together.
    let mut sections: Vec<&str> = Vec::new();
    for (operation, value) in operations(&document) {
        let tag = value["tags"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{operation} has a tag"));
        if sections.last() != Some(&tag) {
            assert!(!sections.contains(&tag), "{operation}: {tag} is split");
            sections.push(tag);
        }
        let summary = value["summary"].as_str().unwrap_or_default();
        assert!(!summary.is_empty(), "{operation} has a summary");
        assert!(
            !summary.contains('`') && !summary.contains('\n'),
            "{operation}: the summary is one plain line: {summary:?}"
        );
    }
    assert_eq!(sections, READING_ORDER);

    // The page shows this very document, not a less complete one.
    let served = app.get("/openapi.json").await.text().await.unwrap();
    let page = app.get("/docs").await.text().await.unwrap();
    assert!(
        page.contains(&served),
        "/docs embeds the document /openapi.json serves"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn long_patterns_are_said_in_words() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut long = 0;
    for (place, schema) in schemas(&document) {
        let description = schema["description"].as_str().unwrap_or_default();
        assert!(
            !description.contains("`^") && !description.contains("$`"),
            "{place}: a pattern in a description: {description:?}"
        );
        let Some(pattern) = pattern(schema) else {
            continue;
        };
        if pattern.chars().count() > READABLE_PATTERN_CHARS {
            long += 1;
            assert!(
                PATTERN_SUBJECTS
                    .iter()
                    .any(|subject| description.contains(subject)),
                "{place}: the pattern {pattern:.40}... needs words: {description:?}"
            );
        }
    }
    assert!(long > 0, "the document has long patterns (text, emails)");
}
