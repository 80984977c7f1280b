//! The audit chain's PostgreSQL side: giving outbox rows their place in the chain (under the
//! head's lock, in order, in a short transaction of their own), the head, and checkpoints.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use super::reused::Reused;
use super::schema::{audit_chain_head, outbox};
use super::{DbError, PgPool};
use crate::domain::audit::AuditEvent;
use crate::domain::audit_chain::{ChainLink, Digest32};

/// The last position given and its hash (`seq` 0 and 32 zero bytes before the first event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: Digest32,
}

/// What one chaining step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Chained {
    pub chained: usize,
    /// Rows whose payload could not be read: parked at once (they cannot be hashed).
    pub parked: usize,
    /// The head after the step, when it moved.
    pub head: Option<ChainHead>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgAuditChain;

fn digest(bytes: &[u8]) -> Result<Digest32, DbError> {
    Digest32::from_slice(bytes).ok_or_else(|| {
        DbError::Query(diesel::result::Error::DeserializationError(
            "an audit chain hash is not 32 bytes".into(),
        ))
    })
}

impl PgAuditChain {
    pub async fn head(&self, pool: &PgPool) -> Result<ChainHead, DbError> {
        let mut conn = pool.get().await?;
        let (seq, hash): (i64, Vec<u8>) = audit_chain_head::table
            .select((audit_chain_head::seq, audit_chain_head::hash))
            .first(&mut conn)
            .await?;
        Ok(ChainHead {
            seq,
            hash: digest(&hash)?,
        })
    }

    /// The first position given but not delivered yet, at or below `through`.
    pub async fn first_pending(&self, pool: &PgPool, through: i64) -> Result<Option<i64>, DbError> {
        let mut conn = pool.get().await?;
        Ok(outbox::table
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::chain_seq.le(through))
            .select(diesel::dsl::min(outbox::chain_seq))
            .first::<Option<i64>>(&mut conn)
            .await?)
    }

    /// When the chain started: audit events stored before it are unchained.
    pub async fn started_at(&self, pool: &PgPool) -> Result<DateTime<Utc>, DbError> {
        let mut conn = pool.get().await?;
        Ok(audit_chain_head::table
            .select(audit_chain_head::started_at)
            .first(&mut conn)
            .await?)
    }

    /// Gives up to `limit` committed, unchained outbox rows the next positions, oldest row
    /// first. The head's row lock makes concurrent relays take turns, so positions are
    /// consecutive and each is given once; a row whose payload cannot be read is parked
    /// (`attempts = park_at`) so it never holds the chain up.
    pub async fn chain_pending(
        &self,
        pool: &PgPool,
        limit: usize,
        park_at: i32,
    ) -> Result<Chained, DbError> {
        let mut conn = pool.get().await?;
        // The relay polls several times a second: when nothing waits, the head's row is not
        // locked at all (a row lock is a write). A row committed just after this look is
        // chained by the next poll.
        let waiting: bool = diesel::select(diesel::dsl::exists(
            outbox::table
                .filter(outbox::chain_seq.is_null())
                .filter(outbox::attempts.lt(park_at)),
        ))
        .get_result(&mut conn)
        .await?;
        if !waiting {
            return Ok(Chained::default());
        }
        conn.transaction::<_, DbError, _>(async |conn| {
            let (mut seq, head_hash): (i64, Vec<u8>) = audit_chain_head::table
                .select((audit_chain_head::seq, audit_chain_head::hash))
                .for_update()
                .first(conn)
                .await?;
            let mut prev = digest(&head_hash)?;
            let rows: Vec<(i64, Uuid, serde_json::Value)> = outbox::table
                .filter(outbox::chain_seq.is_null())
                .filter(outbox::attempts.lt(park_at))
                .order(outbox::seq.asc())
                .limit(i64::try_from(limit).unwrap_or(i64::MAX))
                .select((outbox::seq, outbox::event_id, outbox::payload))
                .load(conn)
                .await?;
            let mut links = ChainColumns::default();
            let mut unreadable = Vec::new();
            for (row, event_id, payload) in rows {
                let Ok(event) = serde_json::from_value::<AuditEvent>(payload) else {
                    tracing::error!(%event_id, "an outbox payload cannot be read; parked unchained");
                    unreadable.push(row);
                    continue;
                };
                seq += 1;
                let link = ChainLink::new(&event, seq, prev);
                prev = link.hash;
                links.push(row, &link);
            }
            if !unreadable.is_empty() {
                diesel::update(outbox::table.filter(outbox::seq.eq_any(&unreadable)))
                    .set((
                        outbox::attempts.eq(park_at),
                        outbox::last_error.eq("unreadable payload: cannot be chained"),
                    ))
                    .execute(conn)
                    .await?;
            }
            let chained = links.rows.len();
            if chained > 0 {
                links.store(conn).await?;
                diesel::update(audit_chain_head::table)
                    .set((
                        audit_chain_head::seq.eq(seq),
                        audit_chain_head::hash.eq(prev.0.to_vec()),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok(Chained {
                chained,
                parked: unreadable.len(),
                head: (chained > 0).then_some(ChainHead { seq, hash: prev }),
            })
        })
        .await
    }
}

/// The links of one step, column by column, written in one statement.
#[derive(Default)]
struct ChainColumns {
    rows: Vec<i64>,
    seqs: Vec<i64>,
    prev_hashes: Vec<Vec<u8>>,
    content_hashes: Vec<Vec<u8>>,
    hashes: Vec<Vec<u8>>,
}

impl ChainColumns {
    fn push(&mut self, row: i64, link: &ChainLink) {
        self.rows.push(row);
        self.seqs.push(link.seq);
        self.prev_hashes.push(link.prev_hash.0.to_vec());
        self.content_hashes.push(link.content_hash.0.to_vec());
        self.hashes.push(link.hash.0.to_vec());
    }

    async fn store(self, conn: &mut diesel_async::AsyncPgConnection) -> Result<(), DbError> {
        Reused(
            diesel::sql_query(
                "UPDATE outbox SET chain_seq = v.chain_seq, prev_hash = v.prev_hash, \
                 content_hash = v.content_hash, hash = v.hash \
                 FROM unnest($1, $2, $3, $4, $5) \
                 AS v(seq, chain_seq, prev_hash, content_hash, hash) \
                 WHERE outbox.seq = v.seq",
            )
            .bind::<Array<BigInt>, _>(self.rows)
            .bind::<Array<BigInt>, _>(self.seqs)
            .bind::<Array<Bytea>, _>(self.prev_hashes)
            .bind::<Array<Bytea>, _>(self.content_hashes)
            .bind::<Array<Bytea>, _>(self.hashes),
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
