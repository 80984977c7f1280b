//! Refresh tokens: stored as SHA-256 hashes, single use, rotated within a family.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::refresh_tokens;
use super::{DbError, PgPool};

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// A presented token's row, as the rules of rotation read it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct PresentedToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgRefreshTokenRepo;

impl PgRefreshTokenRepo {
    pub async fn issue(
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

    /// The presented token's row, locked until the transaction ends: of two concurrent
    /// presentations one rotates and the other then sees a used token.
    pub async fn lock_presented(
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

    pub async fn mark_used(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), DbError> {
        diesel::update(refresh_tokens::table.find(id))
            .set(refresh_tokens::used_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Revokes every live token of the family.
    pub async fn revoke_family(
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

    /// Revokes every live token of the user.
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
