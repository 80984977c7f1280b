//! The permission comes before every rule about values or stored data: a caller without it
//! learns nothing about what would have been valid (403, never 422 or 404).

use reqwest::Method;
use serde_json::json;

use crate::catalog::{CATEGORIES, PRODUCTS, Shop};
use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_caller_without_the_permission_gets_403_whatever_the_values() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let product = shop.product(&app, "Rivet", "0.10", 5).await;
    // `user` reads products and nothing more.
    let user = app.new_user().await;
    let token = &user.access_token;
    let unknown = uuid::Uuid::new_v4();
    let mut invalid_product = shop.product_body("x", "1.00", -1);
    invalid_product["sku"] = json!("has space");
    let calls = [
        (Method::POST, PRODUCTS.to_owned(), Some(invalid_product)),
        (
            Method::POST,
            format!(
                "{PRODUCTS}/{}/stock-adjustments",
                product["id"].as_str().unwrap()
            ),
            Some(json!({ "delta": 0, "reason": " " })),
        ),
        (
            Method::POST,
            format!("{PRODUCTS}/{unknown}/stock-adjustments"),
            Some(json!({ "delta": 5, "reason": "unknown product" })),
        ),
        (
            Method::POST,
            CATEGORIES.to_owned(),
            Some(json!({ "name": " " })),
        ),
        (
            Method::PATCH,
            format!("{CATEGORIES}/{unknown}"),
            Some(json!({ "name": "" })),
        ),
        (
            Method::GET,
            "/api/v1/audit-events?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z".to_owned(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/audit-events/export?limit=0".to_owned(),
            None,
        ),
        (
            Method::GET,
            "/api/v1/analytics/events/counts?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
                .to_owned(),
            None,
        ),
    ];
    for (method, path, body) in calls {
        let response = app
            .send_as(method.clone(), &path, token, body.as_ref())
            .await;
        assert_eq!(response.status(), 403, "{method} {path}");
    }
    assert_eq!(
        app.get_json(&crate::catalog::product_path(&product), token)
            .await["stock_quantity"],
        5
    );
}
