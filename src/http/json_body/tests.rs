use serde::Deserialize;

use super::parse;
use crate::http::problem::ApiError;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Sample {
    name: Name,
    #[serde(default)]
    count: i64,
    #[serde(default)]
    items: Vec<Item>,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    tags: Vec<Name>,
    #[serde(default)]
    kinds: Vec<Kind>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Item {
    name: Name,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Small,
    Large,
}

/// A field with a rule of its own, said in words.
#[derive(Debug, PartialEq)]
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        if raw.chars().count() > 5 {
            return Err(serde::de::Error::custom("must be at most 5 characters"));
        }
        Ok(Name(raw))
    }
}

fn fields(body: &str) -> Vec<(String, String)> {
    match parse::<Sample>(body.as_bytes()) {
        Err(ApiError::Validation(errors)) => {
            errors.into_iter().map(|e| (e.field, e.message)).collect()
        }
        other => panic!("expected 422 for {body}, got {other:?}"),
    }
}

fn malformed(body: &str) -> String {
    match parse::<Sample>(body.as_bytes()) {
        Err(ApiError::BadRequest(detail)) => detail,
        other => panic!("expected 400 for {body}, got {other:?}"),
    }
}

fn one(field: &str, message: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), message.to_owned())]
}

#[test]
fn good_bodies_parse() {
    let parsed =
        parse::<Sample>(br#"{"name": "ab", "items": [{"name": "c"}], "kind": "large"}"#).unwrap();
    assert_eq!(parsed.name, Name("ab".into()));
    assert_eq!(parsed.kind, Some(Kind::Large));
}

#[test]
fn what_is_not_one_json_value_with_distinct_keys_is_400() {
    assert!(malformed("{").contains("not valid JSON"));
    assert!(malformed(r#"{"name": "a"} {}"#).contains("more follows"));
    let twice = malformed(r#"{"name": "a", "name": "b"}"#);
    assert!(twice.contains("`name` appears twice"), "{twice}");
    let nested = malformed(r#"{"name": "a", "items": [{"name": "b", "name": "c"}]}"#);
    assert!(nested.contains("items[0]"), "{nested}");
    assert!(malformed(&"[".repeat(200)).contains("not valid JSON"));
}

#[test]
fn each_field_is_named_with_its_rule_in_words() {
    assert_eq!(fields("null"), one("body", "must be a JSON object"));
    assert_eq!(fields("[]"), one("body", "must be a JSON object"));
    assert_eq!(fields("{}"), one("name", "is required"));
    assert_eq!(
        fields(r#"{"name": "a", "extra": 1}"#),
        one("extra", "is not a known field")
    );
    assert_eq!(fields(r#"{"name": 5}"#), one("name", "must be a string"));
    assert_eq!(fields(r#"{"name": null}"#), one("name", "must not be null"));
    assert_eq!(
        fields(r#"{"name": "a", "count": "x"}"#),
        one("count", "must be an integer")
    );
    assert_eq!(
        fields(r#"{"name": "abcdefg"}"#),
        one("name", "must be at most 5 characters")
    );
    assert_eq!(
        fields(r#"{"name": "a", "items": [{"name": "b"}, {"name": "toolong"}]}"#),
        one("items[1].name", "must be at most 5 characters")
    );
    assert_eq!(
        fields(r#"{"name": "a", "items": [{}]}"#),
        one("items[0].name", "is required")
    );
    assert_eq!(
        fields(r#"{"name": "a", "kind": "medium"}"#),
        one("kind", "must be one of: small, large")
    );
}

#[test]
fn a_value_in_a_list_of_values_is_the_lists_field_with_its_place_in_words() {
    assert_eq!(
        fields(r#"{"name": "a", "tags": ["ok", "toolong"]}"#),
        one("tags", "item 2: must be at most 5 characters")
    );
    assert_eq!(
        fields(r#"{"name": "a", "tags": [5]}"#),
        one("tags", "item 1: must be a string")
    );
    assert_eq!(
        fields(r#"{"name": "a", "kinds": ["small", "huge"]}"#),
        one("kinds", "item 2: must be one of: small, large")
    );
}
