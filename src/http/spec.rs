//! The served OpenAPI document, completed where poem-openapi leaves it short, and what it
//! says each path allows (for the `Allow` header of 405 answers, RFC 9110).

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use serde_json::Value;

/// The document as served, saying what poem-openapi leaves out:
/// - every request body schema is closed (`additionalProperties: false`): every body type
///   refuses unknown fields (422), which `deny_unknown_fields` does not put in the schema;
/// - optional properties of responses may be `null` (an absent value is written as `null`);
///   in request bodies only the fields a client may clear are nullable, which their type
///   (`Clearable`) states;
/// - the paging parameters of every list (see [`add_paging_parameters`]).
pub fn complete(spec: &str) -> Value {
    let mut document: Value = serde_json::from_str(spec).unwrap_or_default();
    let mut bodies = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for operation in paths
            .values()
            .filter_map(Value::as_object)
            .flat_map(|o| o.values())
        {
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                for media in content.values() {
                    if let Some(name) = media["schema"]["$ref"]
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        bodies.push(name.to_owned());
                    }
                }
            }
        }
    }
    inline_defaulted_enum_parameters(&mut document);
    add_paging_parameters(&mut document);
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            // A request body's fields say themselves whether null clears them (`Clearable`).
            if !bodies.contains(name) {
                allow_null_where_optional(schema);
            }
        }
        for name in bodies {
            if let Some(Value::Object(schema)) = schemas.get_mut(&name) {
                schema.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
        }
    }
    document
}

/// Lists the document's tags (the docs page's sections) in `order`; poem-openapi lists them
/// by name. Tags `order` does not name keep their place after those it does.
pub fn order_tags(document: &mut Value, order: &[&str]) {
    if let Some(tags) = document["tags"].as_array_mut() {
        let place = |tag: &Value| {
            let name = tag["name"].as_str().unwrap_or_default();
            order.iter().position(|n| *n == name).unwrap_or(order.len())
        };
        tags.sort_by_key(place);
    }
}

/// The Swagger UI page showing `document` (the completed one) where poem-openapi's page shows
/// the `generated` document it was built from.
pub fn docs_page(page: &str, generated: &str, document: &str) -> String {
    debug_assert!(
        page.contains(generated),
        "the page embeds the generated document"
    );
    page.replacen(generated, document, 1)
}

/// poem-openapi writes a query parameter of an enum type with a default as
/// `allOf: [{$ref: Enum}, {default}]`, which client generators refuse ("cannot take allOf a
/// non-object": openapi-python-client left out the three operations with one). The enum is
/// written in place instead, with its default.
fn inline_defaulted_enum_parameters(document: &mut Value) {
    let schemas = document["components"]["schemas"].clone();
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    let parameters = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        // `get_mut`, not indexing: indexing would add `"parameters": null` to the others.
        .filter_map(|operation| {
            operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
        })
        .flatten();
    for parameter in parameters {
        let Some(schema) = parameter.get_mut("schema") else {
            continue;
        };
        let Some([reference, rest @ ..]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        else {
            continue;
        };
        let Some(name) = reference["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        else {
            continue;
        };
        let Some(mut inlined) = schemas
            .get(name)
            .filter(|s| s.get("enum").is_some())
            .cloned()
        else {
            continue;
        };
        for extra in rest.iter().filter_map(Value::as_object) {
            for (key, value) in extra {
                inlined[key] = value.clone();
            }
        }
        if let Some(default) = schema.get("default") {
            inlined["default"] = default.clone();
        }
        *schema = inlined;
    }
}

fn allow_null_where_optional(schema: &mut Value) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        if let Some(reference) = property.get("$ref").cloned() {
            // OpenAPI 3.0 ignores siblings of `$ref`: wrap it.
            *property = serde_json::json!({ "allOf": [{ "$ref": reference }], "nullable": true });
        } else if let Value::Object(property) = property {
            property.insert("nullable".to_owned(), Value::Bool(true));
        }
    }
}

/// Path templates (`/api/v1/products/{id}`) with their methods.
#[derive(Clone, Default)]
pub struct AllowedMethods(Arc<Vec<(Vec<String>, String)>>);

