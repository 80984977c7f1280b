//! Products and their stock.
//!
//! Reads need `products:read`, changes `products:write`, deletion `products:delete`. Every
//! change bumps `version`; a `PATCH` may name the versions it expects (`If-Match`) and is
//! refused with 412, changing nothing, when the product has moved on. Stock changes only
//! through adjustments, which never lose an update and never go below zero (409).

use super::caller::Authorized;
use crate::domain::names::permission;
use uuid::Uuid;

use std::sync::Arc;

use super::catalog_events;
use super::error::{FieldIssue, ServiceError, ServiceResult};
use super::product_cache::{PageKey, ProductCache};
use crate::domain::activity::ActivityEvent;
use crate::domain::analytics::normalised_query;
use crate::domain::catalog::{
    AdjustmentReason, MAX_STOCK, ProductDescription, ProductName, ProductSort, Sku, StockDelta,
    StockQuantity,
};
use crate::domain::money::Price;
use crate::domain::page::{PageRequest, Paged};
use crate::domain::value::VersionPrecondition;
use crate::repo::mongo::activity_sink::ActivitySink;
use crate::repo::pg::product_list::ProductFilter;
use crate::repo::pg::products::{NewProduct, ProductChanges, ProductRecord, StockAdjustment};
use crate::repo::pg::suppliers::PgSupplierRepo;
use crate::repo::pg::{PgPool, PgProductListRepo, PgProductRepo, UnitOfWork};

pub struct NewProductInput {
    pub name: ProductName,
    pub description: Option<ProductDescription>,
    pub sku: Sku,
    pub price: Price,
    pub stock_quantity: StockQuantity,
    pub category_id: Uuid,
    pub supplier_id: Option<Uuid>,
}

/// `None` fields stay as they are; `description: Some(None)` clears it.
#[derive(Default)]
pub struct ProductUpdate {
    pub name: Option<ProductName>,
    pub description: Option<Option<ProductDescription>>,
    pub sku: Option<Sku>,
    pub price: Option<Price>,
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Option<Uuid>>,
}

/// `GET /products` parameters, checked by [`ProductService::list`].
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub q: Option<String>,
    pub min_price: Option<Price>,
    pub max_price: Option<Price>,
    pub in_stock: Option<bool>,
    pub sort: ProductSort,
}

#[derive(Clone)]
pub struct ProductService {
    pool: PgPool,
    products: PgProductRepo,
    listing: PgProductListRepo,
    suppliers: PgSupplierRepo,
    activity: ActivitySink,
    cache: ProductCache,
}

impl ProductService {
    pub fn new(pool: PgPool, activity: ActivitySink, cache: ProductCache) -> Self {
        Self {
            pool,
            products: PgProductRepo,
            listing: PgProductListRepo,
            suppliers: PgSupplierRepo,
            activity,
            cache,
        }
    }

    /// A live product, from memory when remembered (see `product_cache`); recorded as
    /// `product.viewed` activity with the category it is in now (views per category count
    /// the category a product had when it was viewed).
    pub async fn get(
        &self,
        caller: &Authorized<permission::ProductsRead>,
        id: Uuid,
    ) -> ServiceResult<Arc<ProductRecord>> {
        let product = match self.cache.product(id) {
            Some(product) => product,
            None => {
                let ticket = self.cache.product_ticket();
                let product = Arc::new(self.products.find(&self.pool, id).await?);
                self.cache.store_product(ticket, product.clone());
                product
            }
        };
        let mut viewed = ActivityEvent::new(
            "product.viewed",
            Some(caller.id()),
            "product",
            Some(id.to_string()),
        );
        if let Some(category_id) = product.category_id {
            viewed
                .metadata
                .insert("category_id".to_owned(), category_id.to_string().into());
        }
        self.activity.record(viewed);
        Ok(product)
    }

    /// A filtered, sorted page of live products; recorded as `product.searched` activity
    /// with the filters in its metadata.
    pub async fn list(
        &self,
        caller: &Authorized<permission::ProductsRead>,
        query: ProductQuery,
        page: PageRequest,
    ) -> ServiceResult<Arc<Paged<ProductRecord>>> {
        let filter = parse_query(&query)?;
        let sort = query.sort;
        // Only the first pages of the unfiltered and per-category lists are remembered.
        let key = filter
            .only_category()
            .and_then(|category| PageKey::first_pages(category, sort, page));
        let found = match key.as_ref().and_then(|key| self.cache.page(key)) {
            Some(found) => found,
            None => {
                let ticket = self.cache.page_ticket();
                let found = Arc::new(self.listing.list(&self.pool, &filter, sort, page).await?);
                if let Some(key) = key {
                    self.cache.store_page(ticket, key, found.clone());
                }
                found
            }
        };
        let mut searched =
            ActivityEvent::new("product.searched", Some(caller.id()), "product", None);
        searched.metadata = search_metadata(&query, sort, page, found.total);
        self.activity.record(searched);
        Ok(found)
    }

