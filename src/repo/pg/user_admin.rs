//! Administration of other users' accounts: the filtered list, profile and activity
//! changes, and role assignment.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{roles, user_roles, users};
use super::users::UserRecord;
use super::{DbError, PgPool, PgUserRepo};
use crate::domain::identity::ADMIN_ROLE;
pub use crate::domain::identity::UserFilter;
use crate::domain::page::{PageRequest, Paged};

/// Shared by the page and the count. `$1` is an escaped ILIKE pattern, `$2` the activity,
/// `$3` a role name; a NULL parameter is no filter (PostgreSQL plans each execution with
/// its values, so the unused branches fold away and the indexes stay usable).
const USER_FILTERS: &str = r"
WHERE ($1::text IS NULL OR u.email ILIKE $1 ESCAPE '\' OR u.full_name ILIKE $1 ESCAPE '\')
  AND ($2::boolean IS NULL OR u.is_active = $2)
  AND ($3::text IS NULL OR EXISTS (
        SELECT 1 FROM user_roles fur JOIN roles fr ON fr.id = fur.role_id
        WHERE fur.user_id = u.id AND fr.name = $3))";

/// The page's ids first (newest first, `$4` skipped, `$5` at most), then their roles and
/// permissions aggregated in the same statement: one round trip, no query per user.
const USER_PAGE: &str = "
WITH page AS (
    SELECT u.id FROM users u {filters}
    ORDER BY u.created_at DESC, u.id DESC
    OFFSET $4 LIMIT $5
)
SELECT u.id, u.email, u.full_name, u.is_active, u.last_login_at, u.created_at, u.updated_at,
       COALESCE(array_agg(DISTINCT r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS roles,
       COALESCE(array_agg(DISTINCT rp.permission) FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions
FROM users u
LEFT JOIN user_roles ur ON ur.user_id = u.id
LEFT JOIN roles r ON r.id = ur.role_id
LEFT JOIN role_permissions rp ON rp.role_id = r.id
WHERE u.id IN (SELECT id FROM page)
GROUP BY u.id
ORDER BY u.created_at DESC, u.id DESC";

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// `text` as an ILIKE pattern matching it anywhere, with `\`, `%` and `_` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgUserAdminRepo;

impl PgUserAdminRepo {
    /// A page of users matching `filter`, newest first, and how many match in all.
    pub async fn list(
        &self,
        pool: &PgPool,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Paged<UserRecord>, DbError> {
        let mut conn = pool.get().await?;
        let pattern = filter.q.as_deref().map(contains_pattern);
        let items = diesel::sql_query(USER_PAGE.replace("{filters}", USER_FILTERS))
            .bind::<Nullable<Text>, _>(pattern.as_deref())
            .bind::<Nullable<Bool>, _>(filter.is_active)
            .bind::<Nullable<Text>, _>(filter.role.as_deref())
            .bind::<BigInt, _>(page.skip)
            .bind::<BigInt, _>(page.limit)
            .load(&mut conn)
            .await?;
        let total = diesel::sql_query(format!(
            "SELECT count(*) AS total FROM users u {USER_FILTERS}"
        ))
        .bind::<Nullable<Text>, _>(pattern.as_deref())
        .bind::<Nullable<Bool>, _>(filter.is_active)
        .bind::<Nullable<Text>, _>(filter.role.as_deref())
        .get_result::<Total>(&mut conn)
        .await?
        .total;
        Ok(Paged { items, total })
    }

    /// Locks the rows of every active admin, in id order, so that changes that could remove
    /// the last one queue behind each other instead of deadlocking.
    pub async fn lock_active_admins(&self, conn: &mut AsyncPgConnection) -> Result<(), DbError> {
        users::table
            .filter(users::is_active.eq(true))
            .filter(users::id.eq_any(admin_holders()))
            .order(users::id)
            .select(users::id)
            .for_update()
            .load::<Uuid>(conn)
            .await?;
        Ok(())
    }

    /// Active admins other than `except`, by a statement of its own: it sees whatever
    /// committed while [`Self::lock_active_admins`] waited.
    pub async fn other_active_admins(
        &self,
        conn: &mut AsyncPgConnection,
        except: Uuid,
    ) -> Result<i64, DbError> {
        Ok(users::table
            .filter(users::is_active.eq(true))
            .filter(users::id.ne(except))
            .filter(users::id.eq_any(admin_holders()))
            .count()
            .get_result(conn)
            .await?)
    }

    /// Replaces the user's role set with `role_ids`. A role deleted meanwhile fails the
    /// foreign key `user_roles_role_id_fkey`.
    pub async fn set_roles(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        role_ids: &[Uuid],
    ) -> Result<UserRecord, DbError> {
        let removed = diesel::delete(
            user_roles::table
                .filter(user_roles::user_id.eq(id))
                .filter(user_roles::role_id.ne_all(role_ids)),
        )
        .execute(conn)
        .await?;
        let rows: Vec<_> = role_ids
            .iter()
            .map(|role_id| (user_roles::user_id.eq(id), user_roles::role_id.eq(role_id)))
            .collect();
        let added = if rows.is_empty() {
            0
        } else {
            diesel::insert_into(user_roles::table)
                .values(rows)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?
        };
        if removed + added > 0 {
            diesel::update(users::table.find(id))
                .set(users::updated_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
        }
        PgUserRepo.reread(conn, id).await
    }
}

/// The ids of the users holding the `admin` role.
fn admin_holders() -> user_roles::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Uuid> {
    let admin_role = roles::table
        .filter(roles::name.eq(ADMIN_ROLE))
        .select(roles::id);
    user_roles::table
        .filter(user_roles::role_id.eq_any(admin_role))
        .select(user_roles::user_id)
        .into_boxed()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(contains_pattern("ada"), "%ada%");
        assert_eq!(contains_pattern("50%_off"), r"%50\%\_off%");
        assert_eq!(contains_pattern(r"a\b"), r"%a\\b%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
