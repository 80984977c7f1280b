//! The audit trail's integrity through the API: signed checkpoints in both stores, the
//! trusted keys, the verification, and proofs a client checks offline with nothing but the
//! answer and the public key (tampering: `tampering.rs`).

mod tampering;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bson::{Document, doc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use futures::TryStreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit_chain::{app_with_history, chained_documents, client_side_content_hash};
use crate::helpers::{TestApp, TestOptions, eventually};

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

pub(crate) async fn checkpoint_documents(app: &TestApp) -> Vec<Document> {
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
pub(crate) async fn checkpointed(app: &TestApp) -> i64 {
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
