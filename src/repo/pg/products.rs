//! Products: live rows, changes under a row lock, soft deletion and atomic stock
//! adjustments, each a statement in the service's unit of work.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::schema::products;
use super::{DbError, PgPool};
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
    pub supplier_id: Option<Uuid>,
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
    pub supplier_id: Option<Option<Uuid>>,
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
        supplier_id,
        is_active,
        version,
        created_at,
        updated_at,
    );
}

/// What one conditional stock UPDATE did.
#[derive(Debug, PartialEq)]
pub enum StockAdjustment {
    Done(ProductRecord),
    NotFound,
    /// It would leave less than nothing, or more than a product may hold: nothing changed.
    OutOfRange {
        available: i64,
    },
}

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

    /// Inserts the product. A taken SKU fails `products_sku_key`, an unknown category
    /// `products_category_id_fkey`.
    pub async fn insert(
        &self,
        conn: &mut AsyncPgConnection,
        product: &NewProduct,
    ) -> Result<ProductRecord, DbError> {
        Ok(diesel::insert_into(products::table)
            .values(product)
            .returning(PRODUCT_COLUMNS)
            .get_result(conn)
            .await?)
    }

    /// The live product, locked until the transaction ends.
    pub async fn lock(
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

    /// Applies the changes with a new version.
    pub async fn update(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        changes: &ProductChanges,
    ) -> Result<ProductRecord, DbError> {
        Ok(diesel::update(products::table.find(id))
            .set((
                changes,
                products::version.eq(products::version + 1),
                products::updated_at.eq(diesel::dsl::now),
            ))
            .returning(PRODUCT_COLUMNS)
            .get_result(conn)
            .await?)
    }

    /// Marks the live product deleted (new version); `None` when there is no live product
    /// with this id.
    pub async fn soft_delete(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> Result<Option<ProductRecord>, DbError> {
        Ok(
            diesel::update(products::table.find(id).filter(products::is_active))
                .set((
                    products::is_active.eq(false),
                    products::deleted_at.eq(diesel::dsl::now),
                    products::version.eq(products::version + 1),
                    products::updated_at.eq(diesel::dsl::now),
                ))
                .returning(PRODUCT_COLUMNS)
                .get_result(conn)
                .await
                .optional()?,
        )
    }

    /// Adds `delta` to the stock in one conditional UPDATE, so concurrent adjustments queue
    /// on the row and each sees the last one's result: none is lost, and one that would take
    /// the stock out of `0..=MAX_STOCK` changes nothing.
    pub async fn adjust_stock(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        delta: i64,
    ) -> Result<StockAdjustment, DbError> {
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
            return Ok(StockAdjustment::Done(adjusted));
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
            Some(available) => StockAdjustment::OutOfRange { available },
            None => StockAdjustment::NotFound,
        })
    }
}
