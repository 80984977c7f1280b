//! `/api/v1/products`, `/api/v1/products/{id}` and `/api/v1/products/{id}/stock-adjustments`.

use std::sync::Arc;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use super::money::{PriceInput, PriceParam};
use super::permitted::{Permitted, permission};
use super::views::Page;
use crate::domain::catalog::{
    AdjustmentReason, ProductDescription, ProductName, ProductRecord, ProductSort, Sku, StockDelta,
    StockQuantity,
};
use crate::domain::page::{PageRequest, Paged};
use crate::domain::text::SearchTerm;
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::http::settable::{Clearable, Settable};
use crate::http::tagged::{TaggedPage, TaggedVersion};
use crate::http::versioning;
use crate::service::products::{NewProductInput, ProductQuery, ProductService, ProductUpdate};

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CreateProductRequest {
    pub name: ProductName,
    #[serde(default)]
    pub description: Clearable<ProductDescription>,
    pub sku: Sku,
    pub price: PriceInput,
    /// Starting stock, 0 to 1000000000 (default 0). Later changes go through
    /// stock adjustments.
    #[serde(default)]
    #[oai(default)]
    pub stock_quantity: StockQuantity,
    /// An existing category (an unknown id is 422).
    pub category_id: Uuid,
    /// A live supplier (an unknown or deleted one is 422); none by default.
    #[serde(default)]
    pub supplier_id: Clearable<Uuid>,
}

/// Only the fields present change. Stock changes through stock adjustments only.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateProductRequest {
    pub name: Settable<ProductName>,
    /// Free text without control characters other than line breaks and tabs; `null` or
    /// blank removes it.
    pub description: Clearable<ProductDescription>,
    pub sku: Settable<Sku>,
    pub price: Settable<PriceInput>,
    pub category_id: Settable<Uuid>,
    /// A live supplier (422 otherwise); `null` removes it.
    pub supplier_id: Clearable<Uuid>,
}

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct StockAdjustmentRequest {
    pub delta: StockDelta,
    /// Why, for the audit trail: one line of 1 to 200 characters once trimmed, without
    /// control characters.
    pub reason: AdjustmentReason,
}

