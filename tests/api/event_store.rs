//! The event collections as an interface for direct readers: each carries a strict
//! `$jsonSchema` validator from start-up, so a document of another shape is refused by the
//! store itself (121), whoever writes it, while the service's own documents pass (every
//! other test writes through them).

use bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use uuid::Uuid;

use std::time::Duration;

use crate::helpers::{TestApp, eventually};

const DOCUMENT_VALIDATION_FAILURE: i32 = 121;

/// A field (`a` or `a.b`) set to a value that breaks the schema, or removed (`None`).
type Break = (&'static str, Option<Bson>);

fn write_error_code(err: &mongodb::error::Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Write(mongodb::error::WriteFailure::WriteError(e)) => Some(e.code),
        ErrorKind::InsertMany(failure) => failure.write_errors.as_ref()?.first().map(|e| e.code),
        _ => None,
    }
}

fn audit_document() -> Document {
    doc! {
        "_id": bson::Uuid::from(Uuid::now_v7()),
        "schema_version": 1,
        "occurred_at": bson::DateTime::now(),
        "action": "product.updated",
        "outcome": "success",
        "actor": { "user_id": Uuid::now_v7().to_string(), "email": "a@example.com" },
        "target": { "type": "product", "id": Uuid::now_v7().to_string() },
        "changes": { "price": { "from": "1.00", "to": "2.00" } },
        "metadata": {},
    }
}

fn activity_document() -> Document {
    doc! {
        "_id": bson::Uuid::from(Uuid::now_v7()),
        "schema_version": 1,
        "occurred_at": bson::DateTime::now(),
        "event_type": "product.viewed",
        "actor_id": Uuid::now_v7().to_string(),
        "subject": { "type": "product", "id": "p-1" },
        "metadata": { "q": "drill" },
    }
}

fn rollup_document() -> Document {
    doc! {
        "_id": "event_counts|hour|2026-03-01T10:00:00Z|product.viewed",
        "schema_version": 1,
        "kind": "event_counts",
        "unit": "hour",
        "start": bson::DateTime::now(),
        "computed_at": bson::DateTime::now(),
        "event_type": "product.viewed",
        "count": 3_i64,
    }
}

