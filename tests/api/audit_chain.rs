//! The audit chain end to end: positions fixed in PostgreSQL and delivered consecutive and
//! linked; hashes a client recomputes from the API's JSON alone; and `stockroom audit verify`
//! naming each kind of tampering done through the MongoDB wire protocol (then undone).

use std::time::Duration;

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use stockroom::repo::pg::PgOutbox;

use crate::helpers::{TestApp, binary_command, eventually, mongo_url};

pub(crate) async fn chained_documents(app: &TestApp) -> Vec<Document> {
    let audit = app
        .mongo
        .database()
        .await
        .collection::<Document>("audit_events");
    audit
        .find(doc! { "seq": { "$exists": true } })
        .sort(doc! { "seq": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// An app with a dozen audit events, all delivered.
pub(crate) async fn app_with_history() -> TestApp {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    for n in 0..4 {
        app.create_category(
            &admin.access_token,
            &format!("Chain {n} {}", uuid::Uuid::new_v4()),
        )
        .await;
    }
    eventually(
        "every audit event delivered",
        Duration::from_secs(15),
        || async {
            let backlog = PgOutbox.backlog(&app.handles.pool).await.unwrap();
            (backlog == 0 && chained_documents(&app).await.len() >= 6).then_some(())
        },
    )
    .await;
    app
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a client does with an event from the API: drop the three hashes, write the time at
/// milliseconds with `Z`, serialise with sorted keys and no whitespace (RFC 8785 for these
/// ASCII keys, strings and integers), and hash.
pub(crate) fn client_side_content_hash(event: &Value) -> String {
    let mut event = event.clone();
    let object = event.as_object_mut().unwrap();
    for key in ["prev_hash", "content_hash", "hash"] {
        object.remove(key);
    }
    let at: chrono::DateTime<chrono::Utc> =
        object["occurred_at"].as_str().unwrap().parse().unwrap();
    object.insert(
        "occurred_at".into(),
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into(),
    );
    hex_sha256(serde_json::to_string(&sorted(event)).unwrap().as_bytes())
}

/// `value` with every object's keys in order (this build's serde_json keeps insertion order).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_are_chained_consecutively_and_a_client_can_recompute_every_hash() {
    let app = app_with_history().await;
    let documents = chained_documents(&app).await;
    let mut prev = "0".repeat(64);
    for (index, document) in documents.iter().enumerate() {
        assert_eq!(
            document.get_i64("seq").unwrap(),
            index as i64 + 1,
            "consecutive from 1"
        );
        assert_eq!(
            document.get_str("prev_hash").unwrap(),
            prev,
            "linked to the one before"
        );
        prev = document.get_str("hash").unwrap().to_owned();
    }

    let admin = app.new_admin().await;
    let body = app
        .get_json(
            "/api/v1/audit-events?order=asc&limit=100",
            &admin.access_token,
        )
        .await;
    let mut checked = 0;
    for event in body["items"].as_array().unwrap() {
        let Some(content_hash) = event["content_hash"].as_str() else {
            continue; // not delivered when listed: no position yet
        };
        assert_eq!(client_side_content_hash(event), content_hash, "{event}");
        let mut link = hex::decode(event["prev_hash"].as_str().unwrap()).unwrap();
        link.extend(hex::decode(content_hash).unwrap());
        assert_eq!(hex_sha256(&link), event["hash"].as_str().unwrap());
        assert_eq!(event["schema_version"], 1);
        checked += 1;
    }
    assert!(
        checked >= documents.len(),
        "{checked} of {}",
        documents.len()
    );
}

/// `stockroom audit verify`: exit code and standard output.
pub(crate) async fn verify(app: &TestApp) -> (i32, String) {
    let output =
        tokio::process::Command::from(binary_command(&app.db.url, &mongo_url(), &app.mongo.name))
            .args(["audit", "verify"])
            .output()
            .await
            .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

pub(crate) async fn assert_broken(app: &TestApp, kind: &str, seq: i64) {
    let (code, stdout) = verify(app).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("broken at seq {seq}")), "{stdout}");
    assert!(stdout.contains(&format!(": {kind}: ")), "{stdout}");
}

/// The chain once every audit event is delivered (each run of `stockroom audit verify` adds
/// its own `audit.verified` event, so positions are read afresh before each tampering).
async fn settled(app: &TestApp) -> Vec<Document> {
    eventually(
        "every audit event delivered",
        Duration::from_secs(15),
        || async { (PgOutbox.backlog(&app.handles.pool).await.unwrap() == 0).then_some(()) },
    )
    .await;
    chained_documents(app).await
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_each_kind_of_tampering_and_passes_once_it_is_undone() {
    let app = app_with_history().await;
    let audit = app
        .mongo
        .database()
        .await
        .collection::<Document>("audit_events");
    let documents = settled(&app).await;
    let last = documents.len() as i64;
    let (code, stdout) = verify(&app).await;
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("intact") && stdout.contains(&format!("verified through seq {last}")),
        "{stdout}"
    );
    let at = |seq: i64| documents[seq as usize - 1].clone();
    let restore = |document: Document| {
        let audit = audit.clone();
        async move {
            audit
                .replace_one(
                    doc! { "_id": document.get("_id").unwrap().clone() },
                    document,
                )
                .await
                .unwrap();
        }
    };

    // A field changed.
    audit
        .update_one(
            doc! { "seq": 3_i64 },
            doc! { "$set": { "action": "role.deleted" } },
        )
        .await
        .unwrap();
    assert_broken(&app, "modified", 3).await;
    restore(at(3)).await;

    // An event deleted, then the newest ones (the tail).
    audit.delete_one(doc! { "seq": 2_i64 }).await.unwrap();
    assert_broken(&app, "missing", 2).await;
    audit.insert_one(at(2)).await.unwrap();
    let tail_from = settled(&app).await.len() as i64 - 1;
    let tail: Vec<Document> = chained_documents(&app)
        .await
        .into_iter()
        .filter(|d| d.get_i64("seq").unwrap() >= tail_from)
        .collect();
    audit
        .delete_many(doc! { "seq": { "$gte": tail_from } })
        .await
        .unwrap();
    assert_broken(&app, "truncated", tail_from).await;
    audit.insert_many(tail).await.unwrap();

    // Two events swapped (their positions exchanged).
    audit
        .update_one(
            doc! { "seq": 4_i64 },
            doc! { "$set": { "seq": 999_999_i64 } },
        )
        .await
        .unwrap();
    audit
        .update_one(doc! { "seq": 5_i64 }, doc! { "$set": { "seq": 4_i64 } })
        .await
        .unwrap();
    audit
        .update_one(
            doc! { "seq": 999_999_i64 },
            doc! { "$set": { "seq": 5_i64 } },
        )
        .await
        .unwrap();
    assert_broken(&app, "reordered", 4).await;
    restore(at(4)).await;
    restore(at(5)).await;

    // A forged event past the head, hashed as the specification says (no key is needed for
    // that: the head PostgreSQL keeps is what gives it away).
    let now = settled(&app).await;
    let head = now.len() as i64;
    let newest = now.last().unwrap().clone();
    let mut forged = newest.clone();
    forged.insert("_id", bson::Uuid::from(uuid::Uuid::now_v7()));
    forged.insert("seq", Bson::Int64(head + 1));
    forged.insert("prev_hash", newest.get_str("hash").unwrap());
    audit.insert_one(forged.clone()).await.unwrap();
    assert_broken(&app, "unexpected", head + 1).await;
    audit
        .delete_one(doc! { "_id": forged.get("_id").unwrap().clone() })
        .await
        .unwrap();

    let (code, stdout) = verify(&app).await;
    assert_eq!(code, 0, "undone: {stdout}");
    let runs = eventually(
        "each run recorded as audit.verified",
        Duration::from_secs(15),
        || async {
            let recorded = app
                .mongo
                .database()
                .await
                .collection::<Document>("audit_events")
                .count_documents(doc! { "action": "audit.verified", "actor.email": "system" })
                .await
                .unwrap();
            (recorded == 7).then_some(recorded)
        },
    )
    .await;
    assert_eq!(runs, 7, "seven runs of the command line");
}
