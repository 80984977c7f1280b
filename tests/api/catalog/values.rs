//! Value rules every write holds: names are what they look like, a field that cannot be
//! cleared refuses `null`, and stock stays within its bound after adjustments too.

use reqwest::Method;
use serde_json::{Value, json};

use super::{CATEGORIES, PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, problem_fields};

/// Names that look blank, or that a bidirectional override makes read other than they are.
const DECEPTIVE_NAMES: [&str; 6] = [
    "\u{200b}",
    "\u{feff}\u{feff}",
    " \u{200b}\u{2060} ",
    "\u{202e}gnp.exe",
    "Nuts \u{2066}and\u{2069} bolts",
    "\u{200f}Bolt",
];

async fn problem_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn invisible_or_bidirectional_names_are_422_for_every_resource() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    for name in DECEPTIVE_NAMES {
        let category = app
            .send_as(
                Method::POST,
                CATEGORIES,
                token,
                Some(&json!({ "name": name })),
            )
            .await;
        assert_eq!(problem_fields(category, 422).await, ["name"], "{name:?}");
        let product = app
            .send_as(
                Method::POST,
                PRODUCTS,
                token,
                Some(&shop.product_body(&format!("{name}{name}"), "1.00", 0)),
            )
            .await;
        assert_eq!(problem_fields(product, 422).await, ["name"], "{name:?}");
        let full_name = app
            .send_as(
                Method::PATCH,
                "/api/v1/users/me",
                token,
                Some(&json!({ "full_name": name })),
            )
            .await;
        assert_eq!(
            problem_fields(full_name, 422).await,
            ["full_name"],
            "{name:?}"
        );
    }
    assert_eq!(app.get_json(PRODUCTS, token).await["total"], 0);
    assert_eq!(app.get_json(CATEGORIES, token).await["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_stored_nfc_normalised_and_trimmed_of_zero_width_characters() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    // "Café" with a combining acute accent, wrapped in a zero-width space and a BOM.
    let category = app
        .create_category(token, "\u{200b}Cafe\u{301} supplies\u{feff}")
        .await;
    assert_eq!(category["name"], "Caf\u{e9} supplies");
    // The same name written precomposed is the same name: 409.
    let again = app
        .send_as(
            Method::POST,
            CATEGORIES,
            token,
            Some(&json!({ "name": "caf\u{e9} SUPPLIES" })),
        )
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn null_for_a_field_that_cannot_be_cleared_is_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Hinge", "4.20", 3).await;
    let path = product_path(&product);
    for field in ["price", "name", "sku", "category_id"] {
        let response = app
            .send_as(Method::PATCH, &path, token, Some(&json!({ field: null })))
            .await;
        let problem = problem_of(response, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("null"), "{field}: {message}");
    }
    let unchanged = app.get_json(&path, token).await;
    assert_eq!(
        (unchanged["price"].clone(), unchanged["version"].clone()),
        (json!("4.20"), json!(1))
    );
    // A field that can be cleared still can.
    let cleared = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "description": null })),
        )
        .await;
    assert_eq!(cleared.status(), 200);
    let category = app
        .send_as(
            Method::PATCH,
            &format!("{CATEGORIES}/{}", shop.category_id()),
            token,
            Some(&json!({ "name": null })),
        )
        .await;
    assert_eq!(problem_fields(category, 422).await, ["name"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn adjustments_never_take_stock_above_the_bound_creation_holds() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Washer", "0.05", 999_999_990).await;
    let up_to = app.adjust_stock(token, &product, 10, "delivery").await;
    assert_eq!(up_to.status(), 200);
    let past = app.adjust_stock(token, &product, 1, "one more").await;
    let problem = problem_of(past, 409).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("1000000000"),
        "{problem}"
    );
    // Thirteen maximal deliveries once took the stock to 13,000,000,000.
    for _ in 0..13 {
        let response = app
            .adjust_stock(token, &product, 1_000_000_000, "huge delivery")
            .await;
        assert_eq!(response.status(), 409);
    }
    let current = app.get_json(&product_path(&product), token).await;
    assert_eq!(current["stock_quantity"], 1_000_000_000);
    assert_eq!(current["version"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_are_refused_in_plain_words() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let with_price = |price: Value| {
        let mut body = shop.product_body("Clamp", "1.00", 0);
        body["price"] = price;
        body
    };
    for (price, words) in [
        (json!("1.005"), "at most two decimal places"),
        (
            json!(0.300_000_000_000_000_04),
            "at most two decimal places",
        ),
        (json!("0"), "greater than 0"),
        (json!("12,50"), "decimal number such as 12.50"),
    ] {
        let response = app
            .send_as(
                Method::POST,
                PRODUCTS,
                token,
                Some(&with_price(price.clone())),
            )
            .await;
        let problem = problem_of(response, 422).await;
        assert_eq!(problem["errors"][0]["field"], "price", "{problem}");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{price}: {message}");
        assert!(!message.contains('^'), "a pattern is no message: {message}");
    }
    // `null` as the whole body, and a key given twice.
    let null = app.send_raw_as(Method::POST, PRODUCTS, token, "null").await;
    let problem = problem_of(null, 422).await;
    assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
    assert_eq!(problem["errors"][0]["message"], "must be a JSON object");
    let twice = format!(
        r#"{{"name": "Clamp", "sku": "CL-1", "price": "1.00", "price": "9.00", "category_id": "{}"}}"#,
        shop.category_id()
    );
    let duplicate = app.send_raw_as(Method::POST, PRODUCTS, token, &twice).await;
    let problem = problem_of(duplicate, 400).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("price"),
        "{problem}"
    );
    assert_eq!(app.get_json(PRODUCTS, token).await["total"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_choice_is_refused_with_the_choices_listed() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let window = "from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z";
    for (path, field, choices) in [
        (
            format!("{PRODUCTS}?sort=stock"),
            "sort",
            "name, -name, price, -price, created_at, -created_at",
        ),
        (
            "/api/v1/audit-events?outcome=maybe".to_owned(),
            "outcome",
            "success, denied, failure",
        ),
        (
            "/api/v1/audit-events/export?format=xml".to_owned(),
            "format",
            "ndjson, csv",
        ),
        (
            format!("/api/v1/analytics/events/counts?{window}&bucket=week"),
            "bucket",
            "hour, day",
        ),
    ] {
        let response = app.get_as(&path, &shop.admin.access_token).await;
        let problem = problem_of(response, 422).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(
            problem["errors"][0]["message"],
            format!("must be one of: {choices}"),
            "{path}"
        );
    }
}
