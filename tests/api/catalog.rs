//! The catalogue through HTTP: categories, products, listing, stock, and who may do what.

mod access;
mod categories;
mod listing;
mod money;
mod products;
mod stock;
mod supplied;
mod suppliers;
mod values;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser};

pub const CATEGORIES: &str = "/api/v1/categories";
pub const PRODUCTS: &str = "/api/v1/products";

pub fn product_path(product: &Value) -> String {
    format!("{PRODUCTS}/{}", product["id"].as_str().unwrap())
}

/// A unique SKU (`[A-Za-z0-9._-]`).
pub fn unique_sku(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    )
}

impl TestApp {
    /// Creates a category as `token`, expecting 201; returns it.
    pub async fn create_category(&self, token: &str, name: &str) -> Value {
        let response = self
            .send_as(
                Method::POST,
                CATEGORIES,
                token,
                Some(&json!({ "name": name })),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// Creates a product from `body` as `token`, expecting 201; returns it.
    pub async fn create_product(&self, token: &str, body: &Value) -> Value {
        let response = self
            .send_as(Method::POST, PRODUCTS, token, Some(body))
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// `POST /products/{id}/stock-adjustments` as `token`.
    pub async fn adjust_stock(
        &self,
        token: &str,
        product: &Value,
        delta: i64,
        reason: &str,
    ) -> reqwest::Response {
        self.send_as(
            Method::POST,
            &format!("{}/stock-adjustments", product_path(product)),
            token,
            Some(&json!({ "delta": delta, "reason": reason })),
        )
        .await
    }
}

/// An admin, a category, and a way to make products in it.
pub struct Shop {
    pub admin: TestUser,
    pub category: Value,
}

impl Shop {
    pub async fn open(app: &TestApp) -> Self {
        let admin = app.new_admin().await;
        let category = app
            .create_category(&admin.access_token, &format!("Tools {}", unique_sku("c")))
            .await;
        Self { admin, category }
    }

    pub fn category_id(&self) -> &str {
        self.category["id"].as_str().unwrap()
    }

    /// A valid product body in the shop's category.
    pub fn product_body(&self, name: &str, price: &str, stock: i64) -> Value {
        json!({
            "name": name,
            "sku": unique_sku("sku"),
            "price": price,
            "stock_quantity": stock,
            "category_id": self.category_id(),
        })
    }

    pub async fn product(&self, app: &TestApp, name: &str, price: &str, stock: i64) -> Value {
        app.create_product(
            &self.admin.access_token,
            &self.product_body(name, price, stock),
        )
        .await
    }
}
