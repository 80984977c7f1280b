//! Categories: CRUD, case-insensitive names, deletion refused while live products use one,
//! and the audit events with their changes.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::{CATEGORIES, Shop, product_path};
use crate::helpers::{TestApp, audit_json, problem_fields};

fn path(category: &Value) -> String {
    format!("{CATEGORIES}/{}", category["id"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn categories_are_created_read_listed_renamed_and_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let response = app
        .send_as(
            Method::POST,
            CATEGORIES,
            token,
            Some(&json!({ "name": "  Garden  ", "description": "Outdoor things" })),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let garden: Value = response.json().await.unwrap();
    assert_eq!(garden["name"], "Garden");
    assert_eq!(garden["description"], "Outdoor things");
    assert_eq!(location, path(&garden));
    assert_eq!(app.get_json(&location, token).await, garden);

    app.create_category(token, "Bathroom").await;
    app.create_category(token, "Cellar").await;
    let page = app
        .get_json(&format!("{CATEGORIES}?skip=1&limit=1"), token)
        .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["skip"], 1);
    assert_eq!(page["limit"], 1);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Cellar"]);

    let renamed = app
        .send_as(
            Method::PATCH,
            &location,
            token,
            Some(&json!({ "name": "Yard", "description": null })),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(renamed["name"], "Yard");
    assert_eq!(renamed["description"], Value::Null);
    let updated = audit_json(
        &app,
        doc! { "action": "category.updated", "target.id": garden["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        updated["changes"]["name"],
        json!({ "from": "Garden", "to": "Yard" })
    );
    assert_eq!(
        updated["changes"]["description"],
        json!({ "from": "Outdoor things", "to": null })
    );

    let deleted = app.send_as(Method::DELETE, &location, token, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(app.get_as(&location, token).await.status(), 404);
    let again = app.send_as(Method::DELETE, &location, token, None).await;
    assert_eq!(again.status(), 404);
    let patch_gone = app
        .send_as(
            Method::PATCH,
            &location,
            token,
            Some(&json!({ "name": "X" })),
        )
        .await;
    assert_eq!(patch_gone.status(), 404);

    let created = audit_json(
        &app,
        doc! { "action": "category.created", "target.id": garden["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        created["changes"]["name"],
        json!({ "from": null, "to": "Garden" })
    );
    assert_eq!(created["actor"]["email"], admin.email.as_str());
    let deleted = audit_json(
        &app,
        doc! { "action": "category.deleted", "target.id": garden["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        deleted["changes"]["name"],
        json!({ "from": "Yard", "to": null })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_unique_ignoring_case() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let tools = app.create_category(token, "Tools").await;
    let paint = app.create_category(token, "Paint").await;
    for clash in ["tools", "TOOLS", " Tools "] {
        let response = app
            .send_as(
                Method::POST,
                CATEGORIES,
                token,
                Some(&json!({ "name": clash })),
            )
            .await;
        assert_eq!(response.status(), 409, "{clash}");
    }
    let rename = app
        .send_as(
            Method::PATCH,
            &path(&paint),
            token,
            Some(&json!({ "name": "tOOls" })),
        )
        .await;
    assert_eq!(rename.status(), 409);
    // Changing only the case of its own name is fine.
    let recase = app
        .send_as(
            Method::PATCH,
            &path(&tools),
            token,
            Some(&json!({ "name": "TOOLS" })),
        )
        .await;
    assert_eq!(recase.status(), 200);
    assert_eq!(app.get_json(&path(&paint), token).await["name"], "Paint");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_category_with_live_products_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let product = shop.product(&app, "Hammer", "9.99", 1).await;
    let category = path(&shop.category);
    let refused = app.send_as(Method::DELETE, &category, token, None).await;
    problem_fields(refused, 409).await;
    assert_eq!(app.get_as(&category, token).await.status(), 200);

    // Once its only product is deleted, it can go; the deleted product stays deleted.
    let gone = app
        .send_as(Method::DELETE, &product_path(&product), token, None)
        .await;
    assert_eq!(gone.status(), 204);
    let deleted = app.send_as(Method::DELETE, &category, token, None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get_as(&product_path(&product), token).await.status(),
        404
    );
    // A product cannot be created in, or moved to, the deleted category.
    let orphan = app
        .send_as(
            Method::POST,
            super::PRODUCTS,
            token,
            Some(&shop.product_body("Saw", "1.00", 0)),
        )
        .await;
    assert_eq!(problem_fields(orphan, 422).await, ["category_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_categories_are_422_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let cases = [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "   " }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "name": "a\u{0}b" }), "name"),
        (
            json!({ "name": "ok", "description": "d".repeat(1001) }),
            "description",
        ),
        (json!({ "name": "ok", "colour": "red" }), "colour"),
        (json!({}), "name"),
        (json!({ "name": 5 }), "name"),
    ];
    for (body, field) in cases {
        let response = app
            .send_as(Method::POST, CATEGORIES, token, Some(&body))
            .await;
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(problem_fields(response, 422).await, [field], "{body}");
    }
    let unknown = format!("{CATEGORIES}/{}", uuid::Uuid::new_v4());
    assert_eq!(app.get_as(&unknown, token).await.status(), 404);
    let bad_id = app.get_as(&format!("{CATEGORIES}/not-a-uuid"), token).await;
    assert_eq!(problem_fields(bad_id, 422).await, ["id"]);
    let bad_limit = app.get_as(&format!("{CATEGORIES}?limit=0"), token).await;
    assert_eq!(problem_fields(bad_limit, 422).await, ["limit"]);
    assert_eq!(app.get_json(CATEGORIES, token).await["total"], 0);
}
