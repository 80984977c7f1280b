//! Refresh tokens: stored as SHA-256 hashes, single use, rotated within a family.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{refresh_tokens, users};
use super::{DbError, PgOutbox, PgPool, PgUserRepo};
use crate::domain::audit::AuditEvent;

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct PresentedToken {
    id: Uuid,
    family_id: Uuid,
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// What presenting a refresh token led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now used, and its successor is stored in the same family.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// The token had been used before: its whole family is now revoked.
    Reused { user_id: Uuid },
    /// Unknown, expired, revoked, or its user is deactivated.
    Rejected,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgRefreshTokenRepo;

impl PgRefreshTokenRepo {
    async fn issue(
        &self,
        conn: &mut AsyncPgConnection,
        token: &NewRefreshToken,
    ) -> Result<(), DbError> {
        diesel::insert_into(refresh_tokens::table)
            .values(token)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// A successful login: `last_login_at` (and an upgraded hash), a new token family, and the
    /// audit events, in one transaction.
    pub async fn open_session(
        &self,
        pool: &PgPool,
        token: &NewRefreshToken,
        upgraded_hash: Option<&str>,
        events: &[AuditEvent],
    ) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            PgUserRepo
                .record_login(conn, token.user_id, upgraded_hash)
                .await?;
            self.issue(conn, token).await?;
            PgOutbox.append_all(conn, events).await
        })
        .await
    }

    /// Presents a token. The row is locked, so of two concurrent presentations one rotates
    /// and the other sees a used token (reuse). On reuse the family is revoked and
    /// `on_reuse(user_id)` is recorded, and that commits even though the caller answers 401.
    pub async fn rotate<N, R>(
        &self,
        pool: &PgPool,
        presented_hash: &[u8],
        next: N,
        on_reuse: R,
    ) -> Result<Rotation, DbError>
    where
        N: FnOnce(Uuid, Uuid) -> NewRefreshToken + Send,
        R: FnOnce(Uuid) -> AuditEvent + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(token) = self.lock_presented(conn, presented_hash).await? else {
                return Ok(Rotation::Rejected);
            };
            if token.revoked_at.is_some() {
                return Ok(Rotation::Rejected);
            }
            if token.used_at.is_some() {
                self.revoke_family_in(conn, token.family_id).await?;
                PgOutbox.append(conn, &on_reuse(token.user_id)).await?;
                return Ok(Rotation::Reused {
                    user_id: token.user_id,
                });
            }
            let user_active: bool = users::table
                .find(token.user_id)
                .select(users::is_active)
                .first(conn)
                .await?;
            if token.expires_at <= Utc::now() || !user_active {
                return Ok(Rotation::Rejected);
            }
            diesel::update(refresh_tokens::table.find(token.id))
                .set(refresh_tokens::used_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
            self.issue(conn, &next(token.user_id, token.family_id))
                .await?;
            Ok(Rotation::Rotated {
                user_id: token.user_id,
                family_id: token.family_id,
            })
        })
        .await
    }

    /// The presented token's row, locked for the rest of the transaction.
    async fn lock_presented(
        &self,
        conn: &mut AsyncPgConnection,
        presented_hash: &[u8],
    ) -> Result<Option<PresentedToken>, DbError> {
        Ok(refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(presented_hash))
            .select(PresentedToken::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?)
    }

    async fn revoke_family_in(
        &self,
        conn: &mut AsyncPgConnection,
        family_id: Uuid,
    ) -> Result<(), DbError> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Revokes every live token of the user, in the caller's transaction (deactivation).
    pub async fn revoke_all_for_user(
        &self,
        conn: &mut AsyncPgConnection,
        user_id: Uuid,
    ) -> Result<usize, DbError> {
        Ok(diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?)
    }

    /// Logout: revokes the family of a known, unrevoked token and records
    /// `events(user_id, email)` of its owner. Returns the user, or `None` when the token was
    /// unknown or already revoked.
    pub async fn revoke_family<F>(
        &self,
        pool: &PgPool,
        presented_hash: &[u8],
        events: F,
    ) -> Result<Option<Uuid>, DbError>
    where
        F: FnOnce(Uuid, &str) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(token) = self.lock_presented(conn, presented_hash).await? else {
                return Ok(None);
            };
            if token.revoked_at.is_some() {
                return Ok(None);
            }
            let email: String = users::table
                .find(token.user_id)
                .select(users::email)
                .first(conn)
                .await?;
            self.revoke_family_in(conn, token.family_id).await?;
            PgOutbox
                .append_all(conn, &events(token.user_id, &email))
                .await?;
            Ok(Some(token.user_id))
        })
        .await
    }

    /// Deletes tokens that expired before `before`; returns how many.
    pub async fn delete_expired(
        &self,
        pool: &PgPool,
        before: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        let mut conn = pool.get().await?;
        Ok(
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(before)))
                .execute(&mut conn)
                .await?,
        )
    }
}
