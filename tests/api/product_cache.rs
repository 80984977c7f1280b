//! The catalogue in memory: product views and first list pages served without a query,
//! forgotten by the instance that changes them before it answers, by the others when they
//! hear of it, and by everyone while their listener is down. And HTTP caching on top:
//! `If-None-Match` answered 304.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::catalog::{PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, eventually};

async fn rename_silently(app: &TestApp, product: &Value, name: &str) {
    let id = product["id"].as_str().unwrap();
    app.execute_sql(&format!(
        "UPDATE products SET name = '{name}', version = version + 1 WHERE id = '{id}'"
    ))
    .await;
}

async fn listeners(app: &TestApp) -> i64 {
    app.connections_named(stockroom::repo::pg::catalog_changes::APPLICATION_NAME)
        .await
}

async fn wait_for_listeners(app: &TestApp, count: i64) {
    eventually(
        "the catalogue listeners",
        Duration::from_secs(10),
        || async { (listeners(app).await == count).then_some(()) },
    )
    .await;
}

async fn read(app: &TestApp, token: &str, product: &Value) -> (u16, Value) {
    let response = app.get_as(&product_path(product), token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn rename(app: &TestApp, token: &str, product: &Value, name: &str) -> Value {
    let response = app
        .send_as(
            Method::PATCH,
            &product_path(product),
            token,
            Some(&json!({ "name": name })),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_one_instance_is_read_on_the_others_within_a_second() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_sharing(&app).await;
    wait_for_listeners(&app, 2).await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Cached hammer", "9.99", 5).await;
    assert_eq!(read(&other, token, &product).await.1["version"], 1);

    // Remembered: a change nobody announces is not seen (the read made no query). The
    // creation's announcement may still be on its way and drop the first entry: until one
    // is remembered, each try reads (and remembers) anew.
    eventually("a remembered view", Duration::from_secs(5), || async {
        let before = read(&other, token, &product).await.1["name"].clone();
        let silent = format!("Silent {}", uuid::Uuid::new_v4().simple());
        rename_silently(&app, &product, &silent).await;
        let after = read(&other, token, &product).await.1["name"].clone();
        (after == before).then_some(())
    })
    .await;

    for round in 0..5 {
        let name = format!("Renamed hammer {round}");
        let changed = rename(&app, token, &product, &name).await;
        let version = changed["version"].clone();
        // The instance that answered the change never serves what it replaced.
        assert_eq!(read(&app, token, &product).await.1["version"], version);
        let started = Instant::now();
        eventually(
            "the other instance to hear",
            Duration::from_secs(1),
            || async {
                (read(&other, token, &product).await.1["version"] == version).then_some(())
            },
        )
        .await;
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(read(&other, token, &product).await.1["name"], name);
    }

    let deleted = app
        .send_as(Method::DELETE, &product_path(&product), token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(read(&app, token, &product).await.0, 404);
    eventually(
        "the deletion to be heard",
        Duration::from_secs(1),
        || async { (read(&other, token, &product).await.0 == 404).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_updates_never_leave_an_old_version_cached() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_sharing(&app).await;
    wait_for_listeners(&app, 2).await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Contended", "1.00", 1_000).await;

    let writes = (0..24).map(|n| {
        let (app, other, product) = (&app, &other, &product);
        async move {
            let on = if n % 2 == 0 { app } else { other };
            let response = on.adjust_stock(token, product, 1, "contended").await;
            assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        }
    });
    let reads = (0..48).map(|n| {
        let (app, other, product) = (&app, &other, &product);
        async move {
            let on = if n % 2 == 0 { app } else { other };
            assert_eq!(read(on, token, product).await.0, 200);
        }
    });
    futures::future::join(
        futures::future::join_all(writes),
        futures::future::join_all(reads),
    )
    .await;

    // Every write is in: version 1 + 24 and stock 1,000 + 24, on both, and it stays so.
    for instance in [&app, &other] {
        eventually("the last version", Duration::from_secs(1), || async {
            let (_, seen) = read(instance, token, &product).await;
            (seen["version"] == 25).then_some(())
        })
        .await;
        for _ in 0..5 {
            let (_, seen) = read(instance, token, &product).await;
            assert_eq!(
                (seen["version"].clone(), seen["stock_quantity"].clone()),
                (json!(25), json!(1_024))
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_listener_empties_the_cache_and_nothing_stale_is_read_after_it_returns() {
    let app = TestApp::spawn().await;
    wait_for_listeners(&app, 1).await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Listened", "2.00", 1).await;
    assert_eq!(read(&app, token, &product).await.1["name"], "Listened");
    rename_silently(&app, &product, "Remembered").await;
    assert_eq!(
        read(&app, token, &product).await.1["name"],
        "Listened",
        "from memory"
    );

    app.execute_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = '{}'",
        stockroom::repo::pg::catalog_changes::APPLICATION_NAME
    ))
    .await;
    // Not even announced: what was remembered must still be gone once the loss is noticed.
    rename_silently(&app, &product, "Changed while deaf").await;
    eventually(
        "the cache to be emptied",
        Duration::from_secs(5),
        || async {
            (read(&app, token, &product).await.1["name"] == "Changed while deaf").then_some(())
        },
    )
    .await;
    wait_for_listeners(&app, 1).await;
    for _ in 0..5 {
        assert_eq!(
            read(&app, token, &product).await.1["name"],
            "Changed while deaf"
        );
    }
    // Listening again, it remembers again.
    rename_silently(&app, &product, "Unseen").await;
    assert_eq!(
        read(&app, token, &product).await.1["name"],
        "Changed while deaf"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn first_list_pages_are_remembered_deeper_and_filtered_ones_are_not() {
    let app = TestApp::spawn().await;
    wait_for_listeners(&app, 1).await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Listed", "3.00", 1).await;
    let category = shop.category_id();
    let page = |query: String| {
        let app = &app;
        async move {
            let response = app.get_as(&format!("{PRODUCTS}?{query}"), token).await;
            assert_eq!(response.status(), 200);
            let page: Value = response.json().await.unwrap();
            page["items"][0]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let first = format!("category_id={category}&sort=name");
    let filtered = format!("category_id={category}&in_stock=true");
    assert_eq!(page(first.clone()).await, "Listed");
    assert_eq!(page(filtered.clone()).await, "Listed");
    rename_silently(&app, &product, "Quietly renamed").await;
    assert_eq!(
        page(first.clone()).await,
        "Listed",
        "the first page from memory"
    );
    assert_eq!(
        page(filtered).await,
        "Quietly renamed",
        "a filtered page from PostgreSQL"
    );
    rename(&app, token, &product, "Loudly renamed").await;
    assert_eq!(
        page(first).await,
        "Loudly renamed",
        "a change drops the pages"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_with_a_current_if_none_match_are_304_without_a_body() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Tagged", "4.00", 1).await;
    let tagged = |path: String, tag: Option<String>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url(&path)).bearer_auth(token);
            if let Some(tag) = tag {
                request = request.header("if-none-match", tag);
            }
            request.send().await.unwrap()
        }
    };
    let supplier = app
        .create_supplier(token, &json!({ "name": "Tagged supplier" }))
        .await;
    let supplier_path = format!("/api/v1/suppliers/{}", supplier["id"].as_str().unwrap());
    for path in [product_path(&product), supplier_path] {
        for tag in ["\"1\"", "W/\"1\"", "\"7\", \"1\"", "*"] {
            let response = tagged(path.clone(), Some(tag.to_owned())).await;
            assert_eq!(response.status(), 304, "{path} {tag}");
            assert_eq!(response.headers()["etag"], "\"1\"");
            assert!(response.bytes().await.unwrap().is_empty(), "no body");
        }
        let response = tagged(path.clone(), Some("\"2\"".to_owned())).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["etag"], "\"1\"");
    }

    // Every list page: a weak tag over its bytes, 304 while it holds, 200 once it changed.
    let lists = [
        format!("{PRODUCTS}?category_id={}", shop.category_id()),
        "/api/v1/suppliers".to_owned(),
        "/api/v1/categories".to_owned(),
    ];
    for (n, list) in lists.iter().enumerate() {
        let first = tagged(list.clone(), None).await;
        assert_eq!(first.status(), 200);
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(tag.starts_with("W/\""), "{list}: {tag}");
        let again = tagged(list.clone(), Some(tag.clone())).await;
        assert_eq!(again.status(), 304, "{list}: nothing changed on the page");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert!(again.bytes().await.unwrap().is_empty());
        match n {
            0 => assert_eq!(
                app.adjust_stock(token, &product, 1, "tag").await.status(),
                200
            ),
            1 => {
                app.create_supplier(token, &json!({ "name": "A second supplier" }))
                    .await;
            }
            _ => {
                app.create_category(token, "A second category").await;
            }
        }
        let changed = tagged(list.clone(), Some(tag.clone())).await;
        assert_eq!(changed.status(), 200, "{list}: the page changed");
        assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    }
}
