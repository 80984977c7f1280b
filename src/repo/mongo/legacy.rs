//! Documents stored before `schema_version` 1 (binary actor ids, `null` for what had no
//! value, no version): rewritten once into version 1 by the same code that writes new
//! events, in the background after start-up. Readers take both forms meanwhile, so nothing
//! reads differently while it runs; it is idempotent (a rewritten document carries its
//! version and is not found again) and safe with several instances (each rewrite is the
//! same whole document). Once both collections are done, a marker in `event_store_meta`
//! (`{_id: "legacy_upgrade", schema_version: 1}`) spares later starts the scan.

use bson::{Document, doc};
use futures::TryStreamExt;
use mongodb::Collection;
use mongodb::error::Error as MongoError;

use super::documents::{
    SCHEMA_VERSION, activity_to_document, audit_to_document, document_to_activity,
    document_to_audit,
};
use super::events::{ACTIVITY_COLLECTION, AUDIT_COLLECTION, EventStore};

/// Documents read per batch while upgrading.
const BATCH: u32 = 500;
/// Where the service notes what it has done to the event collections.
pub const META_COLLECTION: &str = "event_store_meta";
const MARKER_ID: &str = "legacy_upgrade";

/// What an upgrade did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Upgraded {
    pub rewritten: u64,
    /// Documents that are not events of ours: left as they are.
    pub unreadable: u64,
}

/// Rewrites every document without a `schema_version` in both event collections.
pub async fn upgrade(store: &EventStore) -> Result<Upgraded, MongoError> {
    let db = store.database();
    let meta = db.collection::<Document>(META_COLLECTION);
    let marker = doc! { "_id": MARKER_ID, "schema_version": SCHEMA_VERSION };
    if meta.find_one(marker.clone()).await?.is_some() {
        return Ok(Upgraded::default());
    }
    let audit = rewrite(&db.collection(AUDIT_COLLECTION), |document| {
        document_to_audit(document).map(|event| audit_to_document(&event))
    })
    .await?;
    let activity = rewrite(&db.collection(ACTIVITY_COLLECTION), |document| {
        document_to_activity(document).map(|event| activity_to_document(&event))
    })
    .await?;
    meta.replace_one(doc! { "_id": MARKER_ID }, marker)
        .upsert(true)
        .await?;
    Ok(Upgraded {
        rewritten: audit.rewritten + activity.rewritten,
        unreadable: audit.unreadable + activity.unreadable,
    })
}

async fn rewrite(
    collection: &Collection<Document>,
    upgraded: impl Fn(&Document) -> Option<Document>,
) -> Result<Upgraded, MongoError> {
    let mut done = Upgraded::default();
    let mut legacy = collection
        .find(doc! { "schema_version": { "$exists": false } })
        .batch_size(BATCH)
        .await?;
    while let Some(document) = legacy.try_next().await? {
        let (Some(id), Some(current)) = (document.get("_id"), upgraded(&document)) else {
            done.unreadable += 1;
            continue;
        };
        collection
            .replace_one(doc! { "_id": id.clone() }, current)
            .await?;
        done.rewritten += 1;
    }
    if done.unreadable > 0 {
        tracing::warn!(
            collection = collection.name(),
            count = done.unreadable,
            "documents that are not Stockroom events were left as they are"
        );
    }
    Ok(done)
}
