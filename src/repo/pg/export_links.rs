//! Single-use audit export links: the stored request (filters, format, limit) behind a
//! token's SHA-256, redeemed at most once before it expires.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{audit_export_links, users};
use super::{DbError, PgPool};

/// One link: who asked for it, what it exports, until when.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = audit_export_links)]
pub struct ExportLinkRow {
    pub token_hash: Vec<u8>,
    pub user_id: Uuid,
    pub format: String,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub from_at: Option<DateTime<Utc>>,
    pub to_at: Option<DateTime<Utc>>,
    pub export_limit: Option<i64>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgExportLinkRepo;

impl PgExportLinkRepo {
    /// Locks the user's row until the transaction ends (not its key: links and sessions can
    /// still name the user meanwhile), so two requests of one user count their links in
    /// turn.
    pub async fn lock_owner(
        &self,
        conn: &mut AsyncPgConnection,
        user_id: Uuid,
    ) -> Result<bool, DbError> {
        let locked: Option<Uuid> = users::table
            .find(user_id)
            .select(users::id)
            .for_no_key_update()
            .first(conn)
            .await
            .optional()?;
        Ok(locked.is_some())
    }

    /// Removes every link that expired at or before `now`, whoever's it was.
    pub async fn sweep_expired(
        &self,
        conn: &mut AsyncPgConnection,
        now: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        Ok(
            diesel::delete(
                audit_export_links::table.filter(audit_export_links::expires_at.le(now)),
            )
            .execute(conn)
            .await?,
        )
    }

    /// How many of the user's links are still usable at `now`.
    pub async fn count_outstanding(
        &self,
        conn: &mut AsyncPgConnection,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<i64, DbError> {
        Ok(audit_export_links::table
            .filter(audit_export_links::user_id.eq(user_id))
            .filter(audit_export_links::expires_at.gt(now))
            .count()
            .get_result(conn)
            .await?)
    }

    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        link: &ExportLinkRow,
    ) -> Result<(), DbError> {
        diesel::insert_into(audit_export_links::table)
            .values(link)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The link behind `token_hash`, removed in the same statement, if it is still usable
    /// at `now`: of two concurrent redemptions exactly one gets it.
    pub async fn redeem(
        &self,
        pool: &PgPool,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<ExportLinkRow>, DbError> {
        let mut conn = pool.get().await?;
        Ok(diesel::delete(
            audit_export_links::table
                .filter(audit_export_links::token_hash.eq(token_hash))
                .filter(audit_export_links::expires_at.gt(now)),
        )
        .returning(ExportLinkRow::as_returning())
        .get_result(&mut conn)
        .await
        .optional()?)
    }
}
