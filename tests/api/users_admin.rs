//! Administration of user accounts: list, read, change, deactivate, assign roles.

mod access;
mod last_admin;

use bson::doc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, audit_json, problem_fields, stored_audit_events, unique_email,
};

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_paginates_newest_first_and_counts_every_match() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let mut seeded = Vec::new();
    for n in 0..5 {
        let name = format!("Seeded Person {n}");
        seeded.push(app.register_named(&name, &unique_email("seed")).await);
    }
    let token = &admin.access_token;

    let all = app.get_json("/api/v1/users", token).await;
    assert_eq!(
        (
            all["total"].as_i64(),
            all["skip"].as_i64(),
            all["limit"].as_i64()
        ),
        (Some(6), Some(0), Some(20))
    );
    let mut newest_first = seeded.clone();
    newest_first.reverse();
    newest_first.push(admin.id.clone());
    assert_eq!(ids(&all), newest_first);
    assert!(
        !all.to_string().contains("password"),
        "no secrets in the list"
    );

    let page = app.get_json("/api/v1/users?skip=2&limit=2", token).await;
    assert_eq!(ids(&page), newest_first[2..4]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["skip"].as_i64(),
            page["limit"].as_i64()
        ),
        (Some(6), Some(2), Some(2))
    );
    let past_the_end = app.get_json("/api/v1/users?skip=6", token).await;
    assert_eq!(
        (ids(&past_the_end).len(), past_the_end["total"].as_i64()),
        (0, Some(6))
    );

    // q: case-insensitive, on the name and on the email.
    let by_name = app
        .get_json("/api/v1/users?q=sEEDED%20person%203", token)
        .await;
    assert_eq!(
        (ids(&by_name), by_name["total"].as_i64()),
        (vec![seeded[3].clone()], Some(1))
    );
    let by_email = app
        .get_json(
            &format!("/api/v1/users?q={}", &admin.email[..20].to_uppercase()),
            token,
        )
        .await;
    assert_eq!(ids(&by_email), vec![admin.id.clone()]);

    // role and is_active, alone and combined with q.
    assert_eq!(
        app.put_roles(token, &seeded[1], &["manager"])
            .await
            .status(),
        200
    );
    let inactive_path = format!("/api/v1/users/{}", seeded[2]);
    let delete = app
        .send_as(Method::DELETE, &inactive_path, token, None)
        .await;
    assert_eq!(delete.status(), 204);
    let managers = app.get_json("/api/v1/users?role=manager", token).await;
    assert_eq!(
        (ids(&managers), managers["total"].as_i64()),
        (vec![seeded[1].clone()], Some(1))
    );
    let users = app.get_json("/api/v1/users?role=user&limit=1", token).await;
    assert_eq!((ids(&users).len(), users["total"].as_i64()), (1, Some(4)));
    let inactive = app.get_json("/api/v1/users?is_active=false", token).await;
    assert_eq!(ids(&inactive), vec![seeded[2].clone()]);
    let active = app
        .get_json("/api/v1/users?is_active=true&q=seeded&role=user", token)
        .await;
    assert_eq!(active["total"], 3);
    let nobody = app.get_json("/api/v1/users?role=no-such-role", token).await;
    assert_eq!((ids(&nobody).len(), nobody["total"].as_i64()), (0, Some(0)));

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("skip=-1", "skip"),
        ("limit=ten", "limit"),
        ("is_active=maybe", "is_active"),
        ("role=Not%20A%20Role", "role"),
        ("q=a%00b", "q"),
    ] {
        let response = app.get_as(&format!("/api/v1/users?{query}"), token).await;
        assert_eq!(
            problem_fields(response, 422).await,
            vec![field.to_owned()],
            "{query}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn q_matches_percent_underscore_and_backslash_literally() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let names = [
        "Sale 50% off",
        "Sale 50 off",
        "under_score",
        "underXscore",
        r"back\slash",
        "backslash",
    ];
    let mut by_name = std::collections::HashMap::new();
    for name in names {
        by_name.insert(name, app.register_named(name, &unique_email("lit")).await);
    }
    for (q, expected) in [
        ("50%25", "Sale 50% off"),
        ("under_score", "under_score"),
        (r"k%5Cs", r"back\slash"),
    ] {
        let page = app
            .get_json(&format!("/api/v1/users?q={q}"), &admin.access_token)
            .await;
        assert_eq!(ids(&page), vec![by_name[expected].clone()], "q={q}");
        assert_eq!(page["total"], 1, "q={q}");
    }
    let everything = app
        .get_json("/api/v1/users?q=%25", &admin.access_token)
        .await;
    assert_eq!(
        everything["total"], 1,
        "a lone % is a character, not a wildcard"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_returns_the_account_with_roles_or_404() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let found = app
        .get_json(&format!("/api/v1/users/{}", user.id), &admin.access_token)
        .await;
    assert_eq!(
        (found["email"].as_str(), &found["roles"]),
        (Some(user.email.as_str()), &json!(["user"]))
    );
    assert_eq!(found["permissions"], json!(["products:read"]));
    let missing = app
        .get_as(
            &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
            &admin.access_token,
        )
        .await;
    problem_fields(missing, 404).await;
    let malformed = app
        .get_as("/api/v1/users/not-a-uuid", &admin.access_token)
        .await;
    assert_eq!(problem_fields(malformed, 422).await, vec!["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_changes_the_name_and_records_user_updated() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let path = format!("/api/v1/users/{}", user.id);
    let body = json!({ "full_name": "  Ada Lovelace " });
    let response = app
        .send_as(Method::PATCH, &path, &admin.access_token, Some(&body))
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(
        (
            updated["full_name"].as_str(),
            updated["is_active"].as_bool()
        ),
        (Some("Ada Lovelace"), Some(true))
    );

    let event = audit_json(
        &app,
        doc! { "action": "user.updated", "target.id": &user.id },
    )
    .await;
    assert_eq!(
        event["changes"],
        json!({ "full_name": { "from": "Test User", "to": "Ada Lovelace" } })
    );
    assert_eq!(event["actor"]["email"], admin.email.as_str());

    for (body, field) in [
        (json!({ "email": "new@example.com" }), "email"),
        (json!({ "roles": ["admin"] }), "roles"),
        (json!({ "full_name": "" }), "full_name"),
        (json!({ "full_name": "   " }), "full_name"),
        (json!({ "is_active": "no" }), "is_active"),
    ] {
        let response = app
            .send_as(Method::PATCH, &path, &admin.access_token, Some(&body))
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            vec![field.to_owned()],
            "{body}"
        );
    }
    let unchanged = app.get_json(&path, &admin.access_token).await;
    assert_eq!(
        (unchanged["email"].as_str(), &unchanged["roles"]),
        (Some(user.email.as_str()), &json!(["user"]))
    );
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::new_v4());
    let missing = app
        .send_as(Method::PATCH, &unknown, &admin.access_token, Some(&body))
        .await;
    problem_fields(missing, 404).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivation_stops_tokens_at_once_is_idempotent_and_recorded_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let patched = app.new_user().await;
    let deleted = app.new_user().await;

    let body = json!({ "is_active": false });
    let path = format!("/api/v1/users/{}", patched.id);
    let response = app
        .send_as(Method::PATCH, &path, &admin.access_token, Some(&body))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["is_active"], false);
    let event = audit_json(
        &app,
        doc! { "action": "user.deactivated", "target.id": &patched.id },
    )
    .await;
    assert_eq!(
        event["changes"],
        json!({ "is_active": { "from": true, "to": false } })
    );

    let path = format!("/api/v1/users/{}", deleted.id);
    for _ in 0..2 {
        let response = app
            .send_as(Method::DELETE, &path, &admin.access_token, None)
            .await;
        assert_eq!(response.status(), 204, "deactivating twice is fine");
    }
    for user in [&patched, &deleted] {
        assert_eq!(
            app.get_as("/api/v1/users/me", &user.access_token)
                .await
                .status(),
            401
        );
        let refresh = json!({ "refresh_token": user.refresh_token });
        assert_eq!(
            app.post_json("/api/v1/auth/refresh", &refresh)
                .await
                .status(),
            401
        );
        assert_eq!(app.login(&user.email, PASSWORD).await.status(), 401);
    }
    let event = audit_json(
        &app,
        doc! { "action": "user.deactivated", "target.id": &deleted.id },
    )
    .await;
    assert_eq!(
        event["changes"]["is_active"],
        json!({ "from": true, "to": false })
    );
    let recorded = stored_audit_events(
        &app,
        doc! { "action": "user.deactivated", "target.id": &deleted.id },
    )
    .await;
    assert_eq!(recorded.len(), 1, "the idempotent repeat records nothing");
    let row = app.get_json(&path, &admin.access_token).await;
    assert_eq!(row["is_active"], false, "soft: the account is still there");

    // Reactivation is a plain update, and old refresh tokens stay revoked.
    let body = json!({ "is_active": true });
    let response = app
        .send_as(Method::PATCH, &path, &admin.access_token, Some(&body))
        .await;
    assert_eq!(response.status(), 200);
    let event = audit_json(
        &app,
        doc! { "action": "user.updated", "target.id": &deleted.id },
    )
    .await;
    assert_eq!(
        event["changes"]["is_active"],
        json!({ "from": false, "to": true })
    );
    let refresh = json!({ "refresh_token": deleted.refresh_token });
    assert_eq!(
        app.post_json("/api/v1/auth/refresh", &refresh)
            .await
            .status(),
        401
    );
    assert_eq!(app.login(&deleted.email, PASSWORD).await.status(), 200);

    let unknown = format!("/api/v1/users/{}", uuid::Uuid::new_v4());
    let missing = app
        .send_as(Method::DELETE, &unknown, &admin.access_token, None)
        .await;
    problem_fields(missing, 404).await;
}
