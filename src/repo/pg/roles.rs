//! Roles with their permissions, and the permission catalogue.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{permissions, role_permissions, roles, user_roles};
use super::{DbError, PgPool};
pub use crate::domain::identity::{PermissionRecord, RoleRecord};
use crate::domain::page::{PageRequest, Paged};

/// Every role query is this select plus a WHERE and/or ORDER BY; one round trip per call.
const ROLE_WITH_PERMISSIONS: &str = "\
SELECT r.id, r.name, r.description, r.is_builtin, r.created_at, r.updated_at,
       COALESCE(array_agg(rp.permission ORDER BY rp.permission)
                FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions
FROM roles r
LEFT JOIN role_permissions rp ON rp.role_id = r.id";

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(Insertable)]
#[diesel(table_name = roles)]
pub struct NewRole {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
}

/// Column changes; `description: Some(None)` clears it. Permissions are replaced separately.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = roles)]
pub struct RoleChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgRoleRepo;

impl PgRoleRepo {
    async fn find_in(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<RoleRecord>, DbError> {
        Ok(diesel::sql_query(format!(
            "{ROLE_WITH_PERMISSIONS} WHERE r.id = $1 GROUP BY r.id"
        ))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()?)
    }

    pub async fn find(&self, pool: &PgPool, id: Uuid) -> Result<Option<RoleRecord>, DbError> {
        let mut conn = pool.get().await?;
        self.find_in(&mut conn, id).await
    }

    /// The roles with these names (unknown names are simply absent).
    pub async fn find_by_names(
        &self,
        pool: &PgPool,
        names: &[String],
    ) -> Result<Vec<RoleRecord>, DbError> {
        let mut conn = pool.get().await?;
        Ok(diesel::sql_query(format!(
            "{ROLE_WITH_PERMISSIONS} WHERE r.name = ANY($1) GROUP BY r.id ORDER BY r.name"
        ))
        .bind::<Array<Text>, _>(names)
        .load(&mut conn)
        .await?)
    }

    /// A page of roles by name, and how many there are.
    pub async fn list(
        &self,
        pool: &PgPool,
        page: PageRequest,
    ) -> Result<Paged<RoleRecord>, DbError> {
        let mut conn = pool.get().await?;
        let items = diesel::sql_query(format!(
            "{ROLE_WITH_PERMISSIONS} GROUP BY r.id ORDER BY r.name OFFSET $1 LIMIT $2"
        ))
        .bind::<BigInt, _>(page.skip)
        .bind::<BigInt, _>(page.limit)
        .load(&mut conn)
        .await?;
        let total = diesel::sql_query("SELECT count(*) AS total FROM roles")
            .get_result::<Total>(&mut conn)
            .await?
            .total;
        Ok(Paged { items, total })
    }

    /// A page of the permission catalogue by name, and how many there are.
    pub async fn permissions(
        &self,
        pool: &PgPool,
        page: PageRequest,
    ) -> Result<Paged<PermissionRecord>, DbError> {
        let mut conn = pool.get().await?;
        let items = permissions::table
            .order(permissions::name.asc())
            .offset(page.skip)
            .limit(page.limit)
            .select((permissions::name, permissions::description))
            .load(&mut conn)
            .await?;
        let total = permissions::table.count().get_result(&mut conn).await?;
        Ok(Paged { items, total })
    }

    async fn replace_permissions(
        &self,
        conn: &mut AsyncPgConnection,
        role_id: Uuid,
        names: &[String],
    ) -> Result<(), DbError> {
        diesel::delete(
            role_permissions::table
                .filter(role_permissions::role_id.eq(role_id))
                .filter(role_permissions::permission.ne_all(names)),
        )
        .execute(conn)
        .await?;
        let rows: Vec<_> = names
            .iter()
            .map(|name| {
                (
                    role_permissions::role_id.eq(role_id),
                    role_permissions::permission.eq(name),
                )
            })
            .collect();
        if !rows.is_empty() {
            diesel::insert_into(role_permissions::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Inserts the role with its permissions. A name taken fails `roles_name_key`.
    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        role: &NewRole,
        permissions: &[String],
    ) -> Result<RoleRecord, DbError> {
        diesel::insert_into(roles::table)
            .values(role)
            .execute(conn)
            .await?;
        self.replace_permissions(conn, role.id, permissions).await?;
        self.reread(conn, role.id).await
    }

    /// Applies the column changes and, when given, the new permission set.
    pub async fn update(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        changes: &RoleChanges,
        permissions: Option<&[String]>,
    ) -> Result<RoleRecord, DbError> {
        if changes.name.is_some() || changes.description.is_some() {
            diesel::update(roles::table.find(id))
                .set((changes, roles::updated_at.eq(diesel::dsl::now)))
                .execute(conn)
                .await?;
        } else if permissions.is_some() {
            diesel::update(roles::table.find(id))
                .set(roles::updated_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
        }
        if let Some(names) = permissions {
            self.replace_permissions(conn, id, names).await?;
        }
        self.reread(conn, id).await
    }

    /// How many users hold the role. An assignment racing a delete under the role's lock
    /// takes a key-share lock on the role row, so it either committed before the lock (and
    /// is counted) or fails its foreign key after the delete commits.
    pub async fn holders(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<i64, DbError> {
        Ok(user_roles::table
            .filter(user_roles::role_id.eq(id))
            .count()
            .get_result(conn)
            .await?)
    }

    /// Deletes the role; its permission rows go with it.
    pub async fn delete(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), DbError> {
        diesel::delete(roles::table.find(id)).execute(conn).await?;
        Ok(())
    }

    /// The role, locked until the transaction ends.
    pub async fn lock(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<RoleRecord>, DbError> {
        let locked: Option<Uuid> = roles::table
            .find(id)
            .select(roles::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        match locked {
            Some(_) => self.find_in(conn, id).await,
            None => Ok(None),
        }
    }

    /// The role as this transaction just wrote it.
    async fn reread(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<RoleRecord, DbError> {
        self.find_in(conn, id)
            .await?
            .ok_or(DbError::Query(diesel::result::Error::NotFound))
    }
}
