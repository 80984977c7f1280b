//! The audit pipeline: an event exists in MongoDB if and only if its transaction committed,
//! stored exactly once however often it is delivered.

use std::time::Duration;

use bson::doc;
use diesel_async::{AsyncConnection, RunQueryDsl};
use stockroom::config::OutboxConfig;
use stockroom::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target};
use stockroom::domain::audit_chain::Digest32;
use stockroom::domain::audit_checkpoint::{AuditKeys, CheckpointPolicy};
use stockroom::repo::mongo::{AuditCheckpointStore, EventStore};
use stockroom::repo::pg::{self, DbError, PgOutbox, PgPool, PoolSettings, UnitOfWork};
use stockroom::worker::checkpoints::Checkpointer;
use stockroom::worker::relay::{MAX_DELIVERY_ATTEMPTS, OutboxRelay};
use uuid::Uuid;

use crate::helpers::{
    TEST_SIGNING_SEED, TestApp, TestDatabase, TestMongo, TestOptions, eventually, mongo_url,
};

fn event(n: usize) -> AuditEvent {
    let mut event = AuditEvent::new(
        AuditAction::UserUpdated,
        Outcome::Success,
        Actor {
            user_id: Some(Uuid::new_v4()),
            email: Some(format!("user{n}@example.com")),
            ..Actor::default()
        },
        Target {
            target_type: "test".into(),
            id: Some(n.to_string()),
        },
    )
    .with_change("n", serde_json::Value::Null, serde_json::json!(n));
    // A name of the test's own: no service records it.
    event.action = "test.recorded".to_owned();
    event
}

/// Stores without a running server, so the test alone drives the relay.
struct Stores {
    _db: TestDatabase,
    mongo: TestMongo,
    pool: PgPool,
    events: EventStore,
}

impl Stores {
    async fn new() -> Self {
        let db = TestDatabase::create().await;
        let mongo = TestMongo::create();
        let settings = PoolSettings {
            max_size: 8,
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        };
        let pool = pg::build_pool(&db.url, &settings).unwrap();
        let database = stockroom::repo::mongo::connect(&mongo_url(), Duration::from_secs(2))
            .await
            .unwrap()
            .database(&mongo.name);
        Self {
            _db: db,
            mongo,
            pool,
            events: EventStore::new(database),
        }
    }

    fn relay(&self, batch_size: usize) -> OutboxRelay {
        let config = OutboxConfig {
            batch_size,
            poll_interval: Duration::from_millis(20),
            retention: Duration::from_secs(3_600),
        };
        let checkpointer = Checkpointer::new(
            self.pool.clone(),
            AuditCheckpointStore::new(&self.events),
            AuditKeys::new(TEST_SIGNING_SEED, Vec::new()),
            CheckpointPolicy {
                every: 1_000,
                interval: Duration::from_secs(1),
            },
        );
        OutboxRelay::new(self.pool.clone(), self.events.clone(), config, checkpointer)
    }

    async fn commit(&self, events: &[AuditEvent]) {
        let mut work = UnitOfWork::begin(&self.pool).await.unwrap();
        work.record(events).await.unwrap();
        work.commit().await.unwrap();
    }

