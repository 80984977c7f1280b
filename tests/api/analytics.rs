//! The analytics API: who may read it, which parameters are refused, outages and the OpenAPI
//! description. The exact numbers over a seeded set of events are in the submodules.

mod counts;
mod products_and_users;
mod rollups;
mod searches_and_categories;
mod support;

use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use crate::helpers::{TestApp, TestOptions, problem_fields, wait_for_audit_event};
use support::{ACTIVE, COUNTS, TOP, get_ok, rfc3339, seed, spawn, window};

const PATHS: [&str; 3] = [COUNTS, TOP, ACTIVE];

fn last_day() -> String {
    let to = Utc::now();
    window(to - TimeDelta::days(1), to)
}

#[tokio::test(flavor = "multi_thread")]
async fn analytics_need_a_token_and_analytics_read_and_each_refusal_is_recorded() {
    let app = spawn().await;
    let s = seed(&app).await;
    let admin = app.new_admin().await;
    let manager = app.new_user_with_roles(&admin, &["manager"]).await;
    let user = app.new_user().await;
    let query = s.days(0, 2);

    for path in PATHS {
        let url = format!("{path}?{query}");
        let anonymous = app.get(&url).await;
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer", "{path}");
        assert!(problem_fields(anonymous, 401).await.is_empty());
        let bad_token = app.get_as(&url, "not-a-token").await;
        assert_eq!(bad_token.status(), 401, "{path}");

        let denied = app.get_as(&url, &user.access_token).await;
        assert_eq!(denied.status(), 403, "{path}");
        let problem: Value = denied.json().await.unwrap();
        assert_eq!(problem["status"], 403);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("analytics:read"),
            "{problem}"
        );

        // Managers and admins get the same answer.
        let as_manager = get_ok(&app, &manager, path, &query).await;
        let as_admin = get_ok(&app, &admin, path, &query).await;
        assert_eq!(as_manager, as_admin, "{path}");
        let rows = as_manager.get("buckets").unwrap_or(&as_manager);
        assert!(!rows.as_array().unwrap().is_empty(), "{path}: {as_manager}");
    }

    // Each 403 is an `access.denied` audit event naming the operation and the permission.
    let mut operations = BTreeSet::new();
    for operation in ["get_event_counts", "get_top_products", "get_active_users"] {
        let event = wait_for_audit_event(
            &app,
            bson::doc! {
                "action": "access.denied",
                "target.id": operation,
                "actor.user_id": &user.id,
            },
        )
        .await;
        assert_eq!(event.get_str("outcome"), Ok("denied"));
        assert_eq!(
            event
                .get_document("metadata")
                .unwrap()
                .get_str("permission"),
            Ok("analytics:read")
        );
        operations.insert(operation);
    }
    assert_eq!(operations.len(), 3);
    let denied = crate::helpers::stored_audit_events(
        &app,
        bson::doc! {
            "action": "access.denied",
            "actor.user_id": &user.id,
        },
    )
    .await;
    assert_eq!(denied.len(), 3, "one event per refusal, no more");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_parameters_are_422_naming_each_field_once_the_permission_is_held() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let from = Utc::now() - TimeDelta::days(2);
    let at = |days: i64, millis: i64| {
        rfc3339(from + TimeDelta::days(days) + TimeDelta::milliseconds(millis))
    };
    let ok = window(from, from + TimeDelta::days(1));
    let long_type = format!("a{}", "b".repeat(64));

    let window_cases: Vec<(String, &str)> = vec![
        (format!("to={}", at(1, 0)), "from"),
        (format!("from={}", at(0, 0)), "to"),
        (String::new(), "from"),
        (format!("from=yesterday&to={}", at(1, 0)), "from"),
        (format!("from={}&to=2024-13-01T00:00:00Z", at(0, 0)), "to"),
        (format!("from={}&to={}", at(0, 0), at(0, 0)), "from"),
        (format!("from={}&to={}", at(1, 0), at(0, 0)), "from"),
        (format!("from={}&to={}", at(0, 0), at(92, 1)), "to"),
        (format!("from={}&to={}", at(0, 0), at(100, 0)), "to"),
    ];
    for path in PATHS {
        for (query, field) in &window_cases {
            let response = app
                .get_as(&format!("{path}?{query}"), &admin.access_token)
                .await;
            assert_eq!(
                problem_fields(response, 422).await,
                [*field],
                "{path}?{query}"
            );
        }
        // The longest window, 92 days exactly, is fine.
        let longest = format!("from={}&to={}", at(0, 0), at(92, 0));
        get_ok(&app, &admin, path, &longest).await;
    }
    let mut cases: Vec<(&str, String, &str)> = vec![];
    for path in [COUNTS, ACTIVE] {
        for bucket in ["week", "HOUR", "", "minute"] {
            cases.push((path, format!("{ok}&bucket={bucket}"), "bucket"));
        }
    }
    for limit in ["0", "101", "-1", "ten", ""] {
        cases.push((TOP, format!("{ok}&limit={limit}"), "limit"));
    }
    for event_type in [
        "Product.Viewed",
        "1product",
        ".viewed",
        "product%20viewed",
        "product-viewed",
        "",
        long_type.as_str(),
    ] {
        cases.push((
            COUNTS,
            format!("{ok}&event_type={event_type}"),
            "event_type",
        ));
    }
    for (path, query, field) in &cases {
        let response = app
            .get_as(&format!("{path}?{query}"), &admin.access_token)
            .await;
        assert_eq!(
            problem_fields(response, 422).await,
            [*field],
            "{path}?{query}"
        );
    }
    // The boundaries themselves are accepted.
    get_ok(&app, &admin, TOP, &format!("{ok}&limit=1")).await;
    get_ok(&app, &admin, TOP, &format!("{ok}&limit=100")).await;
    let longest_type = format!("{ok}&event_type=a{}", "b".repeat(63));
    get_ok(&app, &admin, COUNTS, &longest_type).await;

    // The permission comes first: without it a bad request is 403, and says nothing of
    // what would have been valid.
    for (path, query) in [
        (COUNTS, format!("{ok}&bucket=week")),
        (TOP, format!("from={}&to={}", at(1, 0), at(0, 0))),
        (ACTIVE, String::new()),
    ] {
        let response = app
            .get_as(&format!("{path}?{query}"), &user.access_token)
            .await;
        assert_eq!(response.status(), 403, "{path}?{query}");
    }
    let missing = app
        .get_as(&format!("{COUNTS}?{}", ""), &admin.access_token)
        .await;
    let problem: Value = missing.json().await.unwrap();
    assert_eq!(problem["errors"][0]["message"], "is required", "{problem}");
}

