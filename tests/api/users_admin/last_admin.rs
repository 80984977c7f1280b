//! At least one active account holds `admin` at all times: two admins deactivating or
//! demoting each other at the same instant cannot both succeed.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::Method;

use crate::helpers::{TestApp, TestUser};

const ROUNDS: usize = 6;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

async fn active_admins(app: &TestApp) -> i64 {
    let mut conn = AsyncPgConnection::establish(&app.db.url).await.unwrap();
    diesel::sql_query(
        "SELECT count(*) AS count FROM users u JOIN user_roles ur ON ur.user_id = u.id \
         JOIN roles r ON r.id = ur.role_id WHERE r.name = 'admin' AND u.is_active",
    )
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .count
}

/// `by` removes `target`'s admin standing in one of the ways the API offers.
async fn remove_admin(app: &TestApp, by: &TestUser, target: &TestUser, how: usize) -> u16 {
    let response = match how % 3 {
        0 => {
            app.send_as(
                Method::DELETE,
                &format!("/api/v1/users/{}", target.id),
                &by.access_token,
                None,
            )
            .await
        }
        1 => app.put_roles(&by.access_token, &target.id, &["user"]).await,
        _ => {
            app.send_as(
                Method::PATCH,
                &format!("/api/v1/users/{}", target.id),
                &by.access_token,
                Some(&serde_json::json!({ "is_active": false })),
            )
            .await
        }
    };
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_admins_removing_each_other_at_once_leave_one_admin() {
    let app = TestApp::spawn().await;
    let mut survivor: Option<TestUser> = None;
    for round in 0..ROUNDS {
        let (a, b) = (app.new_admin().await, app.new_admin().await);
        // The survivor of the last round goes first, so a and b are the only admins.
        if let Some(old) = survivor.take() {
            assert_eq!(remove_admin(&app, &a, &old, 0).await, 204);
        }
        assert_eq!(active_admins(&app).await, 2, "round {round}");
        let (ab, ba) = tokio::join!(
            remove_admin(&app, &a, &b, round),
            remove_admin(&app, &b, &a, round + 1)
        );
        // The loser is refused: 409 when it saw the other change, or 401/403 when that change
        // had already ended its session or taken its permission.
        let won = |status: u16| [200, 204].contains(&status);
        let refused = |status: u16| [401, 403, 409].contains(&status);
        assert!(
            (won(ab) && refused(ba)) || (won(ba) && refused(ab)),
            "round {round}: one change wins, the other is refused: {ab} / {ba}"
        );
        assert_eq!(active_admins(&app).await, 1, "round {round}");
        // `ab` is a's change of b: refused, it leaves a removed by b.
        survivor = Some(if won(ab) { a } else { b });
    }
    // The refusal says why, in a problem document.
    let last = survivor.unwrap();
    let other = app.new_admin().await;
    assert_eq!(remove_admin(&app, &last, &other, 0).await, 204);
    let response = app.put_roles(&last.access_token, &last.id, &["user"]).await;
    assert_eq!(response.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_only_admin_cannot_be_deactivated_or_demoted_by_another_admin_either() {
    let app = TestApp::spawn().await;
    let only = app.new_admin().await;
    // A second account holding every permission through a custom role, but not `admin`.
    let all: Vec<String> = app
        .get_json("/api/v1/permissions", &only.access_token)
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    let role = app
        .create_role(
            &only.access_token,
            &crate::helpers::unique_role("root"),
            &names,
        )
        .await;
    let deputy = app
        .new_user_with_roles(&only, &[role["name"].as_str().unwrap()])
        .await;
    for how in 0..3 {
        assert_eq!(
            remove_admin(&app, &deputy, &only, how).await,
            409,
            "way {how}"
        );
    }
    let response = app
        .send_as(
            Method::DELETE,
            &format!("/api/v1/users/{}", only.id),
            &deputy.access_token,
            None,
        )
        .await;
    let problem: serde_json::Value = response.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("administrator"),
        "{problem}"
    );
    assert_eq!(active_admins(&app).await, 1);
}
