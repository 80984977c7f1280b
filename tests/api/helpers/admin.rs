//! Helpers for the administration tests: accounts with given roles, custom roles, and
//! reading problem documents and audit events as JSON.

use reqwest::Method;
use serde_json::{Value, json};

use super::users::{PASSWORD, TestUser};
use super::{TestApp, wait_for_audit_event};

impl TestApp {
    /// `PUT /api/v1/users/{id}/roles` as `token`.
    pub async fn put_roles(&self, token: &str, user_id: &str, roles: &[&str]) -> reqwest::Response {
        self.send_as(
            Method::PUT,
            &format!("/api/v1/users/{user_id}/roles"),
            token,
            Some(&json!({ "roles": roles })),
        )
        .await
    }

    /// A fresh, logged-in account whose roles `admin` set to `roles`. The token it got at
    /// login stays valid: roles are re-read on every request.
    pub async fn new_user_with_roles(&self, admin: &TestUser, roles: &[&str]) -> TestUser {
        let user = self.new_user().await;
        let response = self.put_roles(&admin.access_token, &user.id, roles).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        user
    }

    /// Registers an account with this full name (not logged in); returns its id.
    pub async fn register_named(&self, full_name: &str, email: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": PASSWORD, "full_name": full_name }),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a custom role as `token`; returns it.
    pub async fn create_role(&self, token: &str, name: &str, permissions: &[&str]) -> Value {
        let response = self
            .send_as(
                Method::POST,
                "/api/v1/roles",
                token,
                Some(&json!({ "name": name, "permissions": permissions })),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// `GET path` as `token`, expecting 200; the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.get_as(path, token).await;
        assert_eq!(
            response.status(),
            200,
            "{path}: {}",
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }
}

/// A unique role name (the pattern allows `[a-z0-9_-]`).
pub fn unique_role(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Asserts a problem document with `status`; returns the fields named in `errors`.
pub async fn problem_fields(response: reqwest::Response, status: u16) -> Vec<String> {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], status);
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The first stored audit event matching `filter`, as relaxed extended JSON.
pub async fn audit_json(app: &TestApp, filter: bson::Document) -> Value {
    bson::Bson::Document(wait_for_audit_event(app, filter).await).into_relaxed_extjson()
}
