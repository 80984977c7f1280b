//! Signed checkpoints of the audit chain in PostgreSQL, the copy the verifier trusts first
//! (its signature decides, never where it was read).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::audit_checkpoints;
use super::{DbError, PgPool};
use crate::domain::audit_chain::Digest32;
use crate::domain::audit_checkpoint::Checkpoint;

type CheckpointRow = (i64, Vec<u8>, DateTime<Utc>, String, Vec<u8>);

const COLUMNS: (
    audit_checkpoints::seq,
    audit_checkpoints::hash,
    audit_checkpoints::created_at,
    audit_checkpoints::key_id,
    audit_checkpoints::signature,
) = (
    audit_checkpoints::seq,
    audit_checkpoints::hash,
    audit_checkpoints::created_at,
    audit_checkpoints::key_id,
    audit_checkpoints::signature,
);

/// A row the table's checks let in is always 32 and 64 bytes; anything else is refused
/// as data that cannot be read, which the verifier reports.
fn checkpoint(
    (seq, hash, created_at, key_id, signature): CheckpointRow,
) -> Result<Checkpoint, DbError> {
    let unreadable = || {
        DbError::Query(diesel::result::Error::DeserializationError(
            "a stored checkpoint's hash or signature has the wrong length".into(),
        ))
    };
    Ok(Checkpoint {
        seq,
        hash: Digest32::from_slice(&hash).ok_or_else(unreadable)?,
        created_at,
        key_id,
        signature: signature.as_slice().try_into().map_err(|_| unreadable())?,
    })
}

fn checkpoints(rows: Vec<CheckpointRow>) -> Result<Vec<Checkpoint>, DbError> {
    rows.into_iter().map(checkpoint).collect()
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgAuditCheckpoints;

impl PgAuditCheckpoints {
    pub async fn latest(&self, pool: &PgPool) -> Result<Option<Checkpoint>, DbError> {
        let mut conn = pool.get().await?;
        let row: Option<CheckpointRow> = audit_checkpoints::table
            .order(audit_checkpoints::seq.desc())
            .select(COLUMNS)
            .first(&mut conn)
            .await
            .optional()?;
        row.map(checkpoint).transpose()
    }

    /// Stores `checkpoint`; `false` when one at its position is there already (another
    /// instance signed the same state first).
    pub async fn insert(&self, pool: &PgPool, checkpoint: &Checkpoint) -> Result<bool, DbError> {
        let mut conn = pool.get().await?;
        let inserted = diesel::insert_into(audit_checkpoints::table)
            .values((
                audit_checkpoints::seq.eq(checkpoint.seq),
                audit_checkpoints::hash.eq(checkpoint.hash.0.to_vec()),
                audit_checkpoints::created_at.eq(checkpoint.created_at),
                audit_checkpoints::key_id.eq(&checkpoint.key_id),
                audit_checkpoints::signature.eq(checkpoint.signature.to_vec()),
            ))
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await?;
        Ok(inserted == 1)
    }

    /// Up to `limit` checkpoints not yet copied to MongoDB, oldest first.
    pub async fn undelivered(&self, pool: &PgPool, limit: i64) -> Result<Vec<Checkpoint>, DbError> {
        let mut conn = pool.get().await?;
        checkpoints(
            audit_checkpoints::table
                .filter(audit_checkpoints::delivered_at.is_null())
                .order(audit_checkpoints::seq.asc())
                .limit(limit)
                .select(COLUMNS)
                .load(&mut conn)
                .await?,
        )
    }

    pub async fn mark_delivered(&self, pool: &PgPool, seqs: &[i64]) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        diesel::update(audit_checkpoints::table.filter(audit_checkpoints::seq.eq_any(seqs)))
            .set(audit_checkpoints::delivered_at.eq(diesel::dsl::now))
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    /// Up to `limit` checkpoints at or after `from`, by position.
    pub async fn from(
        &self,
        pool: &PgPool,
        from: i64,
        limit: i64,
    ) -> Result<Vec<Checkpoint>, DbError> {
        let mut conn = pool.get().await?;
        checkpoints(
            audit_checkpoints::table
                .filter(audit_checkpoints::seq.ge(from))
                .order(audit_checkpoints::seq.asc())
                .limit(limit)
                .select(COLUMNS)
                .load(&mut conn)
                .await?,
        )
    }

    /// Up to `limit` checkpoints below `before` (all when `None`), newest first.
    pub async fn newest(
        &self,
        pool: &PgPool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Checkpoint>, DbError> {
        let mut conn = pool.get().await?;
        let mut query = audit_checkpoints::table
            .order(audit_checkpoints::seq.desc())
            .limit(limit)
            .select(COLUMNS)
            .into_boxed();
        if let Some(before) = before {
            query = query.filter(audit_checkpoints::seq.lt(before));
        }
        checkpoints(query.load(&mut conn).await?)
    }
}
