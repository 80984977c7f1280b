//! Roles and the permission catalogue.

mod access;

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, audit_json, problem_fields, unique_role};
use crate::security::contract;

const ADMIN_ROLE_ID: &str = "00000000-0000-7000-8000-000000000001";
pub(crate) const MANAGER_ROLE_ID: &str = "00000000-0000-7000-8000-000000000002";
const USER_ROLE_ID: &str = "00000000-0000-7000-8000-000000000003";
/// Every permission, by name (as the permission catalogue and the admin role list them).
fn all_permissions() -> Vec<&'static str> {
    let mut all = contract::ALL_PERMISSIONS.to_vec();
    all.sort_unstable();
    all
}

fn names(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_and_permissions_are_listed_by_name_with_totals() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let roles = app.get_json("/api/v1/roles", token).await;
    assert_eq!(names(&roles), ["admin", "auditor", "manager", "user"]);
    assert_eq!(
        (
            roles["total"].as_i64(),
            roles["skip"].as_i64(),
            roles["limit"].as_i64()
        ),
        (Some(4), Some(0), Some(20))
    );
    let admin_role = &roles["items"][0];
    assert_eq!(
        (
            admin_role["id"].as_str(),
            admin_role["is_builtin"].as_bool()
        ),
        (Some(ADMIN_ROLE_ID), Some(true))
    );
    assert_eq!(admin_role["permissions"], json!(all_permissions()));
    for key in ["description", "created_at", "updated_at"] {
        assert!(admin_role.get(key).is_some(), "{key}");
    }
    let page = app.get_json("/api/v1/roles?skip=1&limit=1", token).await;
    assert_eq!(
        (names(&page), page["total"].as_i64()),
        (vec!["auditor"], Some(4))
    );

    let user_role = app
        .get_json(&format!("/api/v1/roles/{USER_ROLE_ID}"), token)
        .await;
    assert_eq!(
        (user_role["name"].as_str(), &user_role["permissions"]),
        (Some("user"), &json!(["products:read"]))
    );
    let missing = app
        .get_as(&format!("/api/v1/roles/{}", uuid::Uuid::new_v4()), token)
        .await;
    problem_fields(missing, 404).await;
    problem_fields(app.get_as("/api/v1/roles/admin", token).await, 422).await;

    let permissions = app.get_json("/api/v1/permissions", token).await;
    assert_eq!(names(&permissions), all_permissions());
    assert_eq!(
        permissions["total"].as_u64(),
        Some(contract::ALL_PERMISSIONS.len() as u64)
    );
    assert!(
        permissions["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p["description"].as_str().unwrap().is_empty())
    );
    let page = app
        .get_json("/api/v1/permissions?skip=2&limit=3", token)
        .await;
    assert_eq!(
        (names(&page), page["total"].as_u64()),
        (
            all_permissions()[2..5].to_vec(),
            Some(contract::ALL_PERMISSIONS.len() as u64)
        )
    );

    for path in [
        "/api/v1/roles?limit=0",
        "/api/v1/roles?skip=-1",
        "/api/v1/permissions?limit=101",
    ] {
        problem_fields(app.get_as(path, token).await, 422).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_a_role_answers_201_with_location_and_records_role_created() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let name = unique_role("support");
    let body = json!({ "name": name, "description": " Helps customers ", "permissions": ["users:read", "products:read", "users:read"] });
    let response = app
        .send_as(
            Method::POST,
            "/api/v1/roles",
            &admin.access_token,
            Some(&body),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let role: Value = response.json().await.unwrap();
    let id = role["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/roles/{id}"));
    assert_eq!(
        (role["description"].as_str(), role["is_builtin"].as_bool()),
        (Some("Helps customers"), Some(false))
    );
    assert_eq!(role["permissions"], json!(["products:read", "users:read"]));
    assert_eq!(app.get_json(&location, &admin.access_token).await, role);

    let event = audit_json(&app, doc! { "action": "role.created", "target.id": id }).await;
    assert_eq!(
        (
            event["target"]["type"].as_str(),
            event["actor"]["email"].as_str()
        ),
        (Some("role"), Some(admin.email.as_str()))
    );
    assert_eq!(
        event["changes"],
        json!({
            "name": { "from": null, "to": name },
            "description": { "from": null, "to": "Helps customers" },
            "permissions": { "from": null, "to": ["products:read", "users:read"] },
        })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_or_duplicate_roles_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let taken = unique_role("taken");
    app.create_role(token, &taken, &[]).await;
    for (body, field) in [
        (
            json!({ "name": unique_role("r"), "permissions": ["users:read", "users:delete"] }),
            "permissions",
        ),
        (json!({ "name": "Support Team", "permissions": [] }), "name"),
        (json!({ "name": "x", "permissions": [] }), "name"),
        (json!({ "name": unique_role("r") }), "permissions"),
        (
            json!({ "name": unique_role("r"), "permissions": [], "is_builtin": true }),
            "is_builtin",
        ),
        (
            json!({ "name": unique_role("r"), "permissions": [], "description": "d".repeat(501) }),
            "description",
        ),
        (
            json!({ "name": unique_role("r"), "permissions": [], "description": "a\u{0}b" }),
            "description",
        ),
    ] {
        let response = app
            .send_as(Method::POST, "/api/v1/roles", token, Some(&body))
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            vec![field.to_owned()],
            "{body}"
        );
    }
    for name in [taken.as_str(), "admin"] {
        let body = json!({ "name": name, "permissions": [] });
        let response = app
            .send_as(Method::POST, "/api/v1/roles", token, Some(&body))
            .await;
        problem_fields(response, 409).await;
    }
    let malformed = app
        .client
        .post(app.url("/api/v1/roles"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let roles = app.get_json("/api/v1/roles", token).await;
    assert_eq!(roles["total"], 5, "only the first custom role exists");
}

#[tokio::test(flavor = "multi_thread")]
async fn updating_a_role_applies_and_records_what_changed() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let role = app
        .create_role(token, &unique_role("editors"), &["products:read"])
        .await;
    let id = role["id"].as_str().unwrap();
    let path = format!("/api/v1/roles/{id}");
    let holder = app
        .new_user_with_roles(&admin, &[role["name"].as_str().unwrap()])
        .await;
    assert_eq!(
        app.get_as("/api/v1/users", &holder.access_token)
            .await
            .status(),
        403
    );

    let renamed = unique_role("readers");
    let body = json!({ "name": renamed, "description": "Read accounts", "permissions": ["users:read", "products:read"] });
    let response = app.send_as(Method::PATCH, &path, token, Some(&body)).await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (updated["name"].as_str(), &updated["permissions"]),
        (
            Some(renamed.as_str()),
            &json!(["products:read", "users:read"])
        )
    );
    assert_eq!(
        app.get_as("/api/v1/users", &holder.access_token)
            .await
            .status(),
        200,
        "holders get it on their next request"
    );

    let event = audit_json(&app, doc! { "action": "role.updated", "target.id": id }).await;
    assert_eq!(
        event["changes"],
        json!({
            "name": { "from": role["name"], "to": renamed },
            "description": { "from": null, "to": "Read accounts" },
            "permissions": { "from": ["products:read"], "to": ["products:read", "users:read"] },
        })
    );

    let cleared = app
        .send_as(
            Method::PATCH,
            &path,
            token,
            Some(&json!({ "description": null })),
        )
        .await;
    assert_eq!(
        cleared.json::<Value>().await.unwrap()["description"],
        Value::Null
    );
    let other = app.create_role(token, &unique_role("other"), &[]).await;
    let clash = json!({ "name": other["name"] });
    problem_fields(
        app.send_as(Method::PATCH, &path, token, Some(&clash)).await,
        409,
    )
    .await;
    let unknown = json!({ "permissions": ["products:read", "everything"] });
    let response = app
        .send_as(Method::PATCH, &path, token, Some(&unknown))
        .await;
    assert_eq!(problem_fields(response, 422).await, vec!["permissions"]);
    let current = app.get_json(&path, token).await;
    assert_eq!(
        (current["name"].as_str(), &current["permissions"]),
        (
            Some(renamed.as_str()),
            &json!(["products:read", "users:read"])
        )
    );
    let missing = format!("/api/v1/roles/{}", uuid::Uuid::new_v4());
    problem_fields(
        app.send_as(
            Method::PATCH,
            &missing,
            token,
            Some(&json!({ "description": "x" })),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn built_in_roles_keep_their_names_and_admin_keeps_everything() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;
    for id in [ADMIN_ROLE_ID, MANAGER_ROLE_ID, USER_ROLE_ID] {
        let path = format!("/api/v1/roles/{id}");
        let rename = json!({ "name": unique_role("renamed") });
        problem_fields(
            app.send_as(Method::PATCH, &path, token, Some(&rename))
                .await,
            409,
        )
        .await;
        problem_fields(app.send_as(Method::DELETE, &path, token, None).await, 409).await;
    }
    let admin_path = format!("/api/v1/roles/{ADMIN_ROLE_ID}");
    let fewer = json!({ "permissions": all_permissions()[1..] });
    problem_fields(
        app.send_as(Method::PATCH, &admin_path, token, Some(&fewer))
            .await,
        409,
    )
    .await;
    let admin_role = app.get_json(&admin_path, token).await;
    assert_eq!(
        (admin_role["name"].as_str(), &admin_role["permissions"]),
        (Some("admin"), &json!(all_permissions()))
    );
    let same_name = json!({ "name": "admin", "description": "Everything, always" });
    assert_eq!(
        app.send_as(Method::PATCH, &admin_path, token, Some(&same_name))
            .await
            .status(),
        200
    );

    // Other built-ins may change their permissions; it applies to holders at once.
    let manager_path = format!("/api/v1/roles/{MANAGER_ROLE_ID}");
    let body = json!({ "permissions": ["products:read", "users:read"] });
    assert_eq!(
        app.send_as(Method::PATCH, &manager_path, token, Some(&body))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_as("/api/v1/users", &manager.access_token)
            .await
            .status(),
        200
    );
    let names = app.get_json("/api/v1/roles", token).await;
    assert_eq!(self::names(&names), ["admin", "auditor", "manager", "user"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_in_use_cannot_be_deleted_until_nobody_holds_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let role = app
        .create_role(token, &unique_role("temp"), &["products:read"])
        .await;
    let (id, name) = (role["id"].as_str().unwrap(), role["name"].as_str().unwrap());
    let path = format!("/api/v1/roles/{id}");
    let holder = app.new_user_with_roles(&admin, &["user", name]).await;
    problem_fields(app.send_as(Method::DELETE, &path, token, None).await, 409).await;
    assert_eq!(app.get_json(&path, token).await["name"], name);

    app.put_roles(token, &holder.id, &["user"]).await;
    assert_eq!(
        app.send_as(Method::DELETE, &path, token, None)
            .await
            .status(),
        204
    );
    problem_fields(app.get_as(&path, token).await, 404).await;
    problem_fields(app.send_as(Method::DELETE, &path, token, None).await, 404).await;
    let event = audit_json(&app, doc! { "action": "role.deleted", "target.id": id }).await;
    assert_eq!(
        event["changes"],
        json!({ "name": { "from": name, "to": null }, "permissions": { "from": ["products:read"], "to": null } })
    );
    problem_fields(app.put_roles(token, &holder.id, &[name]).await, 422).await;
}
