//! `GET /products`: filters, sort orders and pagination totals against a seeded set, and the
//! activity events that reading the catalogue leaves.

use std::time::Duration;

use bson::doc;
use reqwest::Method;
use serde_json::json;

use super::{PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, eventually};

/// (name, sku, price, stock, in the second category?)
const SEED: [(&str, &str, &str, i64, bool); 8] = [
    ("Anvil", "AN-1", "120.00", 2, false),
    ("Bench vice", "BV-2", "45.50", 0, false),
    ("Chisel set", "CH-3", "19.99", 14, true),
    ("Drill 100%", "DR_4", "89.00", 5, false),
    ("Drill bits", "DRX4", "9.99", 0, true),
    ("Epoxy", "EP-5", "4.25", 30, true),
    ("File", "FI-6", "4.25", 7, false),
    ("Gloves", "GL-7", "0.01", 100, false),
];

struct Seeded {
    app: TestApp,
    shop: Shop,
    second_category: String,
}

async fn seeded() -> Seeded {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let second = app.create_category(token, "Consumables").await;
    let second_category = second["id"].as_str().unwrap().to_owned();
    for (name, sku, price, stock, in_second) in SEED {
        let category = if in_second {
            second_category.as_str()
        } else {
            shop.category_id()
        };
        app.create_product(
            token,
            &json!({ "name": name, "sku": sku, "price": price, "stock_quantity": stock,
                     "category_id": category }),
        )
        .await;
    }
    // A deleted product never shows up in any list.
    let gone = shop.product(&app, "Axe (deleted)", "50.00", 1).await;
    let deleted = app
        .send_as(Method::DELETE, &product_path(&gone), token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    Seeded {
        app,
        shop,
        second_category,
    }
}

impl Seeded {
    async fn names(&self, query: &str) -> (Vec<String>, i64) {
        let page = self
            .app
            .get_json(
                &format!("{PRODUCTS}?{query}"),
                &self.shop.admin.access_token,
            )
            .await;
        let names = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        (names, page["total"].as_i64().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_narrow_the_list_and_the_total() {
    let seeded = seeded().await;
    let second = seeded.second_category.clone();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            String::new(),
            vec![
                "Anvil",
                "Bench vice",
                "Chisel set",
                "Drill 100%",
                "Drill bits",
                "Epoxy",
                "File",
                "Gloves",
            ],
        ),
        (
            format!("category_id={second}"),
            vec!["Chisel set", "Drill bits", "Epoxy"],
        ),
        ("q=drill".into(), vec!["Drill 100%", "Drill bits"]),
        ("q=DR".into(), vec!["Drill 100%", "Drill bits"]),
        // `%` and `_` are literal characters, not wildcards.
        ("q=%25".into(), vec!["Drill 100%"]),
        ("q=_".into(), vec!["Drill 100%"]),
        ("q=X4".into(), vec!["Drill bits"]),
        ("q=no-such-thing".into(), vec![]),
        (
            "min_price=4.25&max_price=19.99".into(),
            vec!["Chisel set", "Drill bits", "Epoxy", "File"],
        ),
        ("min_price=100".into(), vec!["Anvil"]),
        ("max_price=0.01".into(), vec!["Gloves"]),
        ("in_stock=false".into(), vec!["Bench vice", "Drill bits"]),
        (
            format!("in_stock=true&category_id={second}&max_price=10"),
            vec!["Epoxy"],
        ),
    ];
    for (query, expected) in cases {
        let (names, total) = seeded.names(&query).await;
        assert_eq!(names, expected, "{query}");
        assert_eq!(total, expected.len() as i64, "{query}");
    }

    // Totals of pages that are not the whole answer, after products move and go.
    let first = seeded.shop.category_id().to_owned();
    let (_, total) = seeded.names(&format!("category_id={second}&limit=1")).await;
    assert_eq!(total, 3);
    let anvil = seeded
        .app
        .get_json(
            &format!("{PRODUCTS}?q=anvil"),
            &seeded.shop.admin.access_token,
        )
        .await;
    let anvil = anvil["items"][0].clone();
    let moved = seeded
        .app
        .send_as(
            Method::PATCH,
            &product_path(&anvil),
            &seeded.shop.admin.access_token,
            Some(&json!({ "category_id": second })),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let (_, total) = seeded.names(&format!("category_id={second}&limit=1")).await;
    assert_eq!(total, 4);
    let (_, total) = seeded.names(&format!("category_id={first}&limit=1")).await;
    assert_eq!(total, 4);
    let gone = seeded
        .app
        .send_as(
            Method::DELETE,
            &product_path(&anvil),
            &seeded.shop.admin.access_token,
            None,
        )
        .await;
    assert_eq!(gone.status(), 204);
    let (_, total) = seeded.names(&format!("category_id={second}&limit=1")).await;
    assert_eq!(total, 3);
    let (_, total) = seeded.names("limit=1").await;
    assert_eq!(total, 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sort_order_and_page_is_stable() {
    let seeded = seeded().await;
    let (by_price, _) = seeded.names("sort=price").await;
    assert_eq!(
        by_price,
        [
            "Gloves",
            "Epoxy",
            "File",
            "Drill bits",
            "Chisel set",
            "Bench vice",
            "Drill 100%",
            "Anvil"
        ]
    );
    // Equal prices (Epoxy, File at 4.25) are ordered by id, i.e. creation order here.
    assert_eq!(&by_price[1..3], ["Epoxy", "File"]);
    let (by_price_desc, _) = seeded.names("sort=-price").await;
    assert_eq!(by_price_desc[0], "Anvil");
    assert_eq!(by_price_desc[7], "Gloves");
    assert_eq!(&by_price_desc[5..7], ["File", "Epoxy"]);
    let (by_name_desc, _) = seeded.names("sort=-name").await;
    assert_eq!(by_name_desc.first().map(String::as_str), Some("Gloves"));
    assert_eq!(by_name_desc.last().map(String::as_str), Some("Anvil"));
    let (by_created, _) = seeded.names("sort=created_at").await;
    let seed_order: Vec<String> = SEED.iter().map(|s| s.0.to_owned()).collect();
    assert_eq!(by_created, seed_order);
    let (by_created_desc, _) = seeded.names("sort=-created_at").await;
    assert_eq!(
        by_created_desc,
        seed_order.iter().rev().cloned().collect::<Vec<_>>()
    );

    // Pages of 3 over the price order: the same 8 products, each once, total 8 on each page.
    let mut paged = Vec::new();
    for skip in [0, 3, 6, 9] {
        let (names, total) = seeded
            .names(&format!("sort=price&limit=3&skip={skip}"))
            .await;
        assert_eq!(total, 8, "skip={skip}");
        paged.extend(names);
    }
    assert_eq!(paged, by_price);
    let (filtered_page, total) = seeded.names("q=drill&limit=1&skip=1").await;
    assert_eq!((filtered_page, total), (vec!["Drill bits".to_owned()], 2));

    for bad in [
        "sort=stock",
        "sort=Name",
        "limit=101",
        "limit=0",
        "skip=-1",
        "in_stock=maybe",
    ] {
        let response = seeded
            .app
            .get_as(
                &format!("{PRODUCTS}?{bad}"),
                &seeded.shop.admin.access_token,
            )
            .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    let response = seeded
        .app
        .get_as(
            &format!("{PRODUCTS}?q=a%00b"),
            &seeded.shop.admin.access_token,
        )
        .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_leave_viewed_and_searched_activity_events() {
    let seeded = seeded().await;
    let app = &seeded.app;
    let user = app.new_user().await;
    let (_, total) = seeded.names("limit=1").await;
    assert_eq!(total, 8);
    let page = app
        .get_json(
            &format!("{PRODUCTS}?q=drill&min_price=5&in_stock=true&sort=-price"),
            &user.access_token,
        )
        .await;
    let product = page["items"][0].clone();
    assert_eq!(product["name"], "Drill 100%");
    let viewed = app
        .get_as(&product_path(&product), &user.access_token)
        .await;
    assert_eq!(viewed.status(), 200);

    let events = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("activity_events");
    let user_id = user.id.clone();
    let searched = eventually("a product.searched event", Duration::from_secs(10), || {
        let (events, user_id) = (events.clone(), user_id.clone());
        async move {
            events
                .find_one(doc! { "event_type": "product.searched", "actor_id": &user_id })
                .await
                .unwrap()
        }
    })
    .await;
    let metadata = bson::Bson::Document(searched.get_document("metadata").unwrap().clone())
        .into_relaxed_extjson();
    assert_eq!(metadata["q"], "drill");
    assert_eq!(metadata["min_price"], "5.00");
    assert_eq!(metadata["in_stock"], true);
    assert_eq!(metadata["sort"], "-price");
    assert_eq!(metadata["total"], 1);
    assert!(
        metadata.get("category_id").is_none() && metadata.get("max_price").is_none(),
        "an unused filter is absent, not null: {metadata}"
    );
    assert_eq!(searched.get_i32("schema_version"), Ok(1));
    let product_id = product["id"].as_str().unwrap().to_owned();
    let viewed = eventually("a product.viewed event", Duration::from_secs(10), || {
        let (events, user_id) = (events.clone(), user_id.clone());
        async move {
            events
                .find_one(doc! { "event_type": "product.viewed", "actor_id": &user_id })
                .await
                .unwrap()
        }
    })
    .await;
    let subject = viewed.get_document("subject").unwrap();
    assert_eq!(subject.get_str("type").unwrap(), "product");
    assert_eq!(subject.get_str("id").unwrap(), product_id);
}
