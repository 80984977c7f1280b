//! Who may administer accounts: the permission matrix, other people's accounts, one's own
//! account, and no escalation through `users:write`.

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, audit_json, problem_fields, stored_audit_events, unique_role};

#[tokio::test(flavor = "multi_thread")]
async fn a_role_change_applies_on_the_very_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let readers = unique_role("readers");
    app.create_role(&admin.access_token, &readers, &["users:read"])
        .await;
    let user = app.new_user().await;
    assert_eq!(
        app.get_as("/api/v1/users", &user.access_token)
            .await
            .status(),
        403
    );

    app.put_roles(&admin.access_token, &user.id, &["user", &readers])
        .await;
    let response = app.get_as("/api/v1/users", &user.access_token).await;
    assert_eq!(response.status(), 200, "same token, new permissions");

    app.put_roles(&admin.access_token, &user.id, &["user"])
        .await;
    assert_eq!(
        app.get_as("/api/v1/users", &user.access_token)
            .await
            .status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_cannot_deactivate_themselves_or_drop_their_own_admin_role() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let token = &admin.access_token;
    let own = format!("/api/v1/users/{}", admin.id);
    let deactivate = json!({ "is_active": false });
    problem_fields(
        app.send_as(Method::PATCH, &own, token, Some(&deactivate))
            .await,
        409,
    )
    .await;
    problem_fields(app.send_as(Method::DELETE, &own, token, None).await, 409).await;
    problem_fields(app.put_roles(token, &admin.id, &["manager"]).await, 409).await;
    problem_fields(app.put_roles(token, &admin.id, &[]).await, 409).await;

    let me = app.get_json("/api/v1/users/me", token).await;
    assert_eq!(
        (&me["roles"], me["is_active"].as_bool()),
        (&json!(["admin"]), Some(true))
    );

    // Keeping admin while adding a role is fine. Its event is relayed after any the refused
    // requests might have written (the outbox is FIFO), so then only it may be there.
    let response = app.put_roles(token, &admin.id, &["admin", "manager"]).await;
    assert_eq!(response.status(), 200);
    audit_json(&app, doc! { "action": "user.roles_changed", "target.id": &admin.id, "actor.email": &admin.email }).await;
    let filter = doc! { "target.id": &admin.id, "action": { "$in": ["user.roles_changed", "user.deactivated", "user.updated"] } };
    let changed = stored_audit_events(&app, filter).await;
    assert_eq!(
        changed.len(),
        1,
        "the refused requests recorded nothing: {changed:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_answers_401_403_or_success_by_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;
    let target = app.new_user().await;
    let item = format!("/api/v1/users/{}", target.id);
    let roles = format!("{item}/roles");
    let patch = json!({ "full_name": "Renamed" });
    let put = json!({ "roles": ["user"] });
    let cases: [(&str, Method, &str, Option<&Value>, u16); 5] = [
        ("list_users", Method::GET, "/api/v1/users", None, 200),
        ("get_user", Method::GET, &item, None, 200),
        ("update_user", Method::PATCH, &item, Some(&patch), 200),
        ("set_user_roles", Method::PUT, &roles, Some(&put), 200),
        ("deactivate_user", Method::DELETE, &item, None, 204),
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
    let event = audit_json(
        &app,
        doc! { "action": "access.denied", "target.id": "update_user", "actor.email": &user.email },
    )
    .await;
    assert_eq!(
        (event["outcome"].as_str(), &event["metadata"]["permission"]),
        (Some("denied"), &json!("users:write"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_user_can_neither_read_nor_change_another_account() {
    let app = TestApp::spawn().await;
    let mallory = app.new_user().await;
    let victim = app.new_user().await;
    let path = format!("/api/v1/users/{}", victim.id);
    let token = &mallory.access_token;
    assert_eq!(app.get_as(&path, token).await.status(), 403);
    let body = json!({ "full_name": "Owned" });
    assert_eq!(
        app.send_as(Method::PATCH, &path, token, Some(&body))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.put_roles(token, &victim.id, &["admin"]).await.status(),
        403
    );
    assert_eq!(
        app.put_roles(token, &mallory.id, &["admin"]).await.status(),
        403
    );
    assert_eq!(
        app.send_as(Method::DELETE, &path, token, None)
            .await
            .status(),
        403
    );

    let me = app.get_json("/api/v1/users/me", &victim.access_token).await;
    assert_eq!(
        (
            me["full_name"].as_str(),
            &me["roles"],
            me["is_active"].as_bool()
        ),
        (Some("Test User"), &json!(["user"]), Some(true))
    );
    let me = app.get_json("/api/v1/users/me", token).await;
    assert_eq!(me["roles"], json!(["user"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn users_write_alone_cannot_grant_or_touch_more_than_it_holds() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let support = unique_role("support");
    // products:read too: administering plain users needs every permission they hold.
    let granted = ["users:read", "users:write", "products:read"];
    app.create_role(&admin.access_token, &support, &granted)
        .await;
    let agent = app.new_user_with_roles(&admin, &[&support]).await;
    let user = app.new_user().await;
    let token = &agent.access_token;

    problem_fields(
        app.put_roles(token, &agent.id, &[&support, "admin"]).await,
        403,
    )
    .await;
    problem_fields(app.put_roles(token, &user.id, &["manager"]).await, 403).await;
    let admin_path = format!("/api/v1/users/{}", admin.id);
    problem_fields(
        app.send_as(Method::DELETE, &admin_path, token, None).await,
        403,
    )
    .await;
    let rename = json!({ "full_name": "Not an admin any more" });
    problem_fields(
        app.send_as(Method::PATCH, &admin_path, token, Some(&rename))
            .await,
        403,
    )
    .await;
    let event = audit_json(&app, doc! { "action": "access.denied", "target.id": "set_user_roles", "actor.email": &agent.email }).await;
    assert!(
        event["metadata"]["lacking_permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("audit:read"))
    );
    let me = app.get_json("/api/v1/users/me", &admin.access_token).await;
    assert_eq!(
        (me["full_name"].as_str(), me["is_active"].as_bool()),
        (Some("Admin"), Some(true))
    );

    // Within its own permissions it works.
    let response = app.put_roles(token, &user.id, &["user", &support]).await;
    assert_eq!(response.status(), 200);
    let path = format!("/api/v1/users/{}", user.id);
    assert_eq!(
        app.send_as(Method::DELETE, &path, token, None)
            .await
            .status(),
        204
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn put_roles_replaces_the_set_and_records_sorted_names() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let response = app
        .put_roles(&admin.access_token, &user.id, &["user", "manager", "user"])
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["roles"], json!(["manager", "user"]));
    assert!(
        updated["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("audit:read"))
    );
    let event = audit_json(
        &app,
        doc! { "action": "user.roles_changed", "target.id": &user.id },
    )
    .await;
    assert_eq!(
        event["changes"],
        json!({ "roles": { "from": ["user"], "to": ["manager", "user"] } })
    );

    for (body, field) in [
        (json!({ "roles": ["manager", "no-such-role"] }), "roles"),
        (json!({ "roles": ["Bad Name!"] }), "roles"),
        (json!({ "roles": ["user", "nul\u{0}"] }), "roles"),
        (json!({ "roles": "manager" }), "roles"),
        (json!({}), "roles"),
        (json!({ "roles": [], "is_active": false }), "is_active"),
    ] {
        let path = format!("/api/v1/users/{}/roles", user.id);
        let response = app
            .send_as(Method::PUT, &path, &admin.access_token, Some(&body))
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            vec![field.to_owned()],
            "{body}"
        );
    }
    let me = app.get_json("/api/v1/users/me", &user.access_token).await;
    assert_eq!(
        me["roles"],
        json!(["manager", "user"]),
        "nothing was applied"
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    problem_fields(
        app.put_roles(&admin.access_token, &unknown, &["user"])
            .await,
        404,
    )
    .await;

    // Emptying the set leaves an account without permissions.
    let response = app.put_roles(&admin.access_token, &user.id, &[]).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["permissions"],
        json!([])
    );
}
