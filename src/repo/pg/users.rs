//! Users with their roles and effective permissions.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{roles, user_roles, users, users_with_access};
use super::{DbError, PgPool};
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

    /// Inserts the user. A taken email fails `users_email_key`.
    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        user: &NewUser,
    ) -> Result<(), DbError> {
        diesel::insert_into(users::table)
            .values(user)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Gives `user_id` the role named `role` (a no-op when it has it already).
    pub async fn assign_role(
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

    /// The user with roles and permissions, locked until the transaction ends.
    pub async fn lock(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<UserRecord>, DbError> {
        let locked: Option<Uuid> = users::table
            .find(id)
            .select(users::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        match locked {
            Some(_) => self.find_with_access(conn, id).await,
            None => Ok(None),
        }
    }

    /// The user as this transaction just wrote them.
    pub async fn reread(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<UserRecord, DbError> {
        self.find_with_access(conn, id)
            .await?
            .ok_or(DbError::Query(diesel::result::Error::NotFound))
    }

    /// Whether the account is active, and its email.
    pub async fn status(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<(bool, String), DbError> {
        Ok(users::table
            .find(id)
            .select((users::is_active, users::email))
            .first(conn)
            .await?)
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

    /// Applies the profile changes.
    pub async fn update_profile(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        changes: &ProfileChanges,
    ) -> Result<UserRecord, DbError> {
        if changes.email.is_some() || changes.full_name.is_some() || changes.is_active.is_some() {
            diesel::update(users::table.find(id))
                .set((changes, users::updated_at.eq(diesel::dsl::now)))
                .execute(conn)
                .await?;
        }
        self.reread(conn, id).await
    }

    /// Replaces the password hash.
    pub async fn set_password(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        hash: &str,
    ) -> Result<(), DbError> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}