/// One product, with its version as a strong entity tag.
#[derive(ApiResponse)]
pub enum ProductResponse {
    /// The product as it now is; `ETag` is its version, `"<version>"`.
    #[oai(status = 200)]
    Ok(Json<ProductRecord>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum CreateProductResponse {
    /// Created at `Location`, version 1 (`ETag: "1"`).
    #[oai(status = 201)]
    Created(
        Json<ProductRecord>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
pub enum DeleteProductResponse {
    /// Deleted (softly): it now reads as absent.
    #[oai(status = 204)]
    Deleted,
}

fn etag(product: &ProductRecord) -> String {
    versioning::etag(product.version)
}

fn one(product: ProductRecord) -> ProductResponse {
    let tag = etag(&product);
    ProductResponse::Ok(Json(product), tag)
}

/// `If-Match`: `*`, or a list of entity tags of which a strong `"<version>"` may match.
/// Weak tags (`W/"3"`) never match, as RFC 9110 requires strong comparison here; anything
/// that is not a version matches nothing.
pub struct ProductsApi {
    pub products: ProductService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Catalog")]
impl ProductsApi {
    /// List and search live products.
    ///
    /// Needs `products:read`; recorded as `product.searched` activity. Filters combine with
    /// AND. `q` matches name or SKU as a literal, case-insensitive substring (`%` and `_` are
    /// ordinary characters). Price bounds are inclusive. `in_stock=true` keeps products with
    /// stock above zero, `false` those with none.
    #[oai(path = "/products", method = "get", operation_id = "list_products")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        auth: Permitted<permission::ProductsRead>,
        /// Only products in this category.
        category_id: Query<Option<Uuid>>,
        /// Only products from this supplier.
        supplier_id: Query<Option<Uuid>>,
        /// Substring of name or SKU (at most 200 characters, no control characters).
        q: Query<Option<SearchTerm<200>>>,
        /// Lowest price, inclusive.
        min_price: Query<Option<PriceParam>>,
        /// Highest price, inclusive (not below `min_price`).
        max_price: Query<Option<PriceParam>>,
        /// Stock above zero (`true`) or none (`false`).
        in_stock: Query<Option<bool>>,
        /// Order (default `name`); ties are broken by id.
        sort: Query<Option<ProductSort>>,
        page: PageRequest,
        /// The `ETag` of an earlier answer: 304 with no body while the page is the same.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<TaggedPage<Page<ProductRecord>>, ApiError> {
        let query = ProductQuery {
            category_id: category_id.0,
            supplier_id: supplier_id.0,
            q: q.0.and_then(SearchTerm::into_option),
            min_price: min_price.0.map(|p| p.0),
            max_price: max_price.0.map(|p| p.0),
            in_stock: in_stock.0,
            sort: sort.0.unwrap_or_default(),
        };
        let found = self.products.list(&auth.0, query, page).await?;
        let page = Page::of(Paged::clone(&found), page);
        TaggedPage::answer(&page, if_none_match.0.as_deref())
    }

    /// Create a product.
    ///
    /// Needs `products:write`; recorded as `product.created`. A SKU already used by a live
    /// product, ignoring case, is 409; an unknown category 422.
    #[oai(path = "/products", method = "post", operation_id = "create_product")]
    async fn create(
        &self,
        auth: Permitted<permission::ProductsWrite>,
        body: Body<CreateProductRequest>,
    ) -> Result<CreateProductResponse, ApiError> {
        let body = body.0;
        let input = NewProductInput {
            name: body.name,
            description: body.description.into_option(),
            sku: body.sku,
            price: body.price.0,
            stock_quantity: body.stock_quantity,
            category_id: body.category_id,
            supplier_id: body.supplier_id.into_option(),
        };
        let product = self.products.create(&auth.0, input).await?;
        let location = format!("/api/v1/products/{}", product.id);
        let tag = etag(&product);
        Ok(CreateProductResponse::Created(Json(product), location, tag))
    }

    /// One live product.
    ///
    /// Needs `products:read`; recorded as `product.viewed` activity. 404 once deleted.
    #[oai(path = "/products/:id", method = "get", operation_id = "get_product")]
    async fn get(
        &self,
        auth: Permitted<permission::ProductsRead>,
        /// The product's id.
        id: Path<Uuid>,
        /// A tag from an earlier answer: 304 with no body while it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<TaggedVersion<Arc<ProductRecord>>, ApiError> {
        let product = self.products.get(&auth.0, id.0).await?;
        TaggedVersion::answer(&product, product.version, if_none_match.0.as_deref())
    }

    /// Change some of a product's fields.
    ///
    /// Needs `products:write`; recorded as `product.updated` with what changed. A change bumps
    /// `version`, no change keeps it. With `If-Match: "<version>"` the change applies only
    /// while the product is at that version; otherwise 412 and nothing changes. A SKU taken by
    /// another live product is 409, an unknown category 422.
    #[oai(
        path = "/products/:id",
        method = "patch",
        operation_id = "update_product"
    )]
    async fn update(
        &self,
        auth: Permitted<permission::ProductsWrite>,
        /// The product's id.
        id: Path<Uuid>,
        /// `"<version>"` (as in `ETag`), a list of them, or `*`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Body<UpdateProductRequest>,
    ) -> Result<ProductResponse, ApiError> {
        let body = body.0;
        let update = ProductUpdate {
            name: body.name.into(),
            description: body.description.into_maybe_undefined().into(),
            sku: body.sku.into(),
            price: body.price.into_option().map(|p| p.0),
            category_id: body.category_id.into(),
            supplier_id: body.supplier_id.into_maybe_undefined().into(),
        };
        let expected = if_match.0.as_deref().map(versioning::parse_if_match);
        let product = self
            .products
            .update(&auth.0, id.0, update, expected)
            .await?;
        Ok(one(product))
    }

    /// Delete a product (softly).
    ///
    /// Needs `products:delete`; recorded as `product.deleted`. It then reads as absent (404)
    /// and leaves every list; the row stays for the audit trail, and its SKU becomes free for a
    /// new product.
    #[oai(
        path = "/products/:id",
        method = "delete",
        operation_id = "delete_product"
    )]
    async fn delete(
        &self,
        auth: Permitted<permission::ProductsDelete>,
        /// The product's id.
        id: Path<Uuid>,
    ) -> Result<DeleteProductResponse, ApiError> {
        self.products.delete(&auth.0, id.0).await?;
        Ok(DeleteProductResponse::Deleted)
    }

    /// Add to or take from a product's stock.
    ///
    /// Needs `products:write`; recorded as `product.stock_adjusted` with the reason. Answers
    /// the product as it now is. Atomic: concurrent adjustments never lose one another, and one
    /// that would take the stock below zero changes nothing and is 409.
    #[oai(
        path = "/products/:id/stock-adjustments",
        method = "post",
        operation_id = "adjust_stock"
    )]
    async fn adjust_stock(
        &self,
        auth: Permitted<permission::ProductsWrite>,
        /// The product's id.
        id: Path<Uuid>,
        body: Body<StockAdjustmentRequest>,
    ) -> Result<ProductResponse, ApiError> {
        let body = body.0;
        let product = self
            .products
            .adjust_stock(&auth.0, id.0, body.delta, body.reason)
            .await?;
        Ok(one(product))
    }
}
