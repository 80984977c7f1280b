//! Rate limits (API.md, "Auth and the caller"): login per address, login failures per
//! account and address (so nobody can lock a victim out), registration per address with IPv6
//! clients keyed by their /64, all kept in PostgreSQL: atomic under concurrency, one budget
//! for every instance, pruned when whole again.

use std::net::IpAddr;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Service, TestApp, TestDatabase, TestMongo, TestOptions, mongo_url, service_command,
    unique_email,
};

/// A client whose connections come from `ip` (any 127.0.0.0/8 address is this host).
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    client_from(ip)
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// A 429 problem with a positive whole-second `Retry-After` of at most a minute.
pub async fn assert_rate_limited(what: &str, response: reqwest::Response) {
    assert_eq!(response.status(), 429, "{what}");
    let headers = response.headers();
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "{what}: Retry-After {retry_after}"
    );
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "{what}"
    );
    assert_eq!(headers["cache-control"], "no-store", "{what}");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 429, "{what}");
    assert!(problem["request_id"].is_string(), "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_from_rotating_addresses_do_not_lock_the_victim_out() {
    let app = TestApp::spawn_with(TestOptions {
        login_per_minute: 10,
        login_failures_per_minute: 3,
        ..TestOptions::default()
    })
    .await;
    let victim = unique_email("victim");
    assert_eq!(app.register(&victim, PASSWORD).await.status(), 201);

    // A botnet guesses the victim's password, one address per guess.
    for i in 1..=10 {
        let guess = login_from(&app, &format!("127.0.2.{i}"), &victim, "a wrong guess").await;
        assert_eq!(guess.status(), 401, "guess {i}");
    }
    let victim_logs_in = login_from(&app, "127.0.3.1", &victim, PASSWORD).await;
    assert_eq!(
        victim_logs_in.status(),
        200,
        "the correct password from an address that has not been failing is never refused"
    );

    // One address guessing the victim's password is stopped after its failures, even with
    // the right password and whatever the case of the email...
    for i in 0..3 {
        let guess = login_from(&app, "127.0.4.1", &victim, "a wrong guess").await;
        assert_eq!(guess.status(), 401, "guess {i}");
    }
    let stopped = login_from(&app, "127.0.4.1", &victim, PASSWORD).await;
    assert_rate_limited("failures per account and address", stopped).await;
    let shouted = login_from(&app, "127.0.4.1", &victim.to_uppercase(), PASSWORD).await;
    assert_rate_limited("the same account in capitals", shouted).await;
    // ...but that address may still try another account, and the victim elsewhere still
    // gets in.
    let other = login_from(&app, "127.0.4.1", &unique_email("other"), PASSWORD).await;
    assert_eq!(
        other.status(),
        401,
        "failures are per account, not per address"
    );
    let victim_again = login_from(&app, "127.0.3.1", &victim, PASSWORD).await;
    assert_eq!(victim_again.status(), 200);

    // Every attempt counts against the address: one address spraying many accounts.
    for i in 0..10 {
        let spray = login_from(&app, "127.0.5.1", &unique_email("spray"), PASSWORD).await;
        assert_eq!(spray.status(), 401, "spray {i}");
    }
    let sprayed = login_from(&app, "127.0.5.1", &unique_email("spray"), PASSWORD).await;
    assert_rate_limited("attempts per address", sprayed).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ipv6_client_is_limited_by_its_slash_64() {
    let app = TestApp::spawn_with(TestOptions {
        register_per_minute: 2,
        trusted_proxies: "127.0.0.1",
        ..TestOptions::default()
    })
    .await;
    let register_as = |client_address: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .header("X-Forwarded-For", client_address)
                .json(&json!({
                    "email": unique_email("v6"), "password": PASSWORD, "full_name": "Six",
                }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(register_as("2001:db8:1:2::1").await.status(), 201);
    assert_eq!(register_as("2001:db8:1:2:aaaa::2").await.status(), 201);
    let same_network = register_as("2001:db8:1:2:ffff:ffff:ffff:fff3").await;
    assert_rate_limited("another address of the same /64", same_network).await;
    assert_eq!(
        register_as("2001:db8:1:3::1").await.status(),
        201,
        "the next /64 is another client"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_concurrent_registrations_gets_exactly_the_budget() {
    let app = TestApp::spawn_with(TestOptions {
        register_per_minute: 3,
        ..TestOptions::default()
    })
    .await;
    let statuses: Vec<u16> = futures::stream::iter(0..12)
        .map(|_| async {
            let email = unique_email("burst");
            app.register(&email, PASSWORD).await.status().as_u16()
        })
        .buffer_unordered(12)
        .collect()
        .await;
    let created = statuses.iter().filter(|s| **s == 201).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((created, limited), (3, 9), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_whose_budget_is_whole_again_are_pruned() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    let mut conn = app.handles.pool.get().await.unwrap();
    diesel::sql_query(
        "INSERT INTO rate_limits (name, key, tat) VALUES \
         ('login', '198.51.100.1', now() - interval '1 second'), \
         ('login', '198.51.100.2', now() + interval '30 seconds')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let pruned = stockroom::repo::pg::PgRateLimitRepo
        .prune(&app.handles.pool)
        .await
        .unwrap();
    assert_eq!(pruned, 1);
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
    }
    let left: Vec<Key> = diesel::sql_query("SELECT key FROM rate_limits")
        .load(&mut conn)
        .await
        .unwrap();
    let left: Vec<String> = left.into_iter().map(|k| k.key).collect();
    assert_eq!(left, ["198.51.100.2"], "a key still owing time stays");
}

/// Three instances behind one address (the client here is 127.0.0.1 on all three) give a
/// client the budget of one.
#[tokio::test(flavor = "multi_thread")]
async fn three_instances_share_one_budget() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let command = || {
        let mut command = service_command(&db.url, &mongo_url(), &mongo.name);
        command
            .env("RATE_LIMIT_REGISTER_PER_MINUTE", "4")
            .env("RATE_LIMIT_LOGIN_PER_MINUTE", "6")
            .env("RATE_LIMIT_LOGIN_FAILURES_PER_MINUTE", "3");
        command
    };
    let (a, b, c) = tokio::join!(
        Service::start(command()),
        Service::start(command()),
        Service::start(command())
    );
    let instances = [a, b, c];
    let post = |i: usize, path: &'static str, body: Value| {
        let instance = &instances[i % 3];
        async move {
            instance
                .client
                .post(instance.url(path))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };

    // Registration: twelve at once, four through each instance.
    let answers: Vec<(u16, String)> = futures::future::join_all((0..12).map(|i| {
        let email = unique_email("shared");
        let body = json!({ "email": email, "password": PASSWORD, "full_name": "Shared" });
        async move {
            (
                post(i, "/api/v1/auth/register", body)
                    .await
                    .status()
                    .as_u16(),
                email,
            )
        }
    }))
    .await;
    let registered: Vec<&String> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, email)| email)
        .collect();
    let limited = answers.iter().filter(|(status, _)| *status == 429).count();
    assert_eq!((registered.len(), limited), (4, 8), "{answers:?}");

    // Login failures of one account from this address, through each instance in turn.
    let login = |i: usize, email: &str, password: &str| {
        post(
            i,
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        )
    };
    for i in 0..3 {
        let guess = login(i, registered[0], "a wrong guess").await;
        assert_eq!(guess.status(), 401, "guess {i}");
    }
    let stopped = login(3, registered[0], PASSWORD).await;
    assert_rate_limited("failures counted across instances", stopped).await;

    // Four attempts so far used the address's budget of six, on whichever instance.
    for i in 4..6 {
        let answer = login(i, registered[1], PASSWORD).await;
        assert_eq!(answer.status(), 200, "attempt {i}");
    }
    let over = login(6, registered[1], PASSWORD).await;
    assert_rate_limited("attempts per address across instances", over).await;
}
