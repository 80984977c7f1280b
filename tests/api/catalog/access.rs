//! Who may do what in the catalogue: anonymous 401; `user` reads only; `manager` and
//! `admin` do everything (categories:write, products:*); every 403 is recorded.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::{CATEGORIES, PRODUCTS, Shop, product_path};
use crate::helpers::{TestApp, audit_json};

/// (operation, method, path, body, success status, may a plain `user` do it?)
type Case<'a> = (&'a str, Method, &'a str, Option<&'a Value>, u16, bool);

#[tokio::test(flavor = "multi_thread")]
async fn every_catalog_operation_answers_by_the_permission_matrix() {
    let app = TestApp::spawn().await;
    let shop = Shop::open(&app).await;
    let admin = &shop.admin;
    let user = app.new_user().await;
    let manager = app.new_user_with_roles(admin, &["manager"]).await;
    let category_path = format!("{CATEGORIES}/{}", shop.category_id());

    for caller in [&manager, admin] {
        let token = &caller.access_token;
        let spare = app
            .create_category(token, &format!("Spare {}", caller.id))
            .await;
        let spare_path = format!("{CATEGORIES}/{}", spare["id"].as_str().unwrap());
        let product = shop.product(&app, "Target", "1.00", 5).await;
        let item = product_path(&product);
        let adjust = format!("{item}/stock-adjustments");
        let new_product = shop.product_body("Made", "2.00", 0);
        let rename = json!({ "name": "Renamed" });
        let adjustment = json!({ "delta": 1, "reason": "matrix" });
        let new_category = json!({ "name": format!("New {}", caller.id) });
        let cases: [Case; 11] = [
            ("list_categories", Method::GET, CATEGORIES, None, 200, true),
            ("get_category", Method::GET, &category_path, None, 200, true),
            (
                "create_category",
                Method::POST,
                CATEGORIES,
                Some(&new_category),
                201,
                false,
            ),
            (
                "update_category",
                Method::PATCH,
                &spare_path,
                Some(&rename),
                200,
                false,
            ),
            (
                "delete_category",
                Method::DELETE,
                &spare_path,
                None,
                204,
                false,
            ),
            ("list_products", Method::GET, PRODUCTS, None, 200, true),
            ("get_product", Method::GET, &item, None, 200, true),
            (
                "create_product",
                Method::POST,
                PRODUCTS,
                Some(&new_product),
                201,
                false,
            ),
            (
                "update_product",
                Method::PATCH,
                &item,
                Some(&rename),
                200,
                false,
            ),
            (
                "adjust_stock",
                Method::POST,
                &adjust,
                Some(&adjustment),
                200,
                false,
            ),
            ("delete_product", Method::DELETE, &item, None, 204, false),
        ];
        for (operation, method, path, body, success, user_may) in cases {
            let mut anonymous = app.client.request(method.clone(), app.url(path));
            if let Some(body) = body {
                anonymous = anonymous.json(body);
            }
            let anonymous = anonymous.send().await.unwrap();
            assert_eq!(anonymous.status(), 401, "{operation}");
            let as_user = app
                .send_as(method.clone(), path, &user.access_token, body)
                .await;
            if user_may {
                assert_eq!(as_user.status(), 200, "user {operation}");
            } else {
                assert_eq!(as_user.status(), 403, "user {operation}");
                audit_json(
                    &app,
                    doc! { "action": "access.denied", "target.id": operation, "actor.email": &user.email },
                )
                .await;
            }
            let allowed = app.send_as(method, path, token, body).await;
            assert_eq!(allowed.status(), success, "{} {operation}", caller.email);
        }
    }
}
