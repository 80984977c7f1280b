//! The real binary, as an operator runs it: configuration errors, `create-admin`, `serve`
//! with graceful shutdown on SIGTERM, and logs that never contain a secret.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

mod terminal;

use crate::helpers::{
    AUDIT_SIGNING_KEY, JWT_SECRET, TestDatabase, TestMongo, binary_command, mongo_url,
};

const ADMIN_PASSWORD: &str = "admin password from the environment";
const REGISTERED_PASSWORD: &str = "a registered user's own password";
const CHANGED_PASSWORD: &str = "the admin's changed password";

/// The binary as these tests run it: debug logs, the database driver's at trace, so "never
/// logged" covers the most output (the drivers' parameter logging is off whatever
/// `RUST_LOG` says).
fn command(db: &TestDatabase, mongo: &TestMongo) -> Command {
    let mut command = binary_command(&db.url, &mongo_url(), &mongo.name);
    command.env("RUST_LOG", "debug,tokio_postgres=trace");
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    for (variable, value) in [
        ("JWT_SECRET", "change-me"),
        ("DATABASE_POOL_SIZE", "lots"),
        ("MONGODB_URL", "http://x"),
        ("AUDIT_SIGNING_KEY", "c2hvcnQ="),
    ] {
        let output = command(&db, &mongo)
            .env(variable, value)
            .arg("check-config")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{variable}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(variable), "{stderr}");
        assert!(!stderr.contains(JWT_SECRET));
        assert!(!stderr.contains(AUDIT_SIGNING_KEY));
    }
    let ok = command(&db, &mongo).arg("check-config").output().unwrap();
    assert!(ok.status.success());
    assert!(
        !String::from_utf8(ok.stdout).unwrap().contains(JWT_SECRET),
        "check-config redacts the secret"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_admin_then_serve_then_sigterm_with_no_secret_in_the_logs() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let email = format!("root-{}@example.com", uuid::Uuid::new_v4().simple());

    let created = command(&db, &mongo)
        .env("STOCKROOM_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .args(["create-admin", "--email", &email])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    assert!(
        stdout.lines().any(|l| l.starts_with("created admin")),
        "{stdout}"
    );
    let mut cli_output = stdout + &String::from_utf8_lossy(&created.stderr);
    // The password may also come on standard input; a second run changes nothing.
    let mut again = command(&db, &mongo)
        .args(["create-admin", "--email", &email])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        again.stdin.as_mut().unwrap(),
        format!("{ADMIN_PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    let again = again.wait_with_output().unwrap();
    assert!(again.status.success());
    cli_output += &String::from_utf8_lossy(&again.stderr);
    assert!(
        String::from_utf8(again.stdout)
            .unwrap()
            .contains("already an admin")
    );

    let mut server = tokio::process::Command::from(command(&db, &mongo))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut logs = Vec::new();
    let port = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("server starts")
            .unwrap()
            .expect("a log line");
        logs.push(line.clone());
        let parsed: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if parsed["fields"]["message"] == "serving" {
            break parsed["fields"]["port"].as_u64().unwrap();
        }
    };
    // Started outside the checkout, it applied the index specs it carries.
    let indexes = mongo
        .database()
        .await
        .collection::<bson::Document>("audit_events")
        .list_index_names()
        .await
        .unwrap();
    assert!(
        indexes.iter().any(|name| name == "occurred_at_id"),
        "{indexes:?}"
    );
    let collector = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            logs.push(line);
        }
        logs
    });

    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    // The first scrape already shows every counter an alert may name, at 0.
    let metrics = client.get(url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    for series in [
        "outbox_redelivered_total 0",
        "outbox_delivery_failures_total 0",
        r#"activity_events_dropped_total{reason="queue_full"} 0"#,
        r#"activity_events_dropped_total{reason="store_error"} 0"#,
        "http_connections_refused_total 0",
        r#"http_connections_timed_out_total{reason="header"} 0"#,
    ] {
        assert!(metrics.lines().any(|l| l == series), "{series}:\n{metrics}");
    }
    let login = |password: &'static str| {
        client
            .post(url("/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    assert_eq!(login("a wrong password").await.unwrap().status(), 401);
    let pair: Value = login(ADMIN_PASSWORD).await.unwrap().json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let me = client
        .get(url("/api/v1/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let rotated = client
        .post(url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    // Writes that store a password hash: a registration and a password change.
    let registered = client
        .post(url("/api/v1/auth/register"))
        .json(&json!({
            "email": format!("new-{}@example.com", uuid::Uuid::new_v4().simple()),
            "password": REGISTERED_PASSWORD, "full_name": "New User",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let changed = client
        .post(url("/api/v1/users/me/password"))
        .bearer_auth(&access)
        .json(&json!({ "current_password": ADMIN_PASSWORD, "new_password": CHANGED_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);

    // SIGTERM: the server drains and exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &server.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), server.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");

    let logs = collector.await.unwrap().join("\n") + &cli_output;
    assert!(logs.contains("DEBUG"), "debug logs are on");
    assert!(
        logs.contains("shutdown signal received"),
        "graceful shutdown is logged"
    );
    assert!(
        logs.contains("audit checkpoint signed") && logs.contains("\"key_id\":\"ed25519:"),
        "each checkpoint is one structured log line"
    );
    // The driver would print parameters as byte lists: a stored hash starts `$argon2id$`.
    let hash_prefix_bytes: Vec<String> = "$argon2id$".bytes().map(|b| b.to_string()).collect();
    assert!(
        !logs.contains(&hash_prefix_bytes.join(", ")),
        "a log line contains a password hash"
    );
    assert!(
        !logs.contains("with parameters: [ToSqlHelper"),
        "the database driver logged query parameters"
    );
    for secret in [
        ADMIN_PASSWORD,
        REGISTERED_PASSWORD,
        CHANGED_PASSWORD,
        "a wrong password",
        JWT_SECRET,
        AUDIT_SIGNING_KEY,
        access.as_str(),
        refresh.as_str(),
        "$argon2id$",
    ] {
        assert!(
            !logs.contains(secret),
            "a log line contains a secret ({}...)",
            &secret[..6]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_index_spec_folder_stops_serve_naming_the_folder_once() {
    let db = TestDatabase::create().await;
    let mongo = TestMongo::create();
    let folder = std::env::temp_dir().join(format!("no-specs-{}", uuid::Uuid::new_v4().simple()));
    let output = binary_command(&db.url, &mongo_url(), &mongo.name)
        .env("MONGO_INDEXES_DIR", &folder)
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let folder = folder.display().to_string();
    assert_eq!(text.matches(folder.as_str()).count(), 1, "{text}");
    assert_eq!(
        text.matches("No such file or directory").count(),
        1,
        "the reason once: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_keygen_prints_a_fresh_signing_key_and_its_public_key_without_any_configuration() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_stockroom"))
            .env_clear()
            .args(["audit", "keygen"])
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let (first, second) = (run(), run());
    assert_ne!(first, second, "a fresh key each time");
    let seed = first
        .lines()
        .find_map(|line| line.strip_prefix("AUDIT_SIGNING_KEY="))
        .expect("a line to paste into the configuration");
    let public = first
        .lines()
        .find_map(|line| {
            line.split("AUDIT_PREVIOUS_PUBLIC_KEYS once retired): ")
                .nth(1)
        })
        .expect("the public key");
    let seed: [u8; 32] = STANDARD.decode(seed).unwrap().try_into().unwrap();
    let derived = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    assert_eq!(STANDARD.encode(derived.as_bytes()), public);
}
