//! `JsonBody<T>`: a JSON request body that tells malformed JSON (400) from well-formed JSON
//! with invalid values (422, with `errors: [{field, message}]`).
//!
//! poem-openapi's own `Json<T>` answers both as one plain-text 400 without naming the field.
//! Values are still parsed by poem-openapi (`ParseFromJSON`), so what is accepted is exactly
//! what the OpenAPI schema documents; when parsing fails, the value is checked against that
//! same schema to say which fields are wrong and why.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};

use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

use crate::http::problem::{ApiError, FieldError};

pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        crate::http::json_body::is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON + 'static> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = <Vec<u8> as poem::FromRequest>::from_request(request, body).await?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::BadRequest(format!(
                "The request body is not valid JSON (line {}, column {}).",
                e.line(),
                e.column()
            ))
        })?;
        // poem-openapi reads numbers and booleans into strings (`{"name": 5}` would be the
        // name "5"); the schema says string, so values of another type are refused first.
        // Nulls are left to the parser, which knows which fields a null clears.
        let mut mistyped = Vec::new();
        check(
            &value,
            &T::schema_ref(),
            registry_of::<T>(),
            "",
            &mut mistyped,
        );
        mistyped.retain(|error| error.message != NOT_NULL);
        if !mistyped.is_empty() {
            return Err(ApiError::Validation(mistyped).into());
        }
        match T::parse_from_json(Some(value.clone())) {
            Ok(parsed) => Ok(Self(parsed)),
            Err(err) => Err(ApiError::Validation(diagnose_against_schema::<T>(
                &value,
                err.message(),
            ))
            .into()),
        }
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: ParseFromJSON + 'static);

const NOT_NULL: &str = "must not be null";

/// The schemas `T` refers to, registered once per body type for the life of the process.
fn registry_of<T: Type + 'static>() -> &'static Registry {
    static REGISTRIES: OnceLock<RwLock<HashMap<TypeId, &'static Registry>>> = OnceLock::new();
    let registries = REGISTRIES.get_or_init(Default::default);
    let key = TypeId::of::<T>();
    if let Some(registry) = registries
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return registry;
    }
    let mut registry = Registry::new();
    T::register(&mut registry);
    // A handful of body types, each leaked once: they live as long as the process anyway.
    registries
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_insert_with(|| Box::leak(Box::new(registry)))
}

/// Field errors for `value` against `T`'s documented schema; never empty.
pub fn diagnose_against_schema<T: Type + 'static>(
    value: &Value,
    fallback: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check(value, &T::schema_ref(), registry_of::<T>(), "", &mut errors);
    if errors.is_empty() {
        errors.push(FieldError::new("body", fallback_message(fallback)));
    }
    errors
}

fn fallback_message(message: &str) -> String {
    // Keep poem-openapi's explanation, without the Rust type names it mentions.
    let message = message
        .split(" (occurred while parsing")
        .next()
        .unwrap_or(message);
    message
        .rsplit(": ")
        .next()
        .unwrap_or(message)
        .trim()
        .to_owned()
}

