//! Checkpoints tampered with through the MongoDB wire protocol, a verifier holding another
//! key, and a tail truncated with PostgreSQL's head rolled back, each named by
//! `stockroom audit verify`.

use bson::{Document, doc};
use diesel_async::RunQueryDsl;

use super::{checkpoint_documents, checkpointed};
use crate::audit_chain::{app_with_history, chained_documents};
use crate::helpers::{TestApp, binary_command, mongo_url};

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
