//! The security suite (issue 5): every documented operation against the contract's
//! permission column, hostile values in every string field, protective headers, 429s.
//! JWT forgeries live in tokens.rs.

mod bearer;
mod check_order;
mod connections;
pub mod contract;
mod headers;
mod heads;
mod hostile_bodies;
mod hostile_params;
mod matrix;
mod targets;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, TestUser};

/// The four kinds of caller the contract distinguishes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    Anonymous,
    User,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Anonymous, Role::User, Role::Manager, Role::Admin];

    /// The permissions of the built-in role (API.md, "Built-in roles").
    pub fn permissions(self) -> &'static [&'static str] {
        match self {
            Role::Anonymous => &[],
            Role::User => &["products:read"],
            Role::Manager => &[
                "products:read",
                "products:write",
                "products:delete",
                "categories:write",
                "suppliers:write",
                "audit:read",
                "analytics:read",
            ],
            Role::Admin => &contract::ALL_PERMISSIONS,
        }
    }
}

/// A logged-in caller of each built-in role.
pub struct Callers {
    pub user: TestUser,
    pub manager: TestUser,
    pub admin: TestUser,
}

impl Callers {
    pub async fn sign_up(app: &TestApp) -> Self {
        let admin = app.new_admin().await;
        let user = app.new_user().await;
        let manager = app.new_user_with_roles(&admin, &["manager"]).await;
        Self {
            user,
            manager,
            admin,
        }
    }

    /// A new account of `role`, for an operation that ends its caller's sessions (the
    /// password change) so the shared callers keep theirs.
    pub async fn fresh(&self, app: &TestApp, role: Role) -> Option<TestUser> {
        match role {
            Role::Anonymous => None,
            Role::User => Some(app.new_user().await),
            Role::Manager => Some(app.new_user_with_roles(&self.admin, &["manager"]).await),
            Role::Admin => Some(app.new_admin().await),
        }
    }

    pub fn token(&self, role: Role) -> Option<&str> {
        match role {
            Role::Anonymous => None,
            Role::User => Some(&self.user.access_token),
            Role::Manager => Some(&self.manager.access_token),
            Role::Admin => Some(&self.admin.access_token),
        }
    }
}

/// The OpenAPI document as the service serves it.
pub async fn served_document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Every operation of the document: (method, path template, operation object).
pub fn operations(document: &Value) -> Vec<(Method, String, Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            operations.push((method, path.clone(), operation.clone()));
        }
    }
    operations
}

/// Sends `method path` with an optional bearer token and JSON body.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("request sent")
}

/// The response's `Content-Type`, or "" when it has none (204).
pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
