//! `GET /products`: live products filtered, sorted and paged, with the total, in two
//! statements (page, count) built by diesel, so both are cached prepared statements.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use super::products::{PRODUCT_COLUMNS, ProductRecord};
use super::schema::{product_counts, products};
use super::user_admin::contains_pattern;
use super::{DbError, PgPool};
use crate::domain::catalog::ProductSort;
use crate::domain::page::{PageRequest, Paged};

/// List filters; `None` means "any". Every filter narrows to live products.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductFilter {
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    /// Case-insensitive substring of name or SKU, taken literally (`%` and `_` too).
    pub q: Option<String>,
    pub min_price: Option<Decimal>,
    pub max_price: Option<Decimal>,
    /// `true`: stock above zero; `false`: none in stock.
    pub in_stock: Option<bool>,
}

impl ProductFilter {
    /// No filter but (perhaps) the category: the total is kept in `product_counts`.
    fn has_only_category(&self) -> bool {
        self.q.is_none()
            && self.supplier_id.is_none()
            && self.min_price.is_none()
            && self.max_price.is_none()
            && self.in_stock.is_none()
    }

    /// `Some(category_id)` when nothing but (perhaps) the category filters.
    pub fn only_category(&self) -> Option<Option<Uuid>> {
        self.has_only_category().then_some(self.category_id)
    }
}

/// The filtered live products. `products::is_active` is put as a bare column (not `= $n`)
/// so that the partial indexes (`WHERE is_active`) match under generic plans too.
fn filtered(filter: &ProductFilter) -> products::BoxedQuery<'static, Pg> {
    let mut query = products::table.filter(products::is_active).into_boxed();
    if let Some(category_id) = filter.category_id {
        query = query.filter(products::category_id.eq(category_id));
    }
    if let Some(supplier_id) = filter.supplier_id {
        query = query.filter(products::supplier_id.eq(supplier_id));
    }
    if let Some(q) = &filter.q {
        let pattern = contains_pattern(q);
        query = query.filter(
            products::name
                .ilike(pattern.clone())
                .or(products::sku.ilike(pattern)),
        );
    }
    if let Some(min) = filter.min_price {
        query = query.filter(products::price.ge(min));
    }
    if let Some(max) = filter.max_price {
        query = query.filter(products::price.le(max));
    }
    match filter.in_stock {
        Some(true) => query = query.filter(products::stock_quantity.gt(0)),
        Some(false) => query = query.filter(products::stock_quantity.eq(0)),
        None => {}
    }
    query
}

fn sorted(
    query: products::BoxedQuery<'static, Pg>,
    sort: ProductSort,
) -> products::BoxedQuery<'static, Pg> {
    use products::{created_at, id, name, price};
    match sort {
        ProductSort::NameAsc => query.order((name.asc(), id.asc())),
        ProductSort::NameDesc => query.order((name.desc(), id.desc())),
        ProductSort::PriceAsc => query.order((price.asc(), id.asc())),
        ProductSort::PriceDesc => query.order((price.desc(), id.desc())),
        ProductSort::CreatedAtAsc => query.order((created_at.asc(), id.asc())),
        ProductSort::CreatedAtDesc => query.order((created_at.desc(), id.desc())),
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct PgProductListRepo;

impl PgProductListRepo {
    /// A page of live products matching `filter` in `sort` order, and how many match.
    pub async fn list(
        &self,
        pool: &PgPool,
        filter: &ProductFilter,
        sort: ProductSort,
        page: PageRequest,
    ) -> Result<Paged<ProductRecord>, DbError> {
        let mut conn = pool.get().await?;
        let items = sorted(filtered(filter), sort)
            .offset(page.skip)
            .limit(page.limit)
            .select(PRODUCT_COLUMNS)
            .load(&mut conn)
            .await?;
        // A page that is not full tells the total without counting.
        let shown = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let total = if shown < page.limit && (shown > 0 || page.skip == 0) {
            page.skip + shown
        } else if filter.has_only_category() {
            self.kept_count(&mut conn, filter.category_id).await?
        } else {
            filtered(filter).count().get_result(&mut conn).await?
        };
        Ok(Paged { items, total })
    }

    /// The live products of one category, or of all, from the trigger-kept
    /// `product_counts` instead of counting rows.
    async fn kept_count(
        &self,
        conn: &mut AsyncPgConnection,
        category_id: Option<Uuid>,
    ) -> Result<i64, DbError> {
        match category_id {
            Some(id) => Ok(product_counts::table
                .find(id)
                .select(product_counts::live)
                .first(conn)
                .await
                .optional()?
                .unwrap_or(0)),
            None => {
                let sum: Option<Decimal> = product_counts::table
                    .select(diesel::dsl::sum(product_counts::live))
                    .first(conn)
                    .await?;
                Ok(sum.and_then(|sum| sum.to_i64()).unwrap_or(0))
            }
        }
    }
}
