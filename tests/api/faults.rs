//! Fault injection (issue 5): MongoDB stopped under a write load, the service killed with a
//! relay batch in flight, PostgreSQL backends terminated, three instances on the same stores.
//! Each scenario checks the audit trail against what the service acknowledged.

mod instances;
mod kill;
mod mongo_stop;
mod pg_terminate;
mod restarts;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use stockroom::service::audit_integrity::WalkStart;

use bson::doc;
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures::TryStreamExt;
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::eventually;

/// Actions the fault loads cause; the audit checks compare these.
pub const LOAD_ACTIONS: &[&str] = &[
    "category.created",
    "product.created",
    "product.updated",
    "product.stock_adjusted",
];

/// A mutating request and what the service answered.
pub struct Answer {
    pub status: u16,
    pub request_id: String,
    pub body: Value,
}

/// Sends a mutating request; the request id comes back in `x-request-id`.
pub async fn mutate(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: &str,
    body: &Value,
) -> Answer {
    let response = client
        .request(method, url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let request_id = response
        .headers()
        .get("x-request-id")
        .expect("every response names its request")
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        request_id,
        body,
    }
}

/// What the service acknowledged (2xx) and refused (4xx), by request id.
#[derive(Default)]
pub struct Ledger {
    inner: Mutex<LedgerEntries>,
}

#[derive(Default)]
struct LedgerEntries {
    /// request id -> (action, target id)
    acknowledged: HashMap<String, (&'static str, String)>,
    refused: Vec<String>,
}

impl Ledger {
    pub fn acknowledged(&self, answer: &Answer, action: &'static str, target_id: &str) {
        let previous = self
            .inner
            .lock()
            .unwrap()
            .acknowledged
            .insert(answer.request_id.clone(), (action, target_id.to_owned()));
        assert!(previous.is_none(), "request ids are unique");
    }

    pub fn refused(&self, answer: &Answer) {
        self.inner
            .lock()
            .unwrap()
            .refused
            .push(answer.request_id.clone());
    }

    pub fn counts(&self) -> (usize, usize) {
        let entries = self.inner.lock().unwrap();
        (entries.acknowledged.len(), entries.refused.len())
    }

    /// Every acknowledged change has exactly one success event with its request id, action
    /// and target id; no refused request has any event; no load event is unaccounted for.
    pub fn assert_matches(&self, events: &[StoredEvent]) {
        let entries = self.inner.lock().unwrap();
        let load_events: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| LOAD_ACTIONS.contains(&e.action.as_str()))
            .collect();
        let mut by_request: HashMap<&str, Vec<&StoredEvent>> = HashMap::new();
        for event in &load_events {
            by_request
                .entry(event.request_id.as_str())
                .or_default()
                .push(event);
        }
        for (request_id, (action, target_id)) in &entries.acknowledged {
            let found = by_request.get(request_id.as_str()).map_or(&[][..], |v| v);
            assert_eq!(
                found.len(),
                1,
                "acknowledged {action} on {target_id} (request {request_id}): {} events",
                found.len()
            );
            let event = found[0];
            assert_eq!(
                (event.action.as_str(), event.target_id.as_str()),
                (*action, target_id.as_str()),
                "request {request_id}"
            );
            assert_eq!(event.outcome, "success", "request {request_id}");
        }
        for request_id in &entries.refused {
            assert!(
                !by_request.contains_key(request_id.as_str()),
                "the refused request {request_id} has an audit event"
            );
        }
        assert_eq!(
            load_events.len(),
            entries.acknowledged.len(),
            "as many load events as acknowledged changes"
        );
    }
}

/// An audit event as stored in MongoDB, reduced to what the checks compare.
pub struct StoredEvent {
    pub id: Uuid,
    pub action: String,
    pub outcome: String,
    pub target_id: String,
    pub request_id: String,
}

