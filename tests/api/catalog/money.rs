//! Prices are exact: strings or numbers in, two-place strings out, never rounded.

use reqwest::Method;
use serde_json::{Value, json};

use super::{PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, problem_fields};

#[tokio::test(flavor = "multi_thread")]
async fn equal_prices_are_equal_whatever_their_notation() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let notations = [
        json!("0.1"),
        json!(0.10),
        json!("0.10"),
        json!("000.100"),
        json!(0.57),
    ];
    let mut prices = Vec::new();
    for price in notations {
        let mut body = shop.product_body("Washer", "1", 0);
        body["price"] = price;
        prices.push(app.create_product(token, &body).await["price"].clone());
    }
    assert_eq!(prices, ["0.10", "0.10", "0.10", "0.10", "0.57"]);
    let tenth = app
        .get_json(&format!("{PRODUCTS}?min_price=0.1&max_price=0.10"), token)
        .await;
    assert_eq!(tenth["total"], 4);
    for (price, stored) in [
        (json!("0.01"), "0.01"),
        (json!(0.01), "0.01"),
        (json!(12), "12.00"),
        (json!("99999999.99"), "99999999.99"),
        (json!(99_999_999.99), "99999999.99"),
    ] {
        let mut body = shop.product_body("Bolt", "1", 0);
        body["price"] = price.clone();
        assert_eq!(
            app.create_product(token, &body).await["price"],
            stored,
            "{price}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prices_that_would_need_rounding_or_are_out_of_range_are_422_and_store_nothing() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let refused = [
        // Greater than zero.
        json!("0"),
        json!("0.00"),
        json!(0),
        json!(0.0),
        // What `57 * 0.01` and `0.1 + 0.2` compute in floating point have more places.
        json!(0.570_000_000_000_000_1),
        json!(0.300_000_000_000_000_04),
        json!(1e-308),
        json!(1.005),
        json!("1.005"),
        json!("19.999"),
        json!(0.001),
        json!("-0.01"),
        json!(-1),
        json!("100000000"),
        json!(100_000_000),
        json!(1e300),
        json!("1e2"),
        json!("12,50"),
        json!(" 1.00"),
        json!("abc"),
        json!(""),
        json!(true),
        json!(null),
        json!({ "$numberDecimal": "1.00" }),
        json!(["1.00"]),
    ];
    for price in refused {
        let mut body = shop.product_body("Nut", "1", 0);
        body["price"] = price.clone();
        let response = app
            .send_as(Method::POST, PRODUCTS, token, Some(&body))
            .await;
        assert_eq!(problem_fields(response, 422).await, ["price"], "{price}");
    }
    assert_eq!(app.get_json(PRODUCTS, token).await["total"], 0);

    let product = shop.product(&app, "Nut", "2.50", 0).await;
    let path = product_path(&product);
    let patch = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "price": "2.505" })),
        )
        .await;
    assert_eq!(problem_fields(patch, 422).await, ["price"]);
    let unchanged: Value = app.get_json(&path, token).await;
    assert_eq!(unchanged["price"], "2.50");
    assert_eq!(unchanged["version"], 1);

    for query in [
        "min_price=1.005",
        "max_price=-1",
        "min_price=abc",
        "min_price=5&max_price=4",
    ] {
        let response = app.get_as(&format!("{PRODUCTS}?{query}"), token).await;
        let fields = problem_fields(response, 422).await;
        assert!(
            fields == ["min_price"] || fields == ["max_price"],
            "{query}: {fields:?}"
        );
    }
}
