//! Users with their roles and effective permissions.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{refresh_tokens, roles, user_roles, users, users_with_access};
use super::{DbError, PgOutbox, PgPool};
use crate::domain::audit::AuditEvent;
pub use crate::domain::identity::UserRecord;

columns! {
    /// The columns of [`UserRecord`].
    pub const USER_COLUMNS = users_with_access(
        id,
        email,
        full_name,
        is_active,
        last_login_at,
        created_at,
        updated_at,
        roles,
        permissions,
    );
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Credentials {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub is_active: bool,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
}

#[derive(Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub full_name: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgUserRepo;

impl PgUserRepo {
    pub async fn find_with_access(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<UserRecord>, DbError> {
        // One round trip, a prepared statement cached per connection: what every
        // authenticated request costs.
        Ok(users_with_access::table
            .find(id)
            .select(USER_COLUMNS)
            .first(conn)
            .await
            .optional()?)
    }

    /// The user with their live sessions (refresh-token families), for authentication.
    pub async fn get_access(
        &self,
        pool: &PgPool,
        id: Uuid,
    ) -> Result<Option<(UserRecord, Vec<Uuid>)>, DbError> {
        let mut conn = pool.get().await?;
        Ok(users_with_access::table
            .find(id)
            .select((USER_COLUMNS, users_with_access::sessions))
            .first(&mut conn)
            .await
            .optional()?)
    }

    pub async fn get_with_access(
        &self,
        pool: &PgPool,
        id: Uuid,
    ) -> Result<Option<UserRecord>, DbError> {
        let mut conn = pool.get().await?;
        self.find_with_access(&mut conn, id).await
    }

    pub async fn find_credentials(
        &self,
        pool: &PgPool,
        email: &str,
    ) -> Result<Option<Credentials>, DbError> {
        let mut conn = pool.get().await?;
        Ok(users::table
            .filter(users::email.eq(email))
            .select(Credentials::as_select())
            .first(&mut conn)
            .await
            .optional()?)
    }

    pub async fn find_credentials_by_id(
        &self,
        pool: &PgPool,
        id: Uuid,
    ) -> Result<Option<Credentials>, DbError> {
        let mut conn = pool.get().await?;
        Ok(users::table
            .find(id)
            .select(Credentials::as_select())
            .first(&mut conn)
            .await
            .optional()?)
    }

    /// Gives `user_id` the role named `role` (a no-op when it has it already).
    async fn assign_role(
        &self,
        conn: &mut AsyncPgConnection,
        user_id: Uuid,
        role: &str,
    ) -> Result<(), DbError> {
        let role_id: Uuid = roles::table
            .filter(roles::name.eq(role))
            .select(roles::id)
            .first(conn)
            .await?;
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(user_id),
                user_roles::role_id.eq(role_id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Inserts the user with one role (by name) and the audit events, in one transaction.
    pub async fn create(
        &self,
        pool: &PgPool,
        user: &NewUser,
        role: &str,
        events: &[AuditEvent],
    ) -> Result<UserRecord, DbError> {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            diesel::insert_into(users::table)
                .values(user)
                .execute(conn)
                .await?;
            self.assign_role(conn, user.id, role).await?;
            PgOutbox.append_all(conn, events).await?;
            Ok(self
                .find_with_access(conn, user.id)
                .await?
                .ok_or(diesel::result::Error::NotFound)?)
        })
        .await
    }

    /// Gives an existing user a role (idempotent), with the audit events.
    pub async fn grant_role(
        &self,
        pool: &PgPool,
        user_id: Uuid,
        role: &str,
        events: &[AuditEvent],
    ) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            self.assign_role(conn, user_id, role).await?;
            PgOutbox.append_all(conn, events).await
        })
        .await
    }

    /// Records a login: `last_login_at`, an upgraded hash when the parameters got stronger,
    /// and the audit events.
    pub async fn record_login(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        upgraded_hash: Option<&str>,
    ) -> Result<(), DbError> {
        diesel::update(users::table.find(id))
            .set((
                users::last_login_at.eq(diesel::dsl::now),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        if let Some(hash) = upgraded_hash {
            diesel::update(users::table.find(id))
                .set(users::password_hash.eq(hash))
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Applies `changes` to the user locked for update; `audit` sees the user before and
    /// after and says what to record (nothing when nothing changed).
    pub async fn update_profile<F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        changes: ProfileChanges,
        audit: F,
    ) -> Result<Option<UserRecord>, DbError>
    where
        F: FnOnce(&UserRecord, &UserRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let locked: Option<Uuid> = users::table
                .find(id)
                .select(users::id)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            if locked.is_none() {
                return Ok(None);
            }
            let before = self
                .find_with_access(conn, id)
                .await?
                .ok_or(diesel::result::Error::NotFound)?;
            if changes.email.is_some() || changes.full_name.is_some() || changes.is_active.is_some()
            {
                diesel::update(users::table.find(id))
                    .set((&changes, users::updated_at.eq(diesel::dsl::now)))
                    .execute(conn)
                    .await?;
            }
            let after = self
                .find_with_access(conn, id)
                .await?
                .ok_or(diesel::result::Error::NotFound)?;
            PgOutbox.append_all(conn, &audit(&before, &after)).await?;
            Ok(Some(after))
        })
        .await
    }

    /// Replaces the password hash and revokes every refresh token of the user.
    pub async fn set_password(
        &self,
        pool: &PgPool,
        id: Uuid,
        hash: &str,
        events: &[AuditEvent],
    ) -> Result<(), DbError> {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            diesel::update(users::table.find(id))
                .set((
                    users::password_hash.eq(hash),
                    users::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::user_id.eq(id))
                    .filter(refresh_tokens::revoked_at.is_null()),
            )
            .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
            PgOutbox.append_all(conn, events).await
        })
        .await
    }
}
