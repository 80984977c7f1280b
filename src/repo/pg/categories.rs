//! Categories: rows, the name-ordered list, and the statements of their changes.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::schema::{categories, products};
use super::{DbError, PgPool};
pub use crate::domain::catalog::CategoryRecord;
use crate::domain::page::{PageRequest, Paged};

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

row_statements! {
    PgCategoryRepo for categories ("category"), plain rows {
        record: CategoryRecord = CATEGORY_COLUMNS,
        new: NewCategory,
        changes: CategoryChanges,
    }
}

impl PgCategoryRepo {
    /// A page of categories by name, and how many there are.
    pub async fn list(
        &self,
        pool: &PgPool,
        page: PageRequest,
    ) -> Result<Paged<CategoryRecord>, DbError> {
        let mut conn = pool.get().await?;
        let items = categories::table
            .order((categories::name.asc(), categories::id.asc()))
            .offset(page.skip)
            .limit(page.limit)
            .select(CATEGORY_COLUMNS)
            .load(&mut conn)
            .await?;
        let total = categories::table.count().get_result(&mut conn).await?;
        Ok(Paged { items, total })
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
