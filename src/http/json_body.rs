//! `Body<T>`: a JSON request body read with serde, documented with `T`'s poem-openapi schema.
//!
//! Two passes over the bytes. The first checks the JSON itself: malformed JSON, a key twice
//! in one object or nesting past serde_json's limit is 400. The second reads `T`
//! (`serde_path_to_error`), so a value that breaks a rule is 422 naming its field by path:
//! the rule is the field type's own (`domain` newtypes say what they allow in words), and
//! serde's standard complaints (a missing or unknown field, a wrong JSON type, a variant
//! that does not exist) are put in the same plain words here.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::{DeserializeOwned, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

use super::problem::{ApiError, FieldError};

pub struct Body<T>(pub T);

impl<T: Type> Payload for Body<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send + 'static> ParsePayload for Body<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = <Vec<u8> as poem::FromRequest>::from_request(request, body).await?;
        Ok(Self(parse(&bytes)?))
    }
}

poem_openapi::impl_apirequest_for_payload!(Body<T>, T: Type + DeserializeOwned + Send + 'static);

/// Whether a `Content-Type` is JSON (`application/json`, any parameters, any case).
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Reads `T` from JSON text: 400 for what is not one JSON value with distinct keys, 422
/// (every field named by its path) for what `T` does not admit.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    check_json(bytes)?;
    // serde would read a struct from an array too (by position): every body is an object.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| ApiError::Validation(vec![field_error(&err)]))
}

fn check_json(bytes: &[u8]) -> Result<(), ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let checked =
        serde_path_to_error::deserialize::<_, DistinctKeys>(&mut deserializer).map_err(|err| {
            let inner = err.inner();
            if inner.is_data() {
                // Only `DistinctKeys` itself raises data errors here.
                let at = path_of(err.path());
                ApiError::BadRequest(format!(
                    "The request body is not valid JSON for this service: {} (at `{at}`).",
                    bare_message(inner)
                ))
            } else {
                ApiError::BadRequest(format!(
                    "The request body is not valid JSON (line {}, column {}).",
                    inner.line(),
                    inner.column()
                ))
            }
        });
    checked.and_then(|_| {
        deserializer.end().map_err(|err| {
            ApiError::BadRequest(format!(
                "The request body is not valid JSON: more follows its value (line {}, column {}).",
                err.line(),
                err.column()
            ))
        })
    })
}

/// Any JSON value whose objects never repeat a key.
struct DistinctKeys;

impl<'de> serde::Deserialize<'de> for DistinctKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistinctKeysVisitor)
    }
}

struct DistinctKeysVisitor;

impl<'de> Visitor<'de> for DistinctKeysVisitor {
    type Value = DistinctKeys;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_unit<E>(self) -> Result<DistinctKeys, E> {
        Ok(DistinctKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DistinctKeys, A::Error> {
        while seq.next_element::<DistinctKeys>()?.is_some() {}
        Ok(DistinctKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistinctKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("the key `{key}` appears twice")));
            }
            map.next_value::<DistinctKeys>()?;
        }
        Ok(DistinctKeys)
    }
}

/// serde_json's message without the position it appends (" at line 1 column 9").
fn bare_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// `items[2].name`; the whole body is `body`.
fn path_of(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    if out.is_empty() {
        "body".to_owned()
    } else {
        out
    }
}

fn join(path: &str, field: &str) -> String {
    if path == "body" {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// The field a serde error is about and what it must be, in words.
fn field_error(err: &serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = path_of(err.path());
    let message = bare_message(err.inner());
    if let Some(field) = between(&message, "missing field `", "`") {
        return FieldError::new(join(&path, field), "is required");
    }
    // The path of an unknown field already ends with it (a missing one's is its parent's).
    if message.starts_with("unknown field `") {
        return FieldError::new(path, "is not a known field");
    }
    let rule = value_rule(message);
    // A value in a list of plain values is the list's field, with its place in words.
    if let Some(serde_path_to_error::Segment::Seq { index }) = err.path().iter().next_back() {
        let list = path.strip_suffix(&format!("[{index}]")).unwrap_or(&path);
        return FieldError::new(list, format!("item {}: {rule}", index + 1));
    }
    FieldError::new(path, rule)
}

/// What a value must be, from serde's words about why it is not.
fn value_rule(message: String) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        // serde: "expected `a`", "expected `a` or `b`", "expected one of `a`, `b`, `c`".
        let allowed: Vec<&str> = rest
            .split_once("expected ")
            .map(|(_, list)| list)
            .unwrap_or_default()
            .trim_start_matches("one of ")
            .split(", ")
            .flat_map(|v| v.split(" or "))
            .map(|v| v.trim_matches('`'))
            .filter(|v| !v.is_empty())
            .collect();
        return format!("must be one of: {}", allowed.join(", "));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return type_rule(found, expected);
    }
    // Otherwise a field type's own rule, said in words by its parser.
    message
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(start)?;
    rest.split_once(end).map(|(inside, _)| inside)
}

/// What a value of serde's `expected` kind is, said to a client that sent `found`.
fn type_rule(found: &str, expected: &str) -> String {
    let expected = expected.trim();
    if found == "null" && !expected.starts_with("struct ") {
        return "must not be null".to_owned();
    }
    let kind = if expected.starts_with("a string") || expected.starts_with("a borrowed string") {
        "a string"
    } else if expected.starts_with("a boolean") {
        "true or false"
    } else if expected.starts_with("a sequence") {
        "an array"
    } else if expected.starts_with("struct ") || expected.starts_with("a map") {
        "a JSON object"
    } else if expected.starts_with('i') || expected.starts_with('u') {
        "an integer"
    } else if expected.starts_with('f') {
        "a number"
    } else {
        // Newtypes name what they expect themselves ("a decimal string or number", ...).
        expected
    };
    format!("must be {kind}")
}

#[cfg(test)]
mod tests;
