//! Categories: rows, the name-ordered list, and changes recorded with their audit events.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{categories, products};
use super::{DbError, Guarded, PgOutbox, PgPool};
use crate::domain::audit::AuditEvent;
pub use crate::domain::catalog::CategoryRecord;

columns! {
    /// The columns of [`CategoryRecord`].
    const CATEGORY_COLUMNS = categories(id, name, description, created_at, updated_at);
}

#[derive(Insertable)]
#[diesel(table_name = categories)]
pub struct NewCategory {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
}

/// Column changes; `description: Some(None)` clears it.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = categories)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// Why a category was not deleted.
#[derive(Debug, PartialEq, Eq)]
pub struct CategoryInUse;

#[derive(Clone, Copy, Debug, Default)]
pub struct PgCategoryRepo;

impl PgCategoryRepo {
    pub async fn find(&self, pool: &PgPool, id: Uuid) -> Result<Option<CategoryRecord>, DbError> {
        let mut conn = pool.get().await?;
        Ok(categories::table
            .find(id)
            .select(CATEGORY_COLUMNS)
            .first(&mut conn)
            .await
            .optional()?)
    }

    /// A page of categories by name, and how many there are.
    pub async fn list(
        &self,
        pool: &PgPool,
        skip: i64,
        limit: i64,
    ) -> Result<(Vec<CategoryRecord>, i64), DbError> {
        let mut conn = pool.get().await?;
        let items = categories::table
            .order((categories::name.asc(), categories::id.asc()))
            .offset(skip)
            .limit(limit)
            .select(CATEGORY_COLUMNS)
            .load(&mut conn)
            .await?;
        let total = categories::table.count().get_result(&mut conn).await?;
        Ok((items, total))
    }

    /// Inserts the category with the events `audit` builds from it. A name taken (ignoring
    /// case) fails `categories_name_key`.
    pub async fn create<F>(
        &self,
        pool: &PgPool,
        category: &NewCategory,
        audit: F,
    ) -> Result<CategoryRecord, DbError>
    where
        F: FnOnce(&CategoryRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let created = diesel::insert_into(categories::table)
                .values(category)
                .returning(CATEGORY_COLUMNS)
                .get_result(conn)
                .await?;
            PgOutbox.append_all(conn, &audit(&created)).await?;
            Ok(created)
        })
        .await
    }

    async fn lock(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<CategoryRecord>, DbError> {
        Ok(categories::table
            .find(id)
            .select(CATEGORY_COLUMNS)
            .for_update()
            .first(conn)
            .await
            .optional()?)
    }

    /// Locks the category, asks `plan` what to change given its current state (`None`:
    /// nothing), applies it and records what `audit` makes of before/after.
    pub async fn update<P, F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        plan: P,
        audit: F,
    ) -> Result<Option<CategoryRecord>, DbError>
    where
        P: FnOnce(&CategoryRecord) -> Option<CategoryChanges> + Send,
        F: FnOnce(&CategoryRecord, &CategoryRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(before) = self.lock(conn, id).await? else {
                return Ok(None);
            };
            let Some(changes) = plan(&before) else {
                return Ok(Some(before));
            };
            let after = diesel::update(categories::table.find(id))
                .set((&changes, categories::updated_at.eq(diesel::dsl::now)))
                .returning(CATEGORY_COLUMNS)
                .get_result(conn)
                .await?;
            PgOutbox.append_all(conn, &audit(&before, &after)).await?;
            Ok(Some(after))
        })
        .await
    }

    /// Deletes the category unless a live product uses it. The row lock makes this and a
    /// concurrent product insert into the category (which takes a key-share lock through its
    /// foreign key) wait for each other, so neither can slip past the other's check.
    pub async fn delete<F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        audit: F,
    ) -> Result<Guarded<CategoryRecord, CategoryInUse>, DbError>
    where
        F: FnOnce(&CategoryRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(category) = self.lock(conn, id).await? else {
                return Ok(Guarded::NotFound);
            };
            let in_use: bool = diesel::select(diesel::dsl::exists(
                products::table
                    .filter(products::category_id.eq(id))
                    .filter(products::is_active),
            ))
            .get_result(conn)
            .await?;
            if in_use {
                return Ok(Guarded::Refused(CategoryInUse));
            }
            diesel::delete(categories::table.find(id))
                .execute(conn)
                .await?;
            PgOutbox.append_all(conn, &audit(&category)).await?;
            Ok(Guarded::Done(category))
        })
        .await
    }
}
