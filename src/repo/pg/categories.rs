//! Categories: rows, the name-ordered list, and the statements of their changes.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{categories, products};
use super::{DbError, PgPool};
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
#[derive(Debug, Default, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = categories)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

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

    /// Inserts the category. A name taken (ignoring case) fails `categories_name_key`.
    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        category: &NewCategory,
    ) -> Result<CategoryRecord, DbError> {
        Ok(diesel::insert_into(categories::table)
            .values(category)
            .returning(CATEGORY_COLUMNS)
            .get_result(conn)
            .await?)
    }

    /// The category, locked until the transaction ends.
    pub async fn lock(
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

    pub async fn update(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        changes: &CategoryChanges,
    ) -> Result<CategoryRecord, DbError> {
        Ok(diesel::update(categories::table.find(id))
            .set((changes, categories::updated_at.eq(diesel::dsl::now)))
            .returning(CATEGORY_COLUMNS)
            .get_result(conn)
            .await?)
    }

    /// Whether a live product is in the category. Under the category's row lock this and a
    /// concurrent product insert into it (which takes a key-share lock through its foreign
    /// key) wait for each other, so neither can slip past the other's check.
    pub async fn in_use(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<bool, DbError> {
        Ok(diesel::select(diesel::dsl::exists(
            products::table
                .filter(products::category_id.eq(id))
                .filter(products::is_active),
        ))
        .get_result(conn)
        .await?)
    }

    pub async fn delete(&self, conn: &mut AsyncPgConnection, id: Uuid) -> Result<(), DbError> {
        diesel::delete(categories::table.find(id))
            .execute(conn)
            .await?;
        Ok(())
    }
}