#[tokio::test(flavor = "multi_thread")]
async fn analytics_answer_503_without_driver_text_while_mongodb_is_away() {
    let app = TestApp::spawn_with(TestOptions {
        mongo_proxy: true,
        ..TestOptions::default()
    })
    .await;
    let admin = app.new_admin().await;
    app.mongo_proxy.as_ref().unwrap().cut();
    for path in PATHS {
        let response = app
            .get_as(&format!("{path}?{}", last_day()), &admin.access_token)
            .await;
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(
            problem["detail"], "The analytics store is unavailable; retry shortly.",
            "{path}"
        );
    }
    app.mongo_proxy.as_ref().unwrap().restore();
    let body = get_ok(&app, &admin, TOP, &last_day()).await;
    assert_eq!(
        body,
        serde_json::json!([]),
        "answers again once MongoDB is back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_describes_the_analytics_operations() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let paths = &spec["paths"];
    for (path, operation_id, params) in [
        (
            COUNTS,
            "get_event_counts",
            vec!["from", "to", "bucket", "event_type", "compare"],
        ),
        (TOP, "get_top_products", vec!["from", "to", "limit"]),
        (
            ACTIVE,
            "get_active_users",
            vec!["from", "to", "bucket", "compare"],
        ),
        (
            "/api/v1/analytics/top-searches",
            "get_top_searches",
            vec!["from", "to", "limit"],
        ),
        (
            "/api/v1/analytics/category-views",
            "get_category_views",
            vec!["from", "to"],
        ),
    ] {
        let operation = &paths[path]["get"];
        assert_eq!(operation["operationId"], operation_id);
        assert_eq!(operation["tags"], serde_json::json!(["Analytics"]));
        let parameters = operation["parameters"].as_array().unwrap();
        let names: Vec<&str> = parameters
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, params, "{path}");
        for p in parameters {
            let required = p["required"].as_bool().unwrap_or(false);
            assert_eq!(required, p["name"] == "from" || p["name"] == "to", "{p}");
        }
        let description = format!(
            "{} {}",
            operation["summary"].as_str().unwrap(),
            operation["description"].as_str().unwrap()
        );
        for phrase in ["analytics:read", "92 days", "422", "absent"] {
            assert!(description.contains(phrase), "{path}: {phrase}");
        }
        for status in ["200", "401", "403", "422", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path} {status}"
            );
        }
    }
    let tag = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Analytics")
        .expect("an Analytics tag");
    assert!(tag["description"].as_str().unwrap().contains("UTC"));
}
