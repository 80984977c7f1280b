//! Client helpers for accounts: register, log in, act as an admin or a manager.

use serde_json::{Value, json};

use super::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// A logged-in account.
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    /// As [`Self::send_as`] with `body` sent as is, labelled JSON.
    pub async fn send_raw_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &str,
    ) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({ "email": email, "password": password, "full_name": "Test User" }),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Deactivates an account behind the API's back, as an operator's SQL would.
    pub async fn deactivate_in_database(&self, email: &str) {
        let mut conn = self.handles.pool.get().await.unwrap();
        let updated = diesel_async::RunQueryDsl::execute(
            diesel::sql_query("UPDATE users SET is_active = false WHERE email = $1")
                .bind::<diesel::sql_types::Text, _>(email),
            &mut conn,
        )
        .await
        .unwrap();
        assert_eq!(updated, 1, "{email} exists");
    }

    /// Registers a fresh account and logs it in.
    pub async fn new_user(&self) -> TestUser {
        let email = unique_email("user");
        let registered = self.register(&email, PASSWORD).await;
        assert_eq!(
            registered.status(),
            201,
            "{}",
            registered.text().await.unwrap()
        );
        let id = registered.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.logged_in(id, email).await
    }

    async fn logged_in(&self, id: String, email: String) -> TestUser {
        let response = self.login(&email, PASSWORD).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let pair: Value = response.json().await.unwrap();
        TestUser {
            id,
            email,
            access_token: pair["access_token"].as_str().unwrap().to_owned(),
            refresh_token: pair["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// An admin made the way operators make one (`stockroom create-admin`), logged in.
    pub async fn new_admin(&self) -> TestUser {
        let email = unique_email("admin");
        let provisioned = self
            .handles
            .auth
            .provision_admin(&email, PASSWORD, "Admin")
            .await
            .expect("admin provisioned");
        let id = match provisioned {
            stockroom::service::auth::Provisioned::Created(id) => id.to_string(),
            other => panic!("expected a new admin, got {other:?}"),
        };
        self.logged_in(id, email).await
    }
}
