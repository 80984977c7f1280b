//! Value rules the handler types cannot state to poem-openapi, written into the served
//! document from the domain rules themselves: a client (or a conformance tool) reading the
//! document knows which values the service accepts. Rules that depend on stored data (an
//! unknown `category_id`, role or permission... a wrong current password) or on two values
//! at once (`min_price <= max_price`, `from < to`) stay in the operation descriptions.

use serde_json::{Value, json};

use crate::domain::identity::{Permission, ROLE_NAME_PATTERN};
use crate::domain::text::{
    EMAIL_IN_WORDS, EMAIL_PATTERN, LINE_IN_WORDS, LINE_OF_TWO_IN_WORDS, LINE_OF_TWO_PATTERN,
    LINE_PATTERN, NO_CONTROLS_IN_WORDS, NO_CONTROLS_PATTERN, TEXT_IN_WORDS, TEXT_PATTERN,
};

/// Each pattern in words: the docs page shows the pattern for tools, the words for readers.
const PATTERNS_IN_WORDS: &[(&str, &str)] = &[
    (LINE_PATTERN, LINE_IN_WORDS),
    (LINE_OF_TWO_PATTERN, LINE_OF_TWO_IN_WORDS),
    (TEXT_PATTERN, TEXT_IN_WORDS),
    (NO_CONTROLS_PATTERN, NO_CONTROLS_IN_WORDS),
    (EMAIL_PATTERN, EMAIL_IN_WORDS),
];

#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// A string matching this pattern (ECMA-262).
    Pattern(&'static str),
    /// An array whose items match this pattern.
    ItemsPattern(&'static str),
    /// An array of permission names.
    Permissions,
    /// An integer other than zero.
    NotZero,
}

/// (component schema, property, rule) for request bodies.
pub const BODY_RULES: &[(&str, &str, Rule)] = &[
    ("RegisterRequest", "email", Rule::Pattern(EMAIL_PATTERN)),
    ("RegisterRequest", "full_name", Rule::Pattern(LINE_PATTERN)),
    ("LoginRequest", "email", Rule::Pattern(EMAIL_PATTERN)),
    ("UpdateMeRequest", "email", Rule::Pattern(EMAIL_PATTERN)),
    ("UpdateMeRequest", "full_name", Rule::Pattern(LINE_PATTERN)),
    (
        "UpdateUserRequest",
        "full_name",
        Rule::Pattern(LINE_PATTERN),
    ),
    (
        "SetRolesRequest",
        "roles",
        Rule::ItemsPattern(ROLE_NAME_PATTERN),
    ),
    (
        "CreateRoleRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    ("CreateRoleRequest", "permissions", Rule::Permissions),
    (
        "UpdateRoleRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    ("UpdateRoleRequest", "permissions", Rule::Permissions),
    ("CreateCategoryRequest", "name", Rule::Pattern(LINE_PATTERN)),
    (
        "CreateCategoryRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    ("UpdateCategoryRequest", "name", Rule::Pattern(LINE_PATTERN)),
    (
        "UpdateCategoryRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    (
        "CreateProductRequest",
        "name",
        Rule::Pattern(LINE_OF_TWO_PATTERN),
    ),
    (
        "CreateProductRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    (
        "UpdateProductRequest",
        "name",
        Rule::Pattern(LINE_OF_TWO_PATTERN),
    ),
    (
        "UpdateProductRequest",
        "description",
        Rule::Pattern(TEXT_PATTERN),
    ),
    ("StockAdjustmentRequest", "delta", Rule::NotZero),
    (
        "StockAdjustmentRequest",
        "reason",
        Rule::Pattern(LINE_PATTERN),
    ),
];

/// (operation id, query parameter, rule).
pub const QUERY_RULES: &[(&str, &str, Rule)] = &[
    ("list_users", "q", Rule::Pattern(NO_CONTROLS_PATTERN)),
    ("list_users", "role", Rule::Pattern(ROLE_NAME_PATTERN)),
    ("list_products", "q", Rule::Pattern(NO_CONTROLS_PATTERN)),
];

/// Writes every rule into `document`; a rule whose schema, property or parameter is missing
/// is skipped here and caught by the integration test that reads the served document.
pub fn state(document: &mut Value) {
    for (schema, property, rule) in BODY_RULES {
        if let Some(target) = document
            .pointer_mut(&format!(
                "/components/schemas/{schema}/properties/{property}"
            ))
            .filter(|p| p.is_object())
        {
            apply(target, *rule);
            describe(target, *rule);
        }
    }
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|o| o.values_mut())
    {
        for (operation_id, name, rule) in QUERY_RULES {
            if operation.get("operationId").and_then(Value::as_str) != Some(*operation_id) {
                continue;
            }
            if let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            {
                for parameter in parameters
                    .iter_mut()
                    .filter(|p| p["in"] == "query" && p["name"] == *name)
                {
                    apply(&mut parameter["schema"], *rule);
                    describe(parameter, *rule);
                }
            }
        }
    }
}

/// Adds the rule in words to the `description` of `holder` (a property or a parameter).
fn describe(holder: &mut Value, rule: Rule) {
    let Rule::Pattern(pattern) = rule else {
        return;
    };
    let Some((_, words)) = PATTERNS_IN_WORDS.iter().find(|(p, _)| *p == pattern) else {
        return;
    };
    let description = match holder["description"].as_str() {
        Some(said) if !said.is_empty() => format!("{said} {words}"),
        _ => (*words).to_owned(),
    };
    holder["description"] = json!(description);
}

fn apply(schema: &mut Value, rule: Rule) {
    match rule {
        Rule::Pattern(pattern) => schema["pattern"] = json!(pattern),
        Rule::ItemsPattern(pattern) => schema["items"]["pattern"] = json!(pattern),
        Rule::Permissions => {
            let names: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            schema["items"]["enum"] = json!(names);
        }
        Rule::NotZero => schema["not"] = json!({ "enum": [0] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_land_on_their_properties_and_parameters() {
        let mut document = json!({
            "components": {"schemas": {"StockAdjustmentRequest": {"properties": {
                "delta": {"type": "integer"}, "reason": {"type": "string"}}}}},
            "paths": {"/api/v1/users": {"get": {"operationId": "list_users", "parameters": [
                {"in": "query", "name": "role", "schema": {"type": "string"}}]}}}
        });
        state(&mut document);
        let adjustment = &document["components"]["schemas"]["StockAdjustmentRequest"];
        assert_eq!(
            adjustment["properties"]["delta"]["not"],
            json!({"enum": [0]})
        );
        assert_eq!(adjustment["properties"]["reason"]["pattern"], LINE_PATTERN);
        assert_eq!(
            adjustment["properties"]["reason"]["description"],
            LINE_IN_WORDS
        );
        assert_eq!(
            document["paths"]["/api/v1/users"]["get"]["parameters"][0]["schema"]["pattern"],
            ROLE_NAME_PATTERN
        );
        assert!(
            document["components"]["schemas"]
                .get("LoginRequest")
                .is_none()
        );
    }
}
