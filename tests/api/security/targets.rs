//! Real targets for the generated requests, and a valid request for every operation.

use reqwest::Method;
use serde_json::{Value, json};

use super::Callers;
use crate::catalog::{CATEGORIES, product_path, unique_sku};
use crate::helpers::{PASSWORD, TestApp, eventually, unique_email, unique_role};

/// The operation that ends its caller's sessions: sent as a fresh account.
pub const PASSWORD_CHANGE: &str = "/api/v1/users/me/password";
/// What the password change sets (never the suite's own [`PASSWORD`]).
const NEW_PASSWORD: &str = "a different passphrase for the matrix";

/// Real targets, so an allowed caller gets a 2xx rather than a 404.
pub struct Targets {
    pub category_id: String,
    pub product: Value,
    supplier_id: String,
    audit_event_id: String,
    oldest_audit_event_id: String,
    /// A plain account the administration operations read and change.
    account_id: String,
    role_id: String,
    /// An account that only logs in, for the auth operations.
    holder_email: String,
}

impl Targets {
    pub async fn create(app: &TestApp, callers: &Callers) -> Self {
        let admin = &callers.admin.access_token;
        let category = app
            .create_category(admin, &format!("Matrix {}", unique_sku("c")))
            .await;
        let category_id = category["id"].as_str().unwrap().to_owned();
        let product = app.create_product(admin, &product_body(&category_id)).await;
        let supplier = app
            .create_supplier(
                admin,
                &json!({ "name": format!("Matrix {}", unique_sku("s")) }),
            )
            .await;
        let account_id = app.new_user().await.id;
        let holder_email = app.new_user().await.email;
        let role = app
            .create_role(admin, &unique_role("matrix"), &["products:read"])
            .await;
        let audit_event_id = eventually(
            "an audit event to read back",
            std::time::Duration::from_secs(15),
            || async {
                let page = app.get_json("/api/v1/audit-events?limit=1", admin).await;
                page["items"][0]["id"].as_str().map(str::to_owned)
            },
        )
        .await;
        let oldest_audit_event_id = app
            .get_json("/api/v1/audit-events?order=asc&limit=1", admin)
            .await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            oldest_audit_event_id,
            category_id,
            product,
            supplier_id: supplier["id"].as_str().unwrap().to_owned(),
            audit_event_id,
            account_id,
            role_id: role["id"].as_str().unwrap().to_owned(),
            holder_email,
        }
    }

    /// A fresh refresh token of the holder (each refresh or logout uses one up).
    async fn refresh_token(&self, app: &TestApp) -> String {
        let response = app.login(&self.holder_email, PASSWORD).await;
        assert_eq!(response.status(), 200);
        let pair: Value = response.json().await.unwrap();
        pair["refresh_token"].as_str().unwrap().to_owned()
    }

    /// A valid request for the operation: its path and body. Destructive operations get
    /// a fresh target each time, so every attempt meets the same state.
    pub async fn request(
        &self,
        app: &TestApp,
        callers: &Callers,
        method: &Method,
        template: &str,
    ) -> (String, Option<Value>) {
        let admin = &callers.admin.access_token;
        let category = format!("{CATEGORIES}/{}", self.category_id);
        let item = product_path(&self.product);
        let account = format!("/api/v1/users/{}", self.account_id);
        let role = format!("/api/v1/roles/{}", self.role_id);
        let supplier = format!("/api/v1/suppliers/{}", self.supplier_id);
        let window = "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z";
        let name = format!("Renamed {}", unique_sku("n"));
        match (method.as_str(), template) {
            ("POST", "/api/v1/auth/register") => (
                template.to_owned(),
                Some(json!({
                    "email": unique_email("matrix"), "password": PASSWORD, "full_name": "M"
                })),
            ),
            ("POST", "/api/v1/auth/login") => (
                template.to_owned(),
                Some(json!({ "email": self.holder_email, "password": PASSWORD })),
            ),
            ("POST", "/api/v1/auth/refresh" | "/api/v1/auth/logout") => (
                template.to_owned(),
                Some(json!({ "refresh_token": self.refresh_token(app).await })),
            ),
            ("PATCH", "/api/v1/users/me") => {
                (template.to_owned(), Some(json!({ "full_name": name })))
            }
            // Sent as a fresh account (`Callers::fresh`): a change ends its caller's sessions.
            ("POST", "/api/v1/users/me/password") => (
                template.to_owned(),
                Some(json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD })),
            ),
            ("GET", "/api/v1/users/{id}") => (account, None),
            ("PATCH", "/api/v1/users/{id}") => (account, Some(json!({ "full_name": name }))),
            ("PUT", "/api/v1/users/{id}/roles") => (
                format!("{account}/roles"),
                Some(json!({ "roles": ["user"] })),
            ),
            ("DELETE", "/api/v1/users/{id}") => {
                (format!("/api/v1/users/{}", app.new_user().await.id), None)
            }
            ("POST", "/api/v1/roles") => (
                template.to_owned(),
                Some(json!({ "name": unique_role("made"), "permissions": ["products:read"] })),
            ),
            ("GET", "/api/v1/roles/{id}") => (role, None),
            ("PATCH", "/api/v1/roles/{id}") => (role, Some(json!({ "description": name }))),
            ("DELETE", "/api/v1/roles/{id}") => {
                let spare = app.create_role(admin, &unique_role("spare"), &[]).await;
                (
                    format!("/api/v1/roles/{}", spare["id"].as_str().unwrap()),
                    None,
                )
            }
            ("POST", "/api/v1/categories") => (template.to_owned(), Some(json!({ "name": name }))),
            ("GET", "/api/v1/categories/{id}") => (category, None),
            ("PATCH", "/api/v1/categories/{id}") => (category, Some(json!({ "name": name }))),
            ("DELETE", "/api/v1/categories/{id}") => {
                let spare = app.create_category(admin, &name).await;
                (
                    format!("{CATEGORIES}/{}", spare["id"].as_str().unwrap()),
                    None,
                )
            }
            ("POST", "/api/v1/products") => {
                (template.to_owned(), Some(product_body(&self.category_id)))
            }
            ("GET", "/api/v1/products/{id}") => (item, None),
            ("PATCH", "/api/v1/products/{id}") => (item, Some(json!({ "name": name }))),
            ("DELETE", "/api/v1/products/{id}") => {
                let spare = app
                    .create_product(admin, &product_body(&self.category_id))
                    .await;
                (product_path(&spare), None)
            }
            ("POST", "/api/v1/products/{id}/stock-adjustments") => (
                format!("{item}/stock-adjustments"),
                Some(json!({ "delta": 1, "reason": "matrix" })),
            ),
            ("POST", "/api/v1/suppliers") => (template.to_owned(), Some(json!({ "name": name }))),
            ("GET", "/api/v1/suppliers/{id}") => (supplier, None),
            ("PATCH", "/api/v1/suppliers/{id}") => (supplier, Some(json!({ "notes": name }))),
            ("DELETE", "/api/v1/suppliers/{id}") => {
                let spare = app.create_supplier(admin, &json!({ "name": name })).await;
                (
                    format!("/api/v1/suppliers/{}", spare["id"].as_str().unwrap()),
                    None,
                )
            }
            // Each attempt starts with no outstanding links, so the per-user bound (10) is
            // never what answers.
            ("POST", "/api/v1/audit-events/export-links") => {
                forget_export_links(app).await;
                let body = json!({ "format": "csv", "target_type": "product" });
                (template.to_owned(), Some(body))
            }
            ("GET", "/api/v1/audit-events/export-links/download") => {
                forget_export_links(app).await;
                let made = app
                    .send_as(
                        Method::POST,
                        "/api/v1/audit-events/export-links",
                        admin,
                        Some(&json!({ "limit": 1 })),
                    )
                    .await;
                assert_eq!(made.status(), 201);
                let link: Value = made.json().await.unwrap();
                (link["url"].as_str().unwrap().to_owned(), None)
            }
            ("GET", "/api/v1/audit-events/{id}") => (
                format!("/api/v1/audit-events/{}", self.audit_event_id),
                None,
            ),
            // The oldest event: the first checkpoint, signed as soon as there is a chain and
            // before that event was delivered, covers it.
            ("GET", "/api/v1/audit-events/{id}/proof") => (
                format!("/api/v1/audit-events/{}/proof", self.oldest_audit_event_id),
                None,
            ),
            ("GET", "/api/v1/analytics/events/counts" | "/api/v1/analytics/active-users")
            | (
                "GET",
                "/api/v1/analytics/top-products"
                | "/api/v1/analytics/top-searches"
                | "/api/v1/analytics/category-views",
            ) => (format!("{template}?{window}"), None),
            ("GET", _) if !template.contains('{') => (template.to_owned(), None),
            _ => panic!("the matrix builds no request for {method} {template}"),
        }
    }
}

fn product_body(category_id: &str) -> Value {
    json!({
        "name": "Matrix product", "sku": unique_sku("m"), "price": "3.50",
        "stock_quantity": 5, "category_id": category_id,
    })
}

/// Removes every export link, as if each had been used.
async fn forget_export_links(app: &TestApp) {
    app.execute_sql("DELETE FROM audit_export_links").await;
}
