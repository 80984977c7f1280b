//! Products: live rows, changes under a row lock, soft deletion and atomic stock
//! adjustments, each a statement in the service's unit of work.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::DbError;
use super::reused::Reused;
use super::schema::products;
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

row_statements! {
    PgProductRepo for products ("product"), live rows {
        record: ProductRecord = PRODUCT_COLUMNS,
        new: NewProduct,
        changes: ProductChanges,
    }
}

impl PgProductRepo {
    /// Adds `delta` to the stock in one conditional UPDATE, so concurrent adjustments queue
    /// on the row and each sees the last one's result: none is lost, and one that would take
    /// the stock out of `0..=MAX_STOCK` changes nothing.
    pub async fn adjust_stock(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        delta: i64,
    ) -> Result<StockAdjustment, DbError> {
        let adjusted = Reused(
            diesel::update(
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
            .returning(PRODUCT_COLUMNS),
        )
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