/// `document` with `path` (`a` or `a.b`) set to `value`, or removed when it is `None`.
fn with(mut document: Document, path: &str, value: Option<Bson>) -> Document {
    let (parent, key) = match path.split_once('.') {
        Some((parent, key)) => (Some(parent), key),
        None => (None, path),
    };
    let target = match parent {
        Some(parent) => document.get_document_mut(parent).unwrap(),
        None => &mut document,
    };
    match value {
        Some(value) => target.insert(key, value),
        None => target.remove(key),
    };
    document
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_writes_that_break_the_schema_are_refused_with_121() {
    let app = TestApp::spawn().await;
    let database = app.mongo.database().await;
    let binary_id = Bson::Binary(bson::Uuid::from(Uuid::now_v7()).into());
    let cases: [(&str, Document, Vec<Break>); 3] = [
        (
            "audit_events",
            audit_document(),
            vec![
                ("schema_version", None),
                ("schema_version", Some(Bson::Int32(2))),
                (
                    "occurred_at",
                    Some(Bson::String("2026-01-01T00:00:00Z".into())),
                ),
                ("outcome", Some(Bson::String("maybe".into()))),
                ("actor.user_id", Some(binary_id.clone())),
                ("actor.email", Some(Bson::Null)),
                ("target.type", None),
                (
                    "changes",
                    Some(Bson::Document(doc! { "price": { "to": 1 } })),
                ),
                ("unexpected", Some(Bson::Int32(1))),
                ("metadata", None),
            ],
        ),
        (
            "activity_events",
            activity_document(),
            vec![
                ("schema_version", None),
                ("event_type", Some(Bson::String("Product Viewed".into()))),
                ("actor_id", Some(binary_id.clone())),
                ("subject.id", Some(Bson::Null)),
                ("metadata.category_id", Some(Bson::Null)),
                ("unexpected", Some(Bson::Int32(1))),
            ],
        ),
        (
            "activity_rollups",
            rollup_document(),
            vec![
                ("schema_version", Some(Bson::Int32(2))),
                ("kind", Some(Bson::String("frob".into()))),
                ("unit", Some(Bson::String("day".into()))),
                ("count", Some(Bson::Int64(0))),
                ("count", None),
                ("views", Some(Bson::Int64(1))),
                ("start", Some(Bson::String("2026-03-01T10:00:00Z".into()))),
            ],
        ),
    ];
    for (collection, valid, breaks) in cases {
        let collection = database.collection::<Document>(collection);
        collection
            .insert_one(valid.clone())
            .await
            .expect("a document of the documented shape is stored");
        for (path, value) in breaks {
            let mut broken = with(valid.clone(), path, value.clone());
            match broken.get("_id") {
                Some(Bson::String(_)) => broken.insert("_id", Uuid::now_v7().to_string()),
                _ => broken.insert("_id", bson::Uuid::from(Uuid::now_v7())),
            };
            let err = collection
                .insert_one(broken)
                .await
                .expect_err(&format!("{path} = {value:?} must be refused"));
            assert_eq!(
                write_error_code(&err),
                Some(DOCUMENT_VALIDATION_FAILURE),
                "{path} = {value:?}: {err}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_event_collection_has_its_strict_validator_from_start_up() {
    let app = TestApp::spawn().await;
    let database = app.mongo.database().await;
    for name in ["audit_events", "activity_events", "activity_rollups"] {
        let options = database
            .run_command(doc! { "listCollections": 1, "filter": { "name": name } })
            .await
            .unwrap();
        let first = options
            .get_document("cursor")
            .and_then(|c| c.get_array("firstBatch"))
            .unwrap()
            .first()
            .unwrap_or_else(|| panic!("{name} is listed"))
            .as_document()
            .unwrap()
            .get_document("options")
            .unwrap()
            .clone();
        assert_eq!(first.get_str("validationLevel"), Ok("strict"), "{name}");
        assert_eq!(first.get_str("validationAction"), Ok("error"), "{name}");
        let schema = first
            .get_document("validator")
            .and_then(|v| v.get_document("$jsonSchema"))
            .unwrap();
        assert!(
            schema
                .get_array("required")
                .unwrap()
                .contains(&Bson::from("schema_version")),
            "{name}: {schema}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_stored_before_schema_version_1_are_rewritten_once_and_read_the_same() {
    use stockroom::repo::mongo::{EventStore, legacy};

    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let database = app.mongo.database().await;
    // The start-up upgrade (of nothing, in this new database) is over once it notes so.
    let meta = database.collection::<Document>(legacy::META_COLLECTION);
    eventually("the start-up upgrade", Duration::from_secs(10), || {
        let meta = meta.clone();
        async move { meta.find_one(doc! {}).await.ok().flatten() }
    })
    .await;
    let user = Uuid::now_v7();
    let audit_id = Uuid::now_v7();
    let legacy_audit = doc! {
        "_id": bson::Uuid::from(audit_id),
        "occurred_at": bson::DateTime::now(),
        "action": "product.updated",
        "outcome": "success",
        "actor": { "user_id": bson::Uuid::from(user), "email": "old@example.com", "ip": Bson::Null, "user_agent": Bson::Null },
        "target": { "type": "product", "id": "p-9" },
        "request_id": Bson::Null,
        "metadata": {},
    };
    let legacy_activity = doc! {
        "_id": bson::Uuid::from(Uuid::now_v7()),
        "occurred_at": bson::DateTime::now(),
        "event_type": "product.searched",
        "actor_id": bson::Uuid::from(user),
        "subject": { "type": "product", "id": Bson::Null },
        "metadata": { "q": "drill", "category_id": Bson::Null },
    };
    let audit = database.collection::<Document>("audit_events");
    let activity = database.collection::<Document>("activity_events");
    audit
        .insert_one(legacy_audit)
        .bypass_document_validation(true)
        .await
        .unwrap();
    activity
        .insert_one(legacy_activity)
        .bypass_document_validation(true)
        .await
        .unwrap();
    // This start found nothing to upgrade and noted it; forget that, as a database carried
    // over from an earlier version would not have the note.
    meta.delete_many(doc! {}).await.unwrap();

    let store = EventStore::new(database.clone());
    let done = legacy::upgrade(&store).await.unwrap();
    assert_eq!((done.rewritten, done.unreadable), (2, 0));
    let rewritten = audit
        .find_one(doc! { "_id": bson::Uuid::from(audit_id) })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rewritten.get_i32("schema_version"), Ok(1));
    let actor = rewritten.get_document("actor").unwrap();
    assert_eq!(actor.get_str("user_id"), Ok(user.to_string().as_str()));
    assert!(
        !actor.contains_key("ip") && !rewritten.contains_key("request_id"),
        "{rewritten}"
    );
    let searched = activity
        .find_one(doc! { "actor_id": user.to_string() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        searched.get_document("metadata").unwrap(),
        &doc! { "q": "drill" }
    );
    assert!(!searched.get_document("subject").unwrap().contains_key("id"));

    let shown = app
        .get_json(
            &format!("/api/v1/audit-events/{audit_id}"),
            &admin.access_token,
        )
        .await;
    assert_eq!(shown["actor"]["user_id"], user.to_string());
    let by_actor = app
        .get_json(
            &format!("/api/v1/audit-events?actor_id={user}"),
            &admin.access_token,
        )
        .await;
    assert_eq!(
        by_actor["items"].as_array().map(Vec::len),
        Some(1),
        "{by_actor}"
    );
    assert_eq!(
        legacy::upgrade(&store).await.unwrap(),
        legacy::Upgraded::default()
    );
}
