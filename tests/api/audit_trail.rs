//! The audit trail's integrity through the API: signed checkpoints in both stores, the
//! trusted keys, the verification, and proofs a client checks offline with nothing but the
//! answer and the public key; then checkpoints tampered with through the MongoDB wire
//! protocol, a verifier holding another key, and a tail truncated with PostgreSQL's head
//! rolled back, each named by `stockroom audit verify`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bson::{Document, doc};
use diesel_async::RunQueryDsl;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use futures::TryStreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit_chain::{app_with_history, chained_documents, client_side_content_hash};
use crate::helpers::{TestApp, TestOptions, binary_command, eventually, mongo_url};

/// The bytes a checkpoint's signature covers, built from docs/AUDIT_INTEGRITY.md alone.
fn signed_bytes(checkpoint: &Value) -> Vec<u8> {
    let mut bytes = b"stockroom-audit-checkpoint-v1\0".to_vec();
    bytes.extend(checkpoint["seq"].as_i64().unwrap().to_be_bytes());
    bytes.extend(hex::decode(checkpoint["hash"].as_str().unwrap()).unwrap());
    let at: chrono::DateTime<chrono::Utc> =
        checkpoint["created_at"].as_str().unwrap().parse().unwrap();
    bytes.extend(at.timestamp_millis().to_be_bytes());
    bytes
}

fn public_key(keys: &Value) -> (String, VerifyingKey) {
    let active = &keys["keys"][0];
    assert_eq!(active["active"], true);
    assert_eq!(active["algorithm"], "ed25519");
    let raw = STANDARD
        .decode(active["public_key"].as_str().unwrap())
        .unwrap();
    let key = VerifyingKey::from_bytes(&raw.try_into().unwrap()).unwrap();
    let id = format!(
        "ed25519:{}",
        &hex::encode(Sha256::digest(key.as_bytes()))[..16]
    );
    assert_eq!(
        active["key_id"],
        id.as_str(),
        "key_id as the specification says"
    );
    (id, key)
}

fn assert_signed(checkpoint: &Value, key: &VerifyingKey) {
    let signature = STANDARD
        .decode(checkpoint["signature"].as_str().unwrap())
        .unwrap();
    key.verify(
        &signed_bytes(checkpoint),
        &Signature::from_bytes(&signature.try_into().unwrap()),
    )
    .unwrap_or_else(|_| panic!("{checkpoint} is signed"));
}

fn event_id(document: &Document) -> uuid::Uuid {
    match document.get("_id") {
        Some(bson::Bson::Binary(binary)) => uuid::Uuid::from_slice(&binary.bytes).unwrap(),
        other => panic!("an event id is a binary UUID, not {other:?}"),
    }
}

