//! What customers look for and where they look: the most frequent searches (and which found
//! nothing), product views per category, and names beside ids, through real requests.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{TOP, window};
use crate::catalog::{CATEGORIES, PRODUCTS, Shop, product_path, unique_sku};
use crate::helpers::{TestApp, eventually};

const SEARCHES: &str = "/api/v1/analytics/top-searches";
const CATEGORY_VIEWS: &str = "/api/v1/analytics/category-views";

/// `[now - 1 h, now + 1 h)`: every event this test records.
fn around_now() -> String {
    let now = Utc::now();
    window(now - TimeDelta::hours(1), now + TimeDelta::hours(1))
}

async fn items(app: &TestApp, token: &str, path: &str, query: &str) -> Vec<Value> {
    let body = app
        .get_json(&format!("{path}?{}&{query}", around_now()), token)
        .await;
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn searches_views_per_category_and_top_products_say_what_customers_looked_for() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let garden = app
        .create_category(token, &format!("Garden {}", unique_sku("g")))
        .await;
    let hammer = shop.product(&app, "Hammer", "12.50", 3).await;
    let mut rake_body = shop.product_body("Rake", "9.00", 1);
    rake_body["category_id"] = garden["id"].clone();
    let rake = app.create_product(token, &rake_body).await;

    for product in [&hammer, &hammer, &rake] {
        app.get_json(&product_path(product), token).await;
    }
    for q in ["Drill", "  drill ", "hammer", "HAMMER", "rake"] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .finish();
        app.get_json(&format!("{PRODUCTS}?{query}"), token).await;
    }
    eventually(
        "the searches and views stored",
        Duration::from_secs(10),
        || async {
            let top = items(&app, token, SEARCHES, "limit=10").await;
            (top.iter()
                .map(|t| t["searches"].as_i64().unwrap())
                .sum::<i64>()
                == 5)
                .then_some(())
        },
    )
    .await;

    let top = items(&app, token, SEARCHES, "limit=2").await;
    assert_eq!(
        top,
        [
            json!({ "query": "drill", "searches": 2, "zero_result_searches": 2 }),
            json!({ "query": "hammer", "searches": 2, "zero_result_searches": 0 }),
        ],
        "trimmed and lowercased, by searches then query, at most `limit`"
    );

    let per_category = items(&app, token, CATEGORY_VIEWS, "").await;
    assert_eq!(
        per_category,
        [
            json!({ "category_id": shop.category_id(), "name": shop.category["name"], "views": 2 }),
            json!({ "category_id": garden["id"], "name": garden["name"], "views": 1 }),
        ]
    );

    let products = items_of_top_products(&app, token).await;
    assert_eq!(products[0]["name"], "Hammer");
    assert_eq!(products[1]["name"], "Rake");

    // Deleted, a product and a category keep their counts and lose their names.
    let deleted = app
        .send_as(Method::DELETE, &product_path(&rake), token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    let gone = app
        .send_as(
            Method::DELETE,
            &format!("{CATEGORIES}/{}", garden["id"].as_str().unwrap()),
            token,
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    let products = items_of_top_products(&app, token).await;
    assert_eq!(
        (products[1]["name"].clone(), products[1]["views"].clone()),
        (Value::Null, json!(1))
    );
    let per_category = items(&app, token, CATEGORY_VIEWS, "").await;
    assert_eq!(per_category[1]["name"], Value::Null);
    assert_eq!(per_category[1]["views"], 1);
}

async fn items_of_top_products(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app
        .get_json(&format!("{TOP}?{}", around_now()), token)
        .await;
    body.as_array().cloned().unwrap_or_default()
}
