//! Products: live rows, changes under a row lock, soft deletion and atomic stock adjustments,
//! each committed with its audit events.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::products;
use super::{DbError, Guarded, PgOutbox, PgPool};
use crate::domain::audit::AuditEvent;
use crate::domain::catalog::MAX_STOCK;
pub use crate::domain::catalog::ProductRecord;

#[derive(Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sku: String,
    pub price: Decimal,
    pub stock_quantity: i64,
    pub category_id: Uuid,
}

/// Column changes; `description: Some(None)` clears it.
#[derive(Debug, Default, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub sku: Option<String>,
    pub price: Option<Decimal>,
    pub category_id: Option<Uuid>,
}

columns! {
    /// The columns of [`ProductRecord`].
    pub const PRODUCT_COLUMNS = products(
        id,
        name,
        description,
        sku,
        price,
        stock_quantity,
        category_id,
        is_active,
        version,
        created_at,
        updated_at,
    );
}

/// Why a stock adjustment was refused: it would leave less than nothing, or more than a
/// product may hold.
#[derive(Debug, PartialEq, Eq)]
pub struct StockOutOfRange {
    pub available: i64,
}

/// The constraint names the service maps to client errors.
pub const SKU_TAKEN: &str = "products_sku_key";
pub const UNKNOWN_CATEGORY: &str = "products_category_id_fkey";

#[derive(Clone, Copy, Debug, Default)]
pub struct PgProductRepo;

impl PgProductRepo {
    /// The live product with this id.
    pub async fn find(&self, pool: &PgPool, id: Uuid) -> Result<Option<ProductRecord>, DbError> {
        let mut conn = pool.get().await?;
        Ok(products::table
            .find(id)
            .filter(products::is_active)
            .select(PRODUCT_COLUMNS)
            .first(&mut conn)
            .await
            .optional()?)
    }

    /// Inserts the product with the events `audit` builds from it. A taken SKU fails
    /// [`SKU_TAKEN`], an unknown category [`UNKNOWN_CATEGORY`].
    pub async fn create<F>(
        &self,
        pool: &PgPool,
        product: &NewProduct,
        audit: F,
    ) -> Result<ProductRecord, DbError>
    where
        F: FnOnce(&ProductRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let created = diesel::insert_into(products::table)
                .values(product)
                .returning(PRODUCT_COLUMNS)
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
    ) -> Result<Option<ProductRecord>, DbError> {
        Ok(products::table
            .find(id)
            .filter(products::is_active)
            .select(PRODUCT_COLUMNS)
            .for_update()
            .first(conn)
            .await
            .optional()?)
    }

    /// Locks the live product, asks `plan` what to change given its current state (`Ok(None)`:
    /// nothing, `Err`: refused), applies it with a new version and records what `audit` makes
    /// of before/after.
    pub async fn update<R, P, F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        plan: P,
        audit: F,
    ) -> Result<Guarded<ProductRecord, R>, DbError>
    where
        R: Send,
        P: FnOnce(&ProductRecord) -> Result<Option<ProductChanges>, R> + Send,
        F: FnOnce(&ProductRecord, &ProductRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(before) = self.lock(conn, id).await? else {
                return Ok(Guarded::NotFound);
            };
            let changes = match plan(&before) {
                Ok(Some(changes)) => changes,
                Ok(None) => return Ok(Guarded::Done(before)),
                Err(refusal) => return Ok(Guarded::Refused(refusal)),
            };
            let after = diesel::update(products::table.find(id))
                .set((
                    &changes,
                    products::version.eq(products::version + 1),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .returning(PRODUCT_COLUMNS)
                .get_result(conn)
                .await?;
            PgOutbox.append_all(conn, &audit(&before, &after)).await?;
            Ok(Guarded::Done(after))
        })
        .await
    }

    /// Marks the live product deleted (new version) and records what `audit` makes of it;
    /// `None` when there is no live product with this id.
    pub async fn soft_delete<F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        audit: F,
    ) -> Result<Option<ProductRecord>, DbError>
    where
        F: FnOnce(&ProductRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let deleted = diesel::update(products::table.find(id).filter(products::is_active))
                .set((
                    products::is_active.eq(false),
                    products::deleted_at.eq(diesel::dsl::now),
                    products::version.eq(products::version + 1),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .returning(PRODUCT_COLUMNS)
                .get_result(conn)
                .await
                .optional()?;
            if let Some(deleted) = &deleted {
                PgOutbox.append_all(conn, &audit(deleted)).await?;
            }
            Ok(deleted)
        })
        .await
    }

    /// Adds `delta` to the stock in one conditional UPDATE, so concurrent adjustments queue
    /// on the row and each sees the last one's result: none is lost, and one that would take
    /// the stock below zero changes nothing. `audit` gets the product after the change.
    pub async fn adjust_stock<F>(
        &self,
        pool: &PgPool,
        id: Uuid,
        delta: i64,
        audit: F,
    ) -> Result<Guarded<ProductRecord, StockOutOfRange>, DbError>
    where
        F: FnOnce(&ProductRecord) -> Vec<AuditEvent> + Send,
    {
        let mut conn = pool.get().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let adjusted = diesel::update(
                products::table
                    .find(id)
                    .filter(products::is_active)
                    .filter((products::stock_quantity + delta).between(0, MAX_STOCK)),
            )
            .set((
                products::stock_quantity.eq(products::stock_quantity + delta),
                products::version.eq(products::version + 1),
                products::updated_at.eq(diesel::dsl::now),
            ))
            .returning(PRODUCT_COLUMNS)
            .get_result(conn)
            .await
            .optional()?;
            if let Some(adjusted) = adjusted {
                PgOutbox.append_all(conn, &audit(&adjusted)).await?;
                return Ok(Guarded::Done(adjusted));
            }
            // Nothing matched: either no live product, or the stock would leave its range.
            let available: Option<i64> = products::table
                .find(id)
                .filter(products::is_active)
                .select(products::stock_quantity)
                .first(conn)
                .await
                .optional()?;
            Ok(match available {
                Some(available) => Guarded::Refused(StockOutOfRange { available }),
                None => Guarded::NotFound,
            })
        })
        .await
    }
}
