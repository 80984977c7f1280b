//! Products that name a supplier: only a live one, which cannot be deleted while they do,
//! also when the two requests race.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::suppliers::{names, path};
use super::{PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, audit_json, problem_fields};

#[tokio::test(flavor = "multi_thread")]
async fn products_name_a_live_supplier_which_cannot_be_deleted_while_they_do() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    let hammers = app
        .create_supplier(token, &json!({ "name": "Hammer House" }))
        .await;
    let other = app
        .create_supplier(token, &json!({ "name": "Other Supplies" }))
        .await;
    let mut body = shop.product_body("Claw hammer", "19.99", 3);
    body["supplier_id"] = hammers["id"].clone();
    let hammer = app.create_product(token, &body).await;
    assert_eq!(hammer["supplier_id"], hammers["id"]);
    shop.product(&app, "Tape", "2.50", 1).await;
    let from_hammers = app
        .get_json(
            &format!("{PRODUCTS}?supplier_id={}", hammers["id"].as_str().unwrap()),
            token,
        )
        .await;
    assert_eq!(names(&from_hammers), ["Claw hammer"]);

    let in_use = app
        .send_as(Method::DELETE, &path(&hammers), token, None)
        .await;
    problem_fields(in_use, 409).await;
    assert_eq!(app.get_as(&path(&hammers), token).await.status(), 200);

    // Unknown and deleted suppliers are refused, on create and on change, naming the field.
    let deleted = app
        .send_as(Method::DELETE, &path(&other), token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    for supplier in [json!(uuid::Uuid::now_v7()), other["id"].clone()] {
        let mut body = shop.product_body("Mallet", "9.99", 1);
        body["supplier_id"] = supplier.clone();
        let response = app
            .send_as(Method::POST, PRODUCTS, token, Some(&body))
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            ["supplier_id"],
            "{supplier}"
        );
        let response = app
            .send_as(
                Method::PATCH,
                &product_path(&hammer),
                token,
                Some(&json!({ "supplier_id": supplier })),
            )
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            ["supplier_id"],
            "{supplier}"
        );
    }

    let cleared = app
        .send_as(
            Method::PATCH,
            &product_path(&hammer),
            token,
            Some(&json!({ "supplier_id": null })),
        )
        .await;
    assert_eq!(cleared.status(), 200);
    let cleared: Value = cleared.json().await.unwrap();
    assert_eq!(
        (cleared["supplier_id"].clone(), cleared["version"].clone()),
        (Value::Null, json!(2))
    );
    let event = audit_json(
        &app,
        doc! { "action": "product.updated", "target.id": hammer["id"].as_str().unwrap() },
    )
    .await;
    assert_eq!(
        event["changes"]["supplier_id"],
        json!({ "from": hammers["id"], "to": null })
    );
    let free = app
        .send_as(Method::DELETE, &path(&hammers), token, None)
        .await;
    assert_eq!(free.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supplier_deleted_while_a_product_names_it_leaves_no_live_product_on_a_deleted_supplier()
{
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let token = &shop.admin.access_token;
    for round in 0..10 {
        let supplier = app
            .create_supplier(token, &json!({ "name": format!("Racing {round}") }))
            .await;
        let mut body = shop.product_body("Racer", "1.00", 1);
        body["supplier_id"] = supplier["id"].clone();
        let supplier_path = path(&supplier);
        let (created, deleted) = tokio::join!(
            app.send_as(Method::POST, PRODUCTS, token, Some(&body)),
            app.send_as(Method::DELETE, &supplier_path, token, None),
        );
        let outcome = (created.status().as_u16(), deleted.status().as_u16());
        assert!(
            outcome == (201, 409) || outcome == (422, 204),
            "round {round}: product {}, supplier delete {}",
            outcome.0,
            outcome.1
        );
    }
}