async fn checkpoint_documents(app: &TestApp) -> Vec<Document> {
    app.mongo
        .database()
        .await
        .collection::<Document>("audit_checkpoints")
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Waits until a checkpoint covers the whole chain in both stores; returns its position.
async fn checkpointed(app: &TestApp) -> i64 {
    eventually(
        "a checkpoint at the head in both stores",
        Duration::from_secs(15),
        || async {
            let head = chained_documents(app).await.len() as i64;
            let stored = checkpoint_documents(app).await;
            let last = stored.last()?.get_i64("seq").ok()?;
            (last == head).then_some(last)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn checkpoints_keys_verification_and_proofs_through_the_api() {
    let app = app_with_history().await;
    let admin = app.new_admin().await;
    let head = checkpointed(&app).await;

    let keys = app
        .get_json("/api/v1/audit-trail/keys", &admin.access_token)
        .await;
    let (key_id, key) = public_key(&keys);

    let page = app
        .get_json(
            "/api/v1/audit-trail/checkpoints?limit=1",
            &admin.access_token,
        )
        .await;
    let newest = &page["items"][0];
    assert_eq!(newest["seq"], head);
    assert_eq!(newest["key_id"], key_id.as_str());
    assert_signed(newest, &key);
    let stored = checkpoint_documents(&app).await;
    let copy = stored.last().unwrap();
    assert_eq!(
        copy.get_str("hash").unwrap(),
        newest["hash"].as_str().unwrap()
    );
    assert_eq!(
        copy.get_str("signature").unwrap(),
        newest["signature"].as_str().unwrap()
    );
    let mut seen = vec![newest["seq"].as_i64().unwrap()];
    let mut cursor = page["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let page = app
            .get_json(
                &format!("/api/v1/audit-trail/checkpoints?limit=1&cursor={next}"),
                &admin.access_token,
            )
            .await;
        assert_signed(&page["items"][0], &key);
        seen.push(page["items"][0]["seq"].as_i64().unwrap());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), stored.len(), "every checkpoint once: {seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    let bad = app
        .get_as(
            "/api/v1/audit-trail/checkpoints?cursor=junk",
            &admin.access_token,
        )
        .await;
    assert_eq!(bad.status(), 422);

    let verification = eventually(
        "the background verifier reached the head",
        Duration::from_secs(15),
        || async {
            let body = app
                .get_json("/api/v1/audit-trail/verification", &admin.access_token)
                .await;
            (body["verified_through_seq"].as_i64()? >= head).then_some(body)
        },
    )
    .await;
    assert_eq!(verification["status"], "intact", "{verification}");
    let full = app
        .get_json(
            "/api/v1/audit-trail/verification?full=true",
            &admin.access_token,
        )
        .await;
    assert_eq!(full["status"], "intact", "{full}");
    let recorded = eventually(
        "audit.verified recorded",
        Duration::from_secs(10),
        || async {
            let page = app
                .get_json(
                    "/api/v1/audit-events?action=audit.verified",
                    &admin.access_token,
                )
                .await;
            page["items"]
                .as_array()
                .filter(|items| !items.is_empty())
                .map(|items| items[0].clone())
        },
    )
    .await;
    assert_eq!(recorded["metadata"]["status"], "intact");
    assert_eq!(recorded["target"]["type"], "audit_trail");

    // A proof, checked with nothing but its JSON and the public key.
    let first = &chained_documents(&app).await[0];
    let id = event_id(first);
    let proof = app
        .get_json(
            &format!("/api/v1/audit-events/{id}/proof"),
            &admin.access_token,
        )
        .await;
    let event = &proof["event"];
    assert_eq!(
        client_side_content_hash(event),
        event["content_hash"].as_str().unwrap()
    );
    let mut hash = Sha256::new()
        .chain_update(hex::decode(event["prev_hash"].as_str().unwrap()).unwrap())
        .chain_update(hex::decode(event["content_hash"].as_str().unwrap()).unwrap())
        .finalize()
        .to_vec();
    assert_eq!(hex::encode(&hash), event["hash"].as_str().unwrap());
    let mut seq = event["seq"].as_i64().unwrap();
    for link in proof["chain"].as_array().unwrap() {
        seq += 1;
        assert_eq!(link["seq"], seq, "consecutive");
        hash = Sha256::new()
            .chain_update(&hash)
            .chain_update(hex::decode(link["content_hash"].as_str().unwrap()).unwrap())
            .finalize()
            .to_vec();
        assert_eq!(hex::encode(&hash), link["hash"].as_str().unwrap());
    }
    let checkpoint = &proof["checkpoint"];
    assert_eq!(checkpoint["seq"], seq, "the chain ends at the checkpoint");
    assert_eq!(checkpoint["hash"], hex::encode(&hash).as_str());
    assert_signed(checkpoint, &key);

    let unknown = app
        .get_as(
            &format!("/api/v1/audit-events/{}/proof", uuid::Uuid::now_v7()),
            &admin.access_token,
        )
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proof_waits_for_its_checkpoint_and_only_auditors_read_the_integrity_endpoints() {
    let app = TestApp::spawn_with(TestOptions {
        checkpoint_every: 1_000_000,
        checkpoint_interval: Duration::from_secs(3_600),
        ..TestOptions::default()
    })
    .await;
    let admin = app.new_admin().await;
    // The first checkpoint comes at once; events after it wait an hour for the next.
    eventually("the first checkpoint", Duration::from_secs(15), || async {
        (!checkpoint_documents(&app).await.is_empty()).then_some(())
    })
    .await;
    app.create_category(
        &admin.access_token,
        &format!("Later {}", uuid::Uuid::new_v4()),
    )
    .await;
    let covered = checkpoint_documents(&app).await[0].get_i64("seq").unwrap();
    let later = eventually(
        "a later event delivered",
        Duration::from_secs(15),
        || async {
            let documents = chained_documents(&app).await;
            documents
                .into_iter()
                .find(|d| d.get_i64("seq").unwrap() > covered)
        },
    )
    .await;
    let id = event_id(&later);
    let waiting = app
        .get_as(
            &format!("/api/v1/audit-events/{id}/proof"),
            &admin.access_token,
        )
        .await;
    assert_eq!(waiting.status(), 409);
    assert_eq!(waiting.headers()["retry-after"], "3600");
    let problem: Value = waiting.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("checkpoint"),
        "{problem}"
    );

    let auditor = app.new_user_with_roles(&admin, &["auditor"]).await;
    for path in [
        "/api/v1/audit-trail/keys",
        "/api/v1/audit-trail/checkpoints",
        "/api/v1/audit-trail/verification",
        "/api/v1/audit-events?limit=1",
    ] {
        assert_eq!(
            app.get_as(path, &auditor.access_token).await.status(),
            200,
            "{path}"
        );
    }
    assert_eq!(
        app.get_as("/api/v1/users", &auditor.access_token)
            .await
            .status(),
        403,
        "auditor holds audit:read only"
    );
    let clerk = app.new_user().await;
    for path in [
        "/api/v1/audit-trail/keys",
        "/api/v1/audit-trail/checkpoints",
        "/api/v1/audit-trail/verification?full=true",
        &format!("/api/v1/audit-events/{id}/proof"),
    ] {
        assert_eq!(
            app.get_as(path, &clerk.access_token).await.status(),
            403,
            "{path}"
        );
    }
}

/// `stockroom audit verify` with extra environment: exit code and standard output.
async fn verify_with(app: &TestApp, env: &[(&str, &str)]) -> (i32, String) {
    let mut command = binary_command(&app.db.url, &mongo_url(), &app.mongo.name);
    command.args(["audit", "verify"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::process::Command::from(command)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout)
}

async fn assert_verify(app: &TestApp, env: &[(&str, &str)], expected: Result<(), (&str, i64)>) {
    let (code, stdout) = verify_with(app, env).await;
    match expected {
        Ok(()) => assert_eq!(code, 0, "intact expected: {stdout}"),
        Err((kind, seq)) => {
            assert_eq!(code, 1, "{stdout}");
            assert!(stdout.contains(&format!("broken at seq {seq}")), "{stdout}");
            assert!(stdout.contains(&format!(": {kind}: ")), "{stdout}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_names_tampered_checkpoints_unknown_keys_and_a_rolled_back_tail() {
    let app = app_with_history().await;
    let head = checkpointed(&app).await;
    let checkpoints = app
        .mongo
        .database()
        .await
        .collection::<Document>("audit_checkpoints");
    let original = checkpoint_documents(&app).await.last().unwrap().clone();
    assert_verify(&app, &[], Ok(())).await;

    // A checkpoint altered in MongoDB: its signature no longer holds.
    checkpoints
        .update_one(
            doc! { "_id": head },
            doc! { "$set": { "hash": "ab".repeat(32) } },
        )
        .await
        .unwrap();
    assert_verify(&app, &[], Err(("checkpoint_invalid", head))).await;
    checkpoints
        .replace_one(doc! { "_id": head }, original.clone())
        .await
        .unwrap();

    // A checkpoint forged without the key, at a position that has none.
    let signed: Vec<i64> = checkpoint_documents(&app)
        .await
        .iter()
        .map(|d| d.get_i64("_id").unwrap())
        .collect();
    let forged_at = (1..head).find(|seq| !signed.contains(seq)).unwrap();
    let documents = chained_documents(&app).await;
    let mut forged = original.clone();
    forged.insert("_id", forged_at);
    forged.insert("seq", forged_at);
    forged.insert(
        "hash",
        documents[forged_at as usize - 1].get_str("hash").unwrap(),
    );
    checkpoints.insert_one(forged).await.unwrap();
    assert_verify(&app, &[], Err(("checkpoint_invalid", forged_at))).await;
    checkpoints
        .delete_one(doc! { "_id": forged_at })
        .await
        .unwrap();

    // A verifier configured with another key trusts none of these checkpoints, unless the
    // key that signed them is configured as a previous one.
    let other_key = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    let (first_checkpoint, _) = {
        let stored = checkpoint_documents(&app).await;
        (stored[0].get_i64("seq").unwrap(), stored.len())
    };
    assert_verify(
        &app,
        &[("AUDIT_SIGNING_KEY", other_key)],
        Err(("checkpoint_invalid", first_checkpoint)),
    )
    .await;
    let keys = app
        .get_json(
            "/api/v1/audit-trail/keys",
            &app.new_admin().await.access_token,
        )
        .await;
    let signer = keys["keys"][0]["public_key"].as_str().unwrap().to_owned();
    assert_verify(
        &app,
        &[
            ("AUDIT_SIGNING_KEY", other_key),
            ("AUDIT_PREVIOUS_PUBLIC_KEYS", &signer),
        ],
        Ok(()),
    )
    .await;

    // The newest events deleted, and PostgreSQL's head and outbox rolled back to match (a
    // database administrator without the key): only the signed checkpoint still knows.
    let head = checkpointed(&app).await;
    let audit = app
        .mongo
        .database()
        .await
        .collection::<Document>("audit_events");
    let documents = chained_documents(&app).await;
    let keep = head - 2;
    audit
        .delete_many(doc! { "seq": { "$gt": keep } })
        .await
        .unwrap();
    let kept_hash = documents[keep as usize - 1]
        .get_str("hash")
        .unwrap()
        .to_owned();
    let mut conn = app.handles.pool.get().await.unwrap();
    diesel::sql_query(format!(
        "UPDATE audit_chain_head SET seq = {keep}, hash = decode('{kept_hash}', 'hex')"
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    diesel::sql_query(format!("DELETE FROM outbox WHERE chain_seq > {keep}"))
        .execute(&mut *conn)
        .await
        .unwrap();
    assert_verify(&app, &[], Err(("truncated", keep + 1))).await;
}
