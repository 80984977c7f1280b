//! The reference verifier of tools/audit-verify (Python, written from docs/AUDIT_INTEGRITY.md
//! alone) on a live NDJSON export and the exported checkpoints: intact as exported, and the
//! first break named once a line is changed or the newest events cut off.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::audit_chain::{app_with_history, chained_documents};
use crate::helpers::{TestApp, TestUser, eventually};

/// The venv's python the test command prepares (`AUDIT_VERIFY_PYTHON`), else the venv at
/// its default place: without it this test fails, it is never skipped.
fn python() -> PathBuf {
    std::env::var_os("AUDIT_VERIFY_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/audit-verify/.venv/bin/python")
        })
}

async fn run_verifier(export: &Path, checkpoints: &Path, public_key: &str) -> (i32, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/audit-verify/audit_verify.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .arg(export)
        .arg("--checkpoints")
        .arg(checkpoints)
        .args(["--public-key", public_key])
        .output()
        .await
        .expect("the reference verifier runs (scripts/test.sh prepares its venv)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

async fn all_checkpoints(app: &TestApp, admin: &TestUser) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = "/api/v1/audit-trail/checkpoints?limit=100".to_owned();
    loop {
        let page = app.get_json(&path, &admin.access_token).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/audit-trail/checkpoints?limit=100&cursor={cursor}")
            }
            None => return items,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_verifier_checks_an_export_offline() {
    let app = app_with_history().await;
    let admin = app.new_admin().await;
    eventually(
        "a checkpoint at the head",
        Duration::from_secs(15),
        || async {
            let head = chained_documents(&app).await.len() as i64;
            let checkpoints = all_checkpoints(&app, &admin).await;
            (checkpoints.first()?["seq"].as_i64()? == head).then_some(())
        },
    )
    .await;
    // Checkpoints first: the export then holds every event they cover.
    let checkpoints = all_checkpoints(&app, &admin).await;
    let keys = app
        .get_json("/api/v1/audit-trail/keys", &admin.access_token)
        .await;
    let public_key = keys["keys"][0]["public_key"].as_str().unwrap().to_owned();
    let export = app
        .get_as(
            "/api/v1/audit-events/export?format=ndjson",
            &admin.access_token,
        )
        .await;
    assert_eq!(export.status(), 200);
    let lines: Vec<String> = export
        .text()
        .await
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();

    let folder = std::env::temp_dir().join(format!("audit-offline-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let export_file = folder.join("audit-events.ndjson");
    let checkpoints_file = folder.join("checkpoints.json");
    std::fs::write(
        &checkpoints_file,
        serde_json::to_string(&checkpoints).unwrap(),
    )
    .unwrap();
    std::fs::write(&export_file, lines.join("\n")).unwrap();
    let (code, text) = run_verifier(&export_file, &checkpoints_file, &public_key).await;
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("intact: seq 1 to "), "{text}");

    // One event's field changed in the file.
    let mut changed = lines.clone();
    let last = changed.len() - 1; // the oldest: seq 1
    let mut event: Value = serde_json::from_str(&changed[last]).unwrap();
    event["action"] = "role.deleted".into();
    changed[last] = event.to_string();
    std::fs::write(&export_file, changed.join("\n")).unwrap();
    let (code, text) = run_verifier(&export_file, &checkpoints_file, &public_key).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("broken at seq 1: modified"), "{text}");

    // The newest events cut off: the signed checkpoint still names them.
    let newest_signed = checkpoints[0]["seq"].as_i64().unwrap();
    let kept: Vec<&String> = lines
        .iter()
        .filter(|line| {
            serde_json::from_str::<Value>(line).unwrap()["seq"]
                .as_i64()
                .is_some_and(|seq| seq < newest_signed)
        })
        .collect();
    std::fs::write(
        &export_file,
        kept.iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let (code, text) = run_verifier(&export_file, &checkpoints_file, &public_key).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(": truncated: "), "{text}");
    std::fs::remove_dir_all(&folder).unwrap();
}