pub async fn stored_events(database: &mongodb::Database) -> Vec<StoredEvent> {
    let documents: Vec<bson::Document> = database
        .collection::<bson::Document>("audit_events")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    documents
        .iter()
        .map(|d| StoredEvent {
            id: match d.get("_id") {
                Some(bson::Bson::Binary(binary)) => Uuid::from_slice(&binary.bytes).unwrap(),
                other => panic!("an audit _id is a UUID, got {other:?}"),
            },
            action: d.get_str("action").unwrap().to_owned(),
            outcome: d.get_str("outcome").unwrap().to_owned(),
            target_id: d
                .get_document("target")
                .ok()
                .and_then(|t| t.get_str("id").ok())
                .unwrap_or_default()
                .to_owned(),
            request_id: d.get_str("request_id").unwrap_or_default().to_owned(),
        })
        .collect()
}

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Bool)]
    delivered: bool,
}

/// The outbox as the relay left it: (event id, delivered?).
pub async fn outbox_rows(database_url: &str) -> Vec<(Uuid, bool)> {
    let mut conn = AsyncPgConnection::establish(database_url).await.unwrap();
    let rows: Vec<OutboxRow> = diesel::sql_query(
        "SELECT event_id, delivered_at IS NOT NULL AS delivered FROM outbox ORDER BY seq",
    )
    .load(&mut conn)
    .await
    .unwrap();
    rows.into_iter()
        .map(|r| (r.event_id, r.delivered))
        .collect()
}

/// Waits until every outbox row is delivered, then checks that each is stored exactly once
/// and nothing else is: the audit collection holds exactly the outbox's event ids, and they
/// form one intact chain, positions 1 to n (the verifier of `stockroom audit verify`).
pub async fn assert_outbox_stored_once(
    database_url: &str,
    mongo: &mongodb::Database,
) -> Vec<StoredEvent> {
    let rows = eventually(
        "every outbox row delivered",
        Duration::from_secs(30),
        || async {
            let rows = outbox_rows(database_url).await;
            rows.iter().all(|(_, delivered)| *delivered).then_some(rows)
        },
    )
    .await;
    let events = stored_events(mongo).await;
    let stored: HashSet<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(stored.len(), events.len(), "no event id stored twice");
    let outbox: HashSet<Uuid> = rows.iter().map(|(id, _)| *id).collect();
    assert_eq!(outbox.len(), rows.len(), "outbox event ids are unique");
    let missing = outbox.difference(&stored).count();
    let extra = stored.difference(&outbox).count();
    assert_eq!(
        (missing, extra),
        (0, 0),
        "outbox rows not stored / stored events with no outbox row"
    );
    assert_eq!(events.len(), rows.len());
    assert_chain_intact(database_url, mongo, rows.len()).await;
    events
}

async fn assert_chain_intact(database_url: &str, mongo: &mongodb::Database, events: usize) {
    let pool = stockroom::repo::pg::build_pool(
        database_url,
        &stockroom::repo::pg::PoolSettings {
            max_size: 2,
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        },
    )
    .unwrap();
    let store = stockroom::repo::mongo::EventStore::new(mongo.clone());
    let verifier = stockroom::service::audit_integrity::AuditIntegrityService::new(
        pool,
        stockroom::repo::mongo::AuditChainRepo::new(&store),
        stockroom::repo::mongo::AuditCheckpointStore::new(&store),
        crate::helpers::binary_signing_keys(),
    );
    let verification = verifier.verify(WalkStart::At(1), |_, _| {}).await.unwrap();
    assert_eq!(verification.first_break, None, "the audit chain is intact");
    assert_eq!(
        (
            verification.verified_through_seq,
            verification.head_seq,
            verification.pending
        ),
        (events as i64, events as i64, 0),
        "every event chained once, at consecutive positions"
    );
}

/// Product creations by target id: each acknowledged one has exactly one event.
pub fn assert_one_event_per_target(events: &[StoredEvent], action: &str, targets: &[String]) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for event in events.iter().filter(|e| e.action == action) {
        *counts.entry(event.target_id.as_str()).or_default() += 1;
    }
    for target in targets {
        assert_eq!(
            counts.get(target.as_str()).copied().unwrap_or(0),
            1,
            "{action} events for {target}"
        );
    }
    assert_eq!(
        counts.len(),
        targets.len(),
        "no {action} for an unknown target"
    );
}