    async fn stored_count(&self, ids: &[Uuid]) -> u64 {
        let ids: Vec<bson::Uuid> = ids.iter().copied().map(bson::Uuid::from).collect();
        self.mongo
            .database()
            .await
            .collection::<bson::Document>("audit_events")
            .count_documents(doc! { "_id": { "$in": ids } })
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_committed_event_is_stored_once_even_when_delivered_twice() {
    let stores = Stores::new().await;
    let committed = event(1);
    stores.commit(std::slice::from_ref(&committed)).await;
    let relay = stores.relay(10);

    let first = relay.run_once().await.unwrap();
    assert_eq!((first.claimed, first.delivered, first.failed), (1, 1, 0));
    // The relay dies after MongoDB stored the batch but before PostgreSQL marked it.
    let mut conn = stores.pool.get().await.unwrap();
    diesel::sql_query("UPDATE outbox SET delivered_at = NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    let second = relay.run_once().await.unwrap();
    assert_eq!(
        (second.claimed, second.delivered, second.failed),
        (1, 1, 0),
        "a replay counts as delivered"
    );

    assert_eq!(stores.stored_count(&[committed.id]).await, 1);
    assert_eq!(PgOutbox.backlog(&stores.pool).await.unwrap(), 0);
    let stored = stores
        .events
        .get_audit_event(committed.id)
        .await
        .unwrap()
        .expect("stored");
    let link = stored.chain.expect("delivered chained");
    assert_eq!((link.seq, link.prev_hash), (1, Digest32::GENESIS));
    assert_eq!(
        AuditEvent {
            chain: None,
            ..stored
        },
        committed,
        "the stored event is the committed one, field for field"
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_in_a_unit_of_work_dropped_uncommitted_never_appears() {
    let stores = Stores::new().await;
    let rolled_back = event(2);
    let mut work = UnitOfWork::begin(&stores.pool).await.unwrap();
    work.record(std::slice::from_ref(&rolled_back))
        .await
        .unwrap();
    drop(work);
    // Its connection goes back to the pool rolled back (or is discarded), never with the
    // transaction open: every connection of the pool opens a clean unit of work.
    let mut open = Vec::new();
    for _ in 0..8 {
        let mut work = UnitOfWork::begin(&stores.pool).await.unwrap();
        let pending: i64 = diesel::sql_query("SELECT count(*)::bigint AS n FROM outbox")
            .get_result::<Count>(work.conn())
            .await
            .unwrap()
            .n;
        assert_eq!(pending, 0, "nothing of the dropped unit of work is visible");
        open.push(work);
    }
    drop(open);
    let committed = event(3);
    stores.commit(std::slice::from_ref(&committed)).await;

    stores.relay(10).drain().await.unwrap();
    assert_eq!(stores.stored_count(&[committed.id]).await, 1);
    assert_eq!(stores.stored_count(&[rolled_back.id]).await, 0);
    assert!(
        stores
            .events
            .get_audit_event(rolled_back.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_event_is_parked_without_holding_up_the_others() {
    let stores = Stores::new().await;
    let mut conn = stores.pool.get().await.unwrap();
    diesel::sql_query(
        "INSERT INTO outbox (event_id, occurred_at, payload) \
         VALUES (gen_random_uuid(), now(), '{\"not\": \"an event\"}')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let relay = stores.relay(10);
    let mut delivered = Vec::new();
    for round in 0..MAX_DELIVERY_ATTEMPTS as usize + 2 {
        let events: Vec<AuditEvent> = (0..5).map(|n| event(100 * round + n)).collect();
        stores.commit(&events).await;
        relay
            .drain()
            .await
            .expect("a refused event is no reason to back off");
        delivered.extend(events.iter().map(|e| e.id));
        assert_eq!(
            stores.stored_count(&delivered).await,
            delivered.len() as u64,
            "round {round}: every good event behind the bad one is delivered"
        );
    }
    assert_eq!(
        PgOutbox
            .parked(&stores.pool, MAX_DELIVERY_ATTEMPTS)
            .await
            .unwrap(),
        1
    );
    assert_eq!(PgOutbox.backlog(&stores.pool).await.unwrap(), 1);
    assert_eq!(
        relay.run_once().await.unwrap().claimed,
        0,
        "a parked event is no longer claimed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pruning_goes_on_past_one_batch_and_keeps_what_is_recent_or_pending() {
    let stores = Stores::new().await;
    let mut conn = stores.pool.get().await.unwrap();
    diesel::sql_query(
        "INSERT INTO outbox (event_id, occurred_at, payload, delivered_at) \
         SELECT gen_random_uuid(), now(), '{}', now() - interval '2 hours' \
         FROM generate_series(1, 25000)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let recent: Vec<AuditEvent> = (0..3).map(event).collect();
    stores.commit(&recent).await;
    stores.relay(10).drain().await.unwrap();
    let pending: Vec<AuditEvent> = (3..5).map(event).collect();
    stores.commit(&pending).await;

    assert_eq!(stores.relay(10).prune().await, 25_000);
    #[derive(diesel::QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    let left: Left = diesel::sql_query("SELECT count(*) AS rows FROM outbox")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(left.rows, 5, "recently delivered and pending rows stay");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_relays_at_once_deliver_each_event_once() {
    let stores = Stores::new().await;
    let events: Vec<AuditEvent> = (0..600).map(event).collect();
    stores.commit(&events).await;
    let (a, b) = (stores.relay(20), stores.relay(20));

    let (from_a, from_b) = tokio::join!(a.drain(), b.drain());
    let (from_a, from_b) = (from_a.unwrap(), from_b.unwrap());
    assert_eq!(
        from_a + from_b,
        600,
        "no event delivered by both relays (a={from_a}, b={from_b})"
    );
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(stores.stored_count(&ids).await, 600);
    assert_eq!(PgOutbox.backlog(&stores.pool).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_mongodb_unreachable_changes_commit_the_backlog_grows_and_then_drains() {
    let app = TestApp::spawn_with(TestOptions {
        mongo_proxy: true,
        ..TestOptions::default()
    })
    .await;
    let proxy = app.mongo_proxy.as_ref().unwrap();
    proxy.cut();

    let events: Vec<AuditEvent> = (0..50).map(event).collect();
    let mut conn = app.handles.pool.get().await.unwrap();
    for chunk in events.chunks(10) {
        conn.transaction::<_, DbError, _>(async |conn| PgOutbox.append_all(conn, chunk).await)
            .await
            .expect("commits with MongoDB down");
    }
    drop(conn);
    let ready: serde_json::Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(ready["mongodb"], "down");
    assert_eq!(
        ready["outbox_backlog"], 50,
        "the backlog is visible in readiness"
    );

    proxy.restore();
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let collection = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("audit_events");
    let bson_ids: Vec<bson::Uuid> = ids.iter().copied().map(bson::Uuid::from).collect();
    eventually(
        "every event delivered after MongoDB returns",
        Duration::from_secs(30),
        || {
            let collection = collection.clone();
            let filter = doc! { "_id": { "$in": bson_ids.clone() } };
            async move { (collection.count_documents(filter).await.ok()? == 50).then_some(()) }
        },
    )
    .await;
    let pool = app.handles.pool.clone();
    eventually(
        "the backlog drains to zero",
        Duration::from_secs(10),
        || {
            let pool = pool.clone();
            async move { (PgOutbox.backlog(&pool).await.ok()? == 0).then_some(()) }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn index_specs_are_applied_idempotently() {
    let app = TestApp::spawn().await;
    let database = app.mongo.database().await;
    let names = database
        .collection::<bson::Document>("audit_events")
        .list_index_names()
        .await
        .unwrap();
    for expected in [
        "occurred_at_id",
        "actor_occurred_at",
        "target_occurred_at",
        "action_occurred_at",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    // A second start over the same database applies the same indexes again without error,
    // and finds the validators in place (none changed: 11 is the indexes alone).
    let specs = stockroom::repo::mongo::indexes::StoreSpecs::load(
        &stockroom::repo::mongo::spec_files::SpecSource::BuiltIn,
        stockroom::repo::mongo::indexes::TtlSettings {
            activity_retention: Duration::from_secs(86_400),
            rollup_retention: Duration::from_secs(86_400),
        },
    )
    .unwrap();
    let applied = specs.apply(&database).await.unwrap();
    assert_eq!(applied, 11);
    let activity = database
        .collection::<bson::Document>("activity_events")
        .list_index_names()
        .await
        .unwrap();
    for expected in [
        "occurred_at_ttl",
        "event_type_occurred_at",
        "occurred_at_event_type_actor",
    ] {
        assert!(activity.iter().any(|n| n == expected), "{activity:?}");
    }
}