    /// Creates a product, recorded as `product.created`.
    pub async fn create(
        &self,
        caller: &Authorized<permission::ProductsWrite>,
        input: NewProductInput,
    ) -> ServiceResult<ProductRecord> {
        let product = NewProduct {
            id: Uuid::now_v7(),
            name: input.name.into_inner(),
            description: input.description.and_then(ProductDescription::into_option),
            sku: input.sku.into_inner(),
            price: input.price.value(),
            stock_quantity: input.stock_quantity.value(),
            category_id: input.category_id,
            supplier_id: input.supplier_id,
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        self.require_live_supplier(&mut work, product.supplier_id)
            .await?;
        let created = self.products.insert(work.conn(), &product).await?;
        work.commit_with(&[catalog_events::product_created(caller, &created)])
            .await?;
        self.cache.changed(created.id);
        Ok(created)
    }

    /// Applies a partial update, recorded as `product.updated` with what changed (a new
    /// version only when something did). A stale `expected` version is 412.
    pub async fn update(
        &self,
        caller: &Authorized<permission::ProductsWrite>,
        id: Uuid,
        update: ProductUpdate,
        expected: Option<VersionPrecondition>,
    ) -> ServiceResult<ProductRecord> {
        let changes = ProductChanges {
            name: update.name.map(ProductName::into_inner),
            description: update
                .description
                .map(|d| d.and_then(ProductDescription::into_option)),
            sku: update.sku.map(Sku::into_inner),
            price: update.price.map(Price::value),
            category_id: update.category_id,
            supplier_id: update.supplier_id,
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let before = self.products.lock(work.conn(), id).await?;
        ServiceError::unless_version(expected.as_ref(), "product", before.version)?;
        let Some(changes) = effective_changes(changes, &before) else {
            return Ok(before);
        };
        self.require_live_supplier(&mut work, changes.supplier_id.flatten())
            .await?;
        let after = self.products.update(work.conn(), id, &changes).await?;
        let event = catalog_events::product_updated(caller, &before, &after);
        work.commit_with(event.as_slice()).await?;
        self.cache.changed(id);
        Ok(after)
    }

    /// Soft-deletes a product, recorded as `product.deleted`; it then reads as absent.
    pub async fn delete(
        &self,
        caller: &Authorized<permission::ProductsDelete>,
        id: Uuid,
    ) -> ServiceResult<()> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let deleted = self.products.soft_delete(work.conn(), id).await?;
        work.commit_with(&[catalog_events::product_deleted(caller, &deleted)])
            .await?;
        self.cache.changed(id);
        Ok(())
    }

    /// Adds `delta` (negative to take away) to the stock, recorded as
    /// `product.stock_adjusted` with the reason; 409 when it would go below zero or above
    /// [`MAX_STOCK`].
    pub async fn adjust_stock(
        &self,
        caller: &Authorized<permission::ProductsWrite>,
        id: Uuid,
        delta: StockDelta,
        reason: AdjustmentReason,
    ) -> ServiceResult<ProductRecord> {
        let delta = delta.value();
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let adjusted = match self.products.adjust_stock(work.conn(), id, delta).await? {
            StockAdjustment::Done(product) => product,
            StockAdjustment::NotFound => return Err(ServiceError::NotFound("product")),
            StockAdjustment::OutOfRange { available } if available + delta < 0 => {
                return Err(ServiceError::Conflict(format!(
                    "Only {available} in stock; a change of {delta} would go below zero."
                )));
            }
            StockAdjustment::OutOfRange { available } => {
                return Err(ServiceError::Conflict(format!(
                    "{available} in stock; a change of {delta} would go above the most a \
                     product may hold, {MAX_STOCK}."
                )));
            }
        };
        let event = catalog_events::stock_adjusted(caller, &adjusted, delta, reason.as_str());
        work.commit_with(&[event]).await?;
        self.cache.changed(id);
        Ok(adjusted)
    }

    /// 422 unless `supplier` (when given) is live; it then stays so until `work` ends.
    async fn require_live_supplier(
        &self,
        work: &mut UnitOfWork,
        supplier: Option<Uuid>,
    ) -> ServiceResult<()> {
        match supplier {
            Some(id) if !self.suppliers.share_live(work.conn(), id).await? => Err(
                ServiceError::invalid("supplier_id", "no live supplier has this id"),
            ),
            _ => Ok(()),
        }
    }
}

fn parse_query(query: &ProductQuery) -> ServiceResult<ProductFilter> {
    let mut issues = Vec::new();
    let q = query.q.as_deref().filter(|q| !q.is_empty());
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        issues.push(FieldIssue::new("min_price", "must not exceed max_price"));
    }
    if !issues.is_empty() {
        return Err(ServiceError::Validation(issues));
    }
    Ok(ProductFilter {
        category_id: query.category_id,
        supplier_id: query.supplier_id,
        q: q.map(str::to_owned),
        min_price: query.min_price.map(Price::value),
        max_price: query.max_price.map(Price::value),
        in_stock: query.in_stock,
    })
}

fn search_metadata(
    query: &ProductQuery,
    sort: ProductSort,
    page: PageRequest,
    total: i64,
) -> serde_json::Map<String, serde_json::Value> {
    let metadata = serde_json::json!({
        "category_id": query.category_id,
        "supplier_id": query.supplier_id,
        "q": query.q,
        "query": query.q.as_deref().and_then(normalised_query),
        "min_price": query.min_price.map(Price::to_text),
        "max_price": query.max_price.map(Price::to_text),
        "in_stock": query.in_stock,
        "sort": sort.as_str(),
        "skip": page.skip,
        "limit": page.limit,
        "total": total,
    });
    metadata.as_object().cloned().unwrap_or_default()
}

/// The requested changes that differ from `before`; `None` when nothing would change.
fn effective_changes(requested: ProductChanges, before: &ProductRecord) -> Option<ProductChanges> {
    let changes = ProductChanges {
        name: requested.name.filter(|v| *v != before.name),
        description: requested.description.filter(|v| *v != before.description),
        sku: requested.sku.filter(|v| *v != before.sku),
        price: requested.price.filter(|v| *v != before.price.value()),
        category_id: requested
            .category_id
            .filter(|v| Some(*v) != before.category_id),
        supplier_id: requested.supplier_id.filter(|v| *v != before.supplier_id),
    };
    (changes != ProductChanges::default()).then_some(changes)
}
