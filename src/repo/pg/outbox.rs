//! The transactional outbox: audit events are appended inside the caller's transaction and
//! later claimed, delivered and marked by the relay.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{self, Array};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::reused::Reused;
use super::schema::outbox;
use super::{DbError, PgPool};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_chain::{ChainLink, Digest32};

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct ClaimedRow {
    seq: i64,
    event_id: Uuid,
    payload: serde_json::Value,
    chain_seq: Option<i64>,
    prev_hash: Option<Vec<u8>>,
    content_hash: Option<Vec<u8>>,
    hash: Option<Vec<u8>>,
}

impl ClaimedRow {
    /// The row's place in the chain, which the claim only takes rows with.
    fn link(&self) -> Option<ChainLink> {
        let digest = |bytes: &Option<Vec<u8>>| Digest32::from_slice(bytes.as_deref()?);
        Some(ChainLink {
            seq: self.chain_seq?,
            prev_hash: digest(&self.prev_hash)?,
            content_hash: digest(&self.content_hash)?,
            hash: digest(&self.hash)?,
        })
    }
}

/// What the delivery callback reports, by event id.
#[derive(Debug, Default)]
pub struct DeliveryOutcome {
    /// Stored in the event store now or before (a duplicate key counts as delivered).
    pub delivered: Vec<Uuid>,
    /// Refused one by one, with the reason: each counts an attempt against its row.
    pub failed: Vec<(Uuid, String)>,
    /// The event store could not be reached at all: no row is marked and none counts an
    /// attempt (an outage is not the events' fault).
    pub unavailable: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchResult {
    pub claimed: usize,
    pub delivered: usize,
    pub failed: usize,
    /// The store was unreachable; everything claimed stays pending as it was.
    pub unavailable: bool,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgOutbox;

impl PgOutbox {
    /// Appends the events in the caller's transaction: they are relayed if and only if
    /// that transaction commits.
    pub async fn append_all(
        &self,
        conn: &mut AsyncPgConnection,
        events: &[AuditEvent],
    ) -> Result<(), DbError> {
        let payloads = events
            .iter()
            .map(|event| {
                serde_json::to_value(event)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Columns as arrays: one statement text for any number of events, prepared once
        // per connection; rows take their `seq` in the order given.
        Reused(
            diesel::sql_query(
                "INSERT INTO outbox (event_id, occurred_at, payload) \
                 SELECT event_id, occurred_at, payload \
                 FROM unnest($1::uuid[], $2::timestamptz[], $3::jsonb[]) WITH ORDINALITY \
                 AS v(event_id, occurred_at, payload, position) ORDER BY position",
            )
            .bind::<Array<sql_types::Uuid>, _>(events.iter().map(|e| e.id).collect::<Vec<_>>())
            .bind::<Array<sql_types::Timestamptz>, _>(
                events.iter().map(|e| e.occurred_at).collect::<Vec<_>>(),
            )
            .bind::<Array<sql_types::Jsonb>, _>(payloads),
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Records events that accompany no other change (a failed login, a denied request),
    /// in a transaction of their own.
    pub async fn record(&self, pool: &PgPool, events: &[AuditEvent]) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        self.append_all(&mut conn, events).await
    }

    /// Events committed but not yet delivered.
    pub async fn backlog(&self, pool: &PgPool) -> Result<i64, DbError> {
        let mut conn = pool.get().await?;
        Ok(outbox::table
            .filter(outbox::delivered_at.is_null())
            .count()
            .get_result(&mut conn)
            .await?)
    }

    /// Undelivered events that failed `max_attempts` times and are no longer claimed.
    pub async fn parked(&self, pool: &PgPool, max_attempts: i32) -> Result<i64, DbError> {
        let mut conn = pool.get().await?;
        Ok(outbox::table
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::attempts.ge(max_attempts))
            .count()
            .get_result(&mut conn)
            .await?)
    }

    /// Claims up to `limit` pending chained events, in chain order, that have failed fewer
    /// than `max_attempts` times
    /// (`FOR UPDATE SKIP LOCKED`: concurrent relays never claim the same row), hands them to
    /// `deliver`, then marks what was delivered and counts an attempt on what failed, all in
    /// one transaction. Should the process die
    /// before the commit, the rows are claimed again later; delivery being idempotent by
    /// event id, nothing is stored twice.
    pub async fn deliver_batch<F, Fut>(
        &self,
        pool: &PgPool,
        limit: usize,
        max_attempts: i32,
        deliver: F,
    ) -> Result<BatchResult, DbError>
    where
        F: FnOnce(Vec<AuditEvent>) -> Fut + Send,
        Fut: Future<Output = DeliveryOutcome> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let rows: Vec<ClaimedRow> = outbox::table
                .filter(outbox::delivered_at.is_null())
                .filter(outbox::chain_seq.is_not_null())
                .filter(outbox::attempts.lt(max_attempts))
                .order(outbox::chain_seq.asc())
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .for_update()
                .skip_locked()
                .select(ClaimedRow::as_select())
                .load(conn)
                .await?;
            if rows.is_empty() {
                return Ok(BatchResult::default());
            }
            let seq_by_event: HashMap<Uuid, i64> =
                rows.iter().map(|r| (r.event_id, r.seq)).collect();
            let mut failures: HashMap<String, Vec<i64>> = HashMap::new();
            let mut events = Vec::with_capacity(rows.len());
            for row in rows {
                let link = row.link();
                match serde_json::from_value::<AuditEvent>(row.payload) {
                    Ok(event) => events.push(AuditEvent {
                        chain: link,
                        ..event
                    }),
                    Err(e) => failures
                        .entry(format!("unreadable payload: {e}"))
                        .or_default()
                        .push(row.seq),
                }
            }
            let claimed = seq_by_event.len();

            let outcome = if events.is_empty() {
                DeliveryOutcome::default()
            } else {
                deliver(events).await
            };
            if outcome.unavailable {
                return Ok(BatchResult {
                    claimed,
                    unavailable: true,
                    ..BatchResult::default()
                });
            }
            let delivered: Vec<i64> = outcome
                .delivered
                .iter()
                .filter_map(|id| seq_by_event.get(id).copied())
                .collect();
            for (id, reason) in &outcome.failed {
                if let Some(seq) = seq_by_event.get(id) {
                    failures.entry(reason.clone()).or_default().push(*seq);
                }
            }

            if !delivered.is_empty() {
                Reused(
                    diesel::update(outbox::table.filter(outbox::seq.eq_any(&delivered)))
                        .set(outbox::delivered_at.eq(diesel::dsl::now)),
                )
                .execute(conn)
                .await?;
            }
            let mut failed = 0;
            for (reason, seqs) in &failures {
                failed += seqs.len();
                diesel::update(outbox::table.filter(outbox::seq.eq_any(seqs)))
                    .set((
                        outbox::attempts.eq(outbox::attempts + 1),
                        outbox::last_error.eq(reason),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(BatchResult {
                claimed,
                delivered: delivered.len(),
                failed,
                unavailable: false,
            })
        })
        .await
    }

    /// Deletes up to `limit` rows delivered before `delivered_before`; returns how many.
    pub async fn prune_delivered(
        &self,
        pool: &PgPool,
        delivered_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, DbError> {
        let mut conn = pool.get().await?;
        // Oldest first and bounded, so one prune never holds a long lock on a large table.
        let pruned = diesel::sql_query(
            "DELETE FROM outbox WHERE seq IN \
             (SELECT seq FROM outbox WHERE delivered_at < $1 ORDER BY delivered_at LIMIT $2)",
        )
        .bind::<diesel::sql_types::Timestamptz, _>(delivered_before)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .execute(&mut conn)
        .await?;
        Ok(pruned)
    }
}