impl AllowedMethods {
    pub fn from_document(document: &Value) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = document["paths"].as_object() {
            for (path, operations) in paths {
                let mut methods: Vec<String> = operations
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                routes.push((segments(path), methods.join(", ")));
            }
        }
        Self(Arc::new(routes))
    }

    /// The methods of the documented path `path` matches, if any.
    pub fn for_path(&self, path: &str) -> Option<&str> {
        let wanted = segments(path);
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == wanted.len()
                    && template.iter().zip(&wanted).all(|(t, w)| {
                        t == w || (t.starts_with('{') && t.ends_with('}') && !w.is_empty())
                    })
            })
            .map(|(_, methods)| methods.as_str())
    }

    /// Adds `Allow` to a 405 answer.
    pub fn annotate(&self, path: &str, response: &mut poem::Response) {
        if response.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Some(value) = self
                .for_path(path)
                .and_then(|m| HeaderValue::from_str(m).ok())
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_end_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// Every operation that answers a page (`Page_*`) takes `skip` and `limit`, read by
/// [`super::paging`], which poem-openapi cannot document itself.
fn add_paging_parameters(document: &mut Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|o| o.values_mut())
    {
        let answers_a_page = operation["responses"]["200"]["content"]
            .as_object()
            .into_iter()
            .flat_map(|content| content.values())
            .filter_map(|media| media["schema"]["$ref"].as_str())
            .any(|schema| schema.starts_with("#/components/schemas/Page_"));
        if !answers_a_page {
            continue;
        }
        if !operation["parameters"].is_array() {
            operation["parameters"] = Value::Array(Vec::new());
        }
        if let Some(parameters) = operation["parameters"].as_array_mut() {
            parameters.extend(super::paging::parameters());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r##"{"paths": {
        "/api/v1/products/{id}": {"get": {}, "patch": {"requestBody": {"content":
            {"application/json": {"schema": {"$ref": "#/components/schemas/Update"}}}}}},
        "/health/live": {"get": {}}},
        "components": {"schemas": {"Update": {"type": "object"}, "View": {"type": "object",
            "required": ["id"], "properties": {"id": {"type": "string"},
            "note": {"type": "string"}, "part": {"$ref": "#/components/schemas/Update"}}}}}}"##;

    #[test]
    fn request_bodies_are_closed_and_responses_left_alone() {
        let document = complete(SPEC);
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["Update"]["additionalProperties"], false);
        assert!(schemas["View"].get("additionalProperties").is_none());
        let view = &schemas["View"]["properties"];
        assert!(view["id"].get("nullable").is_none());
        assert_eq!(view["note"]["nullable"], true);
        assert_eq!(view["part"]["nullable"], true);
        assert_eq!(
            view["part"]["allOf"][0]["$ref"],
            "#/components/schemas/Update"
        );
    }

    #[test]
    fn enum_parameters_with_a_default_are_written_in_place() {
        let document = complete(
            r##"{"paths": {"/x": {"get": {"parameters": [{"name": "bucket", "in": "query",
                "schema": {"default": "hour", "allOf": [{"$ref": "#/components/schemas/B"},
                {"default": "hour"}]}}]}}},
                "components": {"schemas": {"B": {"type": "string", "enum": ["hour", "day"]}}}}"##,
        );
        let schema = &document["paths"]["/x"]["get"]["parameters"][0]["schema"];
        assert_eq!(
            *schema,
            serde_json::json!({"type": "string", "enum": ["hour", "day"], "default": "hour"})
        );
        let other = complete(SPEC);
        assert!(
            other["paths"]["/health/live"]["get"]
                .get("parameters")
                .is_none()
        );
    }

    #[test]
    fn tags_follow_the_given_order_and_unnamed_ones_come_last() {
        let mut document = serde_json::json!({"tags": [
            {"name": "Audit"}, {"name": "Auth"}, {"name": "Extra"}, {"name": "Me"}]});
        order_tags(&mut document, &["Auth", "Me", "Audit"]);
        let names: Vec<&str> = document["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Auth", "Me", "Audit", "Extra"]);
    }

    #[test]
    fn the_docs_page_shows_the_completed_document() {
        let page = docs_page(
            "<script>let spec = {\"a\": 1};</script>",
            "{\"a\": 1}",
            "{\"a\":2}",
        );
        assert_eq!(page, "<script>let spec = {\"a\":2};</script>");
    }

    #[test]
    fn paths_match_their_templates() {
        let allowed = AllowedMethods::from_document(&complete(SPEC));
        assert_eq!(allowed.for_path("/api/v1/products/abc"), Some("GET, PATCH"));
        assert_eq!(allowed.for_path("/health/live"), Some("GET"));
        assert_eq!(allowed.for_path("/api/v1/products/"), None);
        assert_eq!(allowed.for_path("/api/v1/products/a/b"), None);
    }
}
