//! The permission column of the HTTP contract (API.md, at `../shared/API.md` from the
//! repository root), operation by operation, and the check that the served document lists
//! exactly these operations and states each one's permission.

use std::collections::BTreeSet;

use reqwest::Method;

use super::{operations, served_document};
use crate::helpers::TestApp;

pub const ALL_PERMISSIONS: [&str; 11] = [
    "users:read",
    "users:write",
    "roles:read",
    "roles:write",
    "categories:write",
    "products:read",
    "products:write",
    "products:delete",
    "suppliers:write",
    "audit:read",
    "analytics:read",
];

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Who {
    Anyone,
    /// Any valid access token, no permission needed.
    Authenticated,
    /// Anyone presenting a refresh token in the body (no bearer token).
    RefreshToken,
    /// Anyone presenting an export link's token (no bearer token): the link is the grant.
    ExportLink,
    Permission(&'static str),
}

use Who::{Anyone, Authenticated, ExportLink, Permission, RefreshToken};

/// (method, path template, who), in the contract's order.
pub const CONTRACT: [(&str, &str, Who); 52] = [
    ("POST", "/api/v1/auth/register", Anyone),
    ("POST", "/api/v1/auth/login", Anyone),
    ("POST", "/api/v1/auth/refresh", RefreshToken),
    ("POST", "/api/v1/auth/logout", RefreshToken),
    ("GET", "/api/v1/users/me", Authenticated),
    ("PATCH", "/api/v1/users/me", Authenticated),
    ("POST", "/api/v1/users/me/password", Authenticated),
    ("GET", "/api/v1/users/me/activity", Authenticated),
    ("GET", "/api/v1/users", Permission("users:read")),
    ("GET", "/api/v1/users/{id}", Permission("users:read")),
    ("PATCH", "/api/v1/users/{id}", Permission("users:write")),
    ("PUT", "/api/v1/users/{id}/roles", Permission("users:write")),
    ("DELETE", "/api/v1/users/{id}", Permission("users:write")),
    ("GET", "/api/v1/roles", Permission("roles:read")),
    ("POST", "/api/v1/roles", Permission("roles:write")),
    ("GET", "/api/v1/roles/{id}", Permission("roles:read")),
    ("PATCH", "/api/v1/roles/{id}", Permission("roles:write")),
    ("DELETE", "/api/v1/roles/{id}", Permission("roles:write")),
    ("GET", "/api/v1/permissions", Permission("roles:read")),
    ("GET", "/api/v1/categories", Permission("products:read")),
    ("POST", "/api/v1/categories", Permission("categories:write")),
    (
        "GET",
        "/api/v1/categories/{id}",
        Permission("products:read"),
    ),
    (
        "PATCH",
        "/api/v1/categories/{id}",
        Permission("categories:write"),
    ),
    (
        "DELETE",
        "/api/v1/categories/{id}",
        Permission("categories:write"),
    ),
    ("GET", "/api/v1/products", Permission("products:read")),
    ("POST", "/api/v1/products", Permission("products:write")),
    ("GET", "/api/v1/products/{id}", Permission("products:read")),
    (
        "PATCH",
        "/api/v1/products/{id}",
        Permission("products:write"),
    ),
    (
        "DELETE",
        "/api/v1/products/{id}",
        Permission("products:delete"),
    ),
    (
        "POST",
        "/api/v1/products/{id}/stock-adjustments",
        Permission("products:write"),
    ),
    ("GET", "/api/v1/suppliers", Permission("products:read")),
    ("POST", "/api/v1/suppliers", Permission("suppliers:write")),
    ("GET", "/api/v1/suppliers/{id}", Permission("products:read")),
    (
        "PATCH",
        "/api/v1/suppliers/{id}",
        Permission("suppliers:write"),
    ),
    (
        "DELETE",
        "/api/v1/suppliers/{id}",
        Permission("suppliers:write"),
    ),
    ("GET", "/api/v1/audit-events", Permission("audit:read")),
    ("GET", "/api/v1/audit-events/{id}", Permission("audit:read")),
    (
        "GET",
        "/api/v1/audit-events/{id}/proof",
        Permission("audit:read"),
    ),
    (
        "GET",
        "/api/v1/audit-trail/verification",
        Permission("audit:read"),
    ),
    (
        "GET",
        "/api/v1/audit-trail/checkpoints",
        Permission("audit:read"),
    ),
    ("GET", "/api/v1/audit-trail/keys", Permission("audit:read")),
    (
        "GET",
        "/api/v1/audit-events/export",
        Permission("audit:read"),
    ),
    (
        "POST",
        "/api/v1/audit-events/export-links",
        Permission("audit:read"),
    ),
    (
        "GET",
        "/api/v1/audit-events/export-links/download",
        ExportLink,
    ),
    (
        "GET",
        "/api/v1/analytics/events/counts",
        Permission("analytics:read"),
    ),
    (
        "GET",
        "/api/v1/analytics/top-products",
        Permission("analytics:read"),
    ),
    (
        "GET",
        "/api/v1/analytics/active-users",
        Permission("analytics:read"),
    ),
    (
        "GET",
        "/api/v1/analytics/top-searches",
        Permission("analytics:read"),
    ),
    (
        "GET",
        "/api/v1/analytics/category-views",
        Permission("analytics:read"),
    ),
    ("GET", "/health/live", Anyone),
    ("GET", "/health/ready", Anyone),
    ("GET", "/metrics", Anyone),
];

/// Public routes that are not API operations (not in the document's `paths`).
pub const PUBLIC_PAGES: [&str; 2] = ["/docs", "/openapi.json"];

pub fn who(method: &Method, template: &str) -> Option<Who> {
    CONTRACT
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == template)
        .map(|(_, _, who)| *who)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_document_has_exactly_the_contracts_operations_each_stating_who_may_call_it() {
    let app = TestApp::spawn().await;
    let document = served_document(&app).await;
    let documented: BTreeSet<(String, String)> = operations(&document)
        .iter()
        .map(|(method, path, _)| (method.to_string(), path.clone()))
        .collect();
    let contracted: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(
        contracted.len(),
        CONTRACT.len(),
        "no operation listed twice"
    );
    let undocumented: Vec<_> = contracted.difference(&documented).collect();
    let uncontracted: Vec<_> = documented.difference(&contracted).collect();
    assert!(
        undocumented.is_empty() && uncontracted.is_empty(),
        "in the contract only: {undocumented:?}; in the document only (add it to CONTRACT \
         and the matrix): {uncontracted:?}"
    );

    let scheme = &document["components"]["securitySchemes"]["BearerAuth"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let mut unstated = Vec::new();
    for (method, path, operation) in operations(&document) {
        let who = who(&method, &path).unwrap();
        let text = format!(
            "{} {}",
            operation["summary"].as_str().unwrap_or_default(),
            operation["description"].as_str().unwrap_or_default()
        );
        let bearer = operation["security"] == serde_json::json!([{ "BearerAuth": [] }]);
        let named_permissions: Vec<&str> = ALL_PERMISSIONS
            .into_iter()
            .filter(|p| text.contains(&format!("`{p}`")))
            .collect();
        let stated = match who {
            Anyone => !bearer && text.to_lowercase().contains("anyone"),
            RefreshToken => !bearer && text.contains("refresh token"),
            ExportLink => !bearer && text.contains("single-use link"),
            Authenticated => {
                bearer && named_permissions.is_empty() && text.contains("no permission")
            }
            Permission(permission) => bearer && named_permissions == [permission],
        };
        if !stated {
            unstated.push(format!(
                "{method} {path} (expected {who:?}; bearer {bearer}): {text}"
            ));
        }
    }
    assert!(
        unstated.is_empty(),
        "operations whose document does not state who may call them:\n{}",
        unstated.join("\n")
    );

    for page in PUBLIC_PAGES {
        let response = app.get(page).await;
        assert_eq!(response.status(), 200, "{page} is public");
    }
}
