//! Who may administer roles: the permission matrix and no escalation through `roles:write`.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use super::MANAGER_ROLE_ID;
use crate::helpers::{TestApp, audit_json, problem_fields, unique_role};

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_401_403_or_success_by_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;
    let victim = app
        .create_role(&admin.access_token, &unique_role("victim"), &[])
        .await;
    let item = format!("/api/v1/roles/{}", victim["id"].as_str().unwrap());
    let create = json!({ "name": unique_role("new"), "permissions": ["products:read"] });
    let patch = json!({ "description": "changed" });
    let cases: [(&str, Method, &str, Option<&Value>, u16); 6] = [
        ("list_roles", Method::GET, "/api/v1/roles", None, 200),
        (
            "create_role",
            Method::POST,
            "/api/v1/roles",
            Some(&create),
            201,
        ),
        ("get_role", Method::GET, &item, None, 200),
        ("update_role", Method::PATCH, &item, Some(&patch), 200),
        ("delete_role", Method::DELETE, &item, None, 204),
        (
            "list_permissions",
            Method::GET,
            "/api/v1/permissions",
            None,
            200,
        ),
    ];
    for (operation, method, path, body, success) in cases {
        let mut anonymous = app.client.request(method.clone(), app.url(path));
        if let Some(body) = body {
            anonymous = anonymous.json(body);
        }
        let anonymous = anonymous.send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{operation}");
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
        for caller in [&user, &manager] {
            let denied = app
                .send_as(method.clone(), path, &caller.access_token, body)
                .await;
            assert_eq!(denied.status(), 403, "{operation}");
            audit_json(&app, doc! { "action": "access.denied", "target.id": operation, "actor.email": &caller.email }).await;
        }
        let allowed = app.send_as(method, path, &admin.access_token, body).await;
        assert_eq!(allowed.status(), success, "{operation}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_write_alone_cannot_grant_or_touch_more_than_it_holds() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let editors = app
        .create_role(
            &admin.access_token,
            &unique_role("role-editors"),
            &["roles:read", "roles:write"],
        )
        .await;
    let editor = app
        .new_user_with_roles(&admin, &[editors["name"].as_str().unwrap()])
        .await;
    let token = &editor.access_token;

    let body = json!({ "name": unique_role("sneaky"), "permissions": ["users:write"] });
    problem_fields(
        app.send_as(Method::POST, "/api/v1/roles", token, Some(&body))
            .await,
        403,
    )
    .await;
    let own = format!("/api/v1/roles/{}", editors["id"].as_str().unwrap());
    let grow = json!({ "permissions": ["roles:read", "roles:write", "users:write"] });
    problem_fields(
        app.send_as(Method::PATCH, &own, token, Some(&grow)).await,
        403,
    )
    .await;
    let manager_path = format!("/api/v1/roles/{MANAGER_ROLE_ID}");
    let shrink = json!({ "permissions": [] });
    problem_fields(
        app.send_as(Method::PATCH, &manager_path, token, Some(&shrink))
            .await,
        403,
    )
    .await;
    let event = audit_json(&app, doc! { "action": "access.denied", "target.id": "create_role", "actor.email": &editor.email }).await;
    assert_eq!(
        event["metadata"]["lacking_permissions"],
        json!(["users:write"])
    );
    assert_eq!(
        app.get_json(&own, &admin.access_token).await["permissions"],
        json!(["roles:read", "roles:write"])
    );
    let roles = app.get_json("/api/v1/roles", &admin.access_token).await;
    assert_eq!(roles["total"], 5, "nothing was created");

    // Within its own permissions it works.
    let body = json!({ "name": unique_role("fine"), "permissions": ["roles:read"] });
    assert_eq!(
        app.send_as(Method::POST, "/api/v1/roles", token, Some(&body))
            .await
            .status(),
        201
    );
}