fn resolve<'a>(schema: &'a MetaSchemaRef, registry: &'a Registry) -> Option<&'a MetaSchema> {
    match schema {
        MetaSchemaRef::Inline(schema) => Some(schema),
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn check(
    value: &Value,
    schema: &MetaSchemaRef,
    registry: &Registry,
    path: &str,
    out: &mut Vec<FieldError>,
) {
    let Some(schema) = resolve(schema, registry) else {
        return;
    };
    let field = if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    if value.is_null() {
        if !schema.nullable && !path.is_empty() {
            out.push(FieldError::new(field, NOT_NULL));
        }
        return;
    }
    if !schema.all_of.is_empty() {
        for part in &schema.all_of {
            check(value, part, registry, path, out);
        }
        return;
    }
    if !schema.any_of.is_empty() || !schema.one_of.is_empty() {
        check_alternatives(value, schema, registry, path, field, out);
        return;
    }
    match (schema.ty, value) {
        ("object", Value::Object(map)) => {
            for required in &schema.required {
                if !map.contains_key(*required) {
                    out.push(FieldError::new(join(path, required), "is required"));
                }
            }
            for (key, item) in map {
                match schema.properties.iter().find(|(name, _)| name == key) {
                    Some((_, property)) => check(item, property, registry, &join(path, key), out),
                    None => out.push(FieldError::new(join(path, key), "is not a known field")),
                }
            }
        }
        ("string", Value::String(s)) => check_string(s, schema, field, out),
        ("integer", Value::Number(n)) if n.is_i64() || n.is_u64() => {
            check_number(n.as_f64(), schema, field, out)
        }
        ("number", Value::Number(n)) => check_number(n.as_f64(), schema, field, out),
        ("boolean", Value::Bool(_)) => {}
        ("array", Value::Array(items)) => {
            if schema.max_items.is_some_and(|max| items.len() > max) {
                out.push(FieldError::new(
                    field.clone(),
                    format!(
                        "must have at most {} items",
                        schema.max_items.unwrap_or_default()
                    ),
                ));
            }
            if schema.min_items.is_some_and(|min| items.len() < min) {
                out.push(FieldError::new(
                    field.clone(),
                    format!(
                        "must have at least {} items",
                        schema.min_items.unwrap_or_default()
                    ),
                ));
            }
            if let Some(item_schema) = &schema.items {
                for (index, item) in items.iter().enumerate() {
                    check(
                        item,
                        item_schema,
                        registry,
                        &format!("{field}[{index}]"),
                        out,
                    );
                }
            }
        }
        (expected, _)
            if schema.any_of.is_empty() && schema.one_of.is_empty() && !expected.is_empty() =>
        {
            out.push(FieldError::new(
                field,
                format!("must be of type {expected}"),
            ));
        }
        _ => {}
    }
}

/// `anyOf`/`oneOf`: fine when one alternative admits the value; otherwise the complaints of
/// the alternative of the value's own JSON type, or the types it could have had.
fn check_alternatives(
    value: &Value,
    schema: &MetaSchema,
    registry: &Registry,
    path: &str,
    field: String,
    out: &mut Vec<FieldError>,
) {
    let alternatives = if schema.any_of.is_empty() {
        &schema.one_of
    } else {
        &schema.any_of
    };
    let mut same_type = None;
    let mut types = Vec::new();
    for alternative in alternatives {
        let mut found = Vec::new();
        check(value, alternative, registry, path, &mut found);
        if found.is_empty() {
            return;
        }
        if let Some(ty) = resolve(alternative, registry).map(|s| s.ty) {
            if same_type.is_none() && json_type_is(ty, value) {
                same_type = Some(found);
            }
            types.push(ty);
        }
    }
    match same_type {
        Some(found) => out.extend(found),
        None => out.push(FieldError::new(
            field,
            format!("must be of type {}", types.join(" or ")),
        )),
    }
}

fn json_type_is(ty: &str, value: &Value) -> bool {
    match (ty, value) {
        ("string", Value::String(_))
        | ("number", Value::Number(_))
        | ("boolean", Value::Bool(_))
        | ("array", Value::Array(_))
        | ("object", Value::Object(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

fn check_string(s: &str, schema: &MetaSchema, field: String, out: &mut Vec<FieldError>) {
    let chars = s.chars().count();
    if let Some(max) = schema.max_length.filter(|max| chars > *max) {
        out.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    } else if let Some(min) = schema.min_length.filter(|min| chars < *min) {
        out.push(FieldError::new(
            field,
            format!("must be at least {min} characters"),
        ));
    } else if let Some(pattern) = &schema.pattern {
        if regex::Regex::new(pattern).is_ok_and(|re| !re.is_match(s)) {
            out.push(FieldError::new(
                field,
                format!("must match the pattern {pattern}"),
            ));
        }
    } else if !schema.enum_items.is_empty()
        && !schema.enum_items.iter().any(|v| v.as_str() == Some(s))
    {
        let allowed: Vec<String> = schema
            .enum_items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        out.push(FieldError::new(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ));
    } else if schema.format == Some("uuid") && uuid::Uuid::parse_str(s).is_err() {
        out.push(FieldError::new(field, "must be a UUID"));
    } else if schema.format == Some("date-time") && chrono::DateTime::parse_from_rfc3339(s).is_err()
    {
        out.push(FieldError::new(field, "must be an RFC 3339 date-time"));
    }
}

fn check_number(n: Option<f64>, schema: &MetaSchema, field: String, out: &mut Vec<FieldError>) {
    let Some(n) = n else { return };
    if let Some(max) = schema.maximum {
        let exclusive = schema.exclusive_maximum.unwrap_or(false);
        if n > max || (exclusive && n >= max) {
            out.push(FieldError::new(
                field,
                format!("must be {} {max}", if exclusive { "<" } else { "<=" }),
            ));
            return;
        }
    }
    if let Some(min) = schema.minimum {
        let exclusive = schema.exclusive_minimum.unwrap_or(false);
        if n < min || (exclusive && n <= min) {
            out.push(FieldError::new(
                field,
                format!("must be {} {min}", if exclusive { ">" } else { ">=" }),
            ));
            return;
        }
    }
    if let Some(step) = schema.multiple_of {
        // Doubles cannot hold most decimal steps exactly: allow a few units of rounding.
        let ratio = n / step;
        if (ratio - ratio.round()).abs() > 1e-6 {
            out.push(FieldError::new(
                field,
                format!("must be a multiple of {step}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
