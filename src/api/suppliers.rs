//! `/api/v1/suppliers` and `/api/v1/suppliers/{id}`.

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use super::views::Page;
use crate::domain::catalog::{SupplierName, SupplierNotes, SupplierPhone, SupplierRecord};
use crate::domain::identity::Email;
use crate::domain::page::PageRequest;
use crate::domain::text::SearchTerm;
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::http::settable::{Clearable, Settable};
use crate::http::tagged::{TaggedPage, TaggedVersion};
use crate::http::versioning;
use crate::service::suppliers::{NewSupplierInput, SupplierQuery, SupplierService, SupplierUpdate};

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CreateSupplierRequest {
    /// One line of 1 to 200 characters once trimmed, without control characters; unique
    /// among live suppliers, ignoring case (a taken name is 409).
    pub name: SupplierName,
    #[serde(default)]
    pub contact_email: Clearable<Email>,
    #[serde(default)]
    pub phone: Clearable<SupplierPhone>,
    #[serde(default)]
    pub notes: Clearable<SupplierNotes>,
}

/// Only the fields present change; `null` clears a field that may be empty.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateSupplierRequest {
    /// One line of 1 to 200 characters once trimmed, without control characters; unique
    /// among live suppliers, ignoring case (409).
    pub name: Settable<SupplierName>,
    pub contact_email: Clearable<Email>,
    pub phone: Clearable<SupplierPhone>,
    pub notes: Clearable<SupplierNotes>,
}

#[derive(ApiResponse)]
pub enum SupplierResponse {
    /// The supplier; `ETag` is its version.
    #[oai(status = 200)]
    Ok(Json<SupplierRecord>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum CreateSupplierResponse {
    /// Created at `Location`; `ETag` is its version.
    #[oai(status = 201)]
    Created(
        Json<SupplierRecord>,
        #[oai(header = "Location")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
pub enum DeleteSupplierResponse {
    /// Deleted.
    #[oai(status = 204)]
    Deleted,
}

fn one(supplier: SupplierRecord) -> SupplierResponse {
    let tag = versioning::etag(supplier.version);
    SupplierResponse::Ok(Json(supplier), tag)
}

pub struct SuppliersApi {
    pub suppliers: SupplierService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Catalog")]
impl SuppliersApi {
    /// List suppliers by name.
    ///
    /// Needs `products:read`. Live suppliers, or with `is_active=false` the deleted ones.
    #[oai(path = "/suppliers", method = "get", operation_id = "list_suppliers")]
    async fn list(
        &self,
        auth: Permitted<permission::ProductsRead>,
        /// Only suppliers whose name contains this literal text, ignoring case (without
        /// control characters; empty means no filter).
        q: Query<Option<SearchTerm<200>>>,
        /// `true` (the default): live suppliers; `false`: the deleted ones.
        is_active: Query<Option<bool>>,
        page: PageRequest,
        /// The `ETag` of an earlier answer: 304 with no body while the page is the same.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<TaggedPage<Page<SupplierRecord>>, ApiError> {
        let query = SupplierQuery {
            q: q.0.and_then(SearchTerm::into_option),
            is_active: is_active.0,
        };
        let found = self.suppliers.list(&auth.0, query, page).await?;
        TaggedPage::answer(&Page::of(found, page), if_none_match.0.as_deref())
    }

    /// Create a supplier.
    ///
    /// Needs `suppliers:write`; recorded as `supplier.created`. A name a live supplier has,
    /// ignoring case, is 409.
    #[oai(path = "/suppliers", method = "post", operation_id = "create_supplier")]
    async fn create(
        &self,
        auth: Permitted<permission::SuppliersWrite>,
        body: Body<CreateSupplierRequest>,
    ) -> Result<CreateSupplierResponse, ApiError> {
        let body = body.0;
        let input = NewSupplierInput {
            name: body.name,
            contact_email: body.contact_email.into_option(),
            phone: body.phone.into_option(),
            notes: body.notes.into_option(),
        };
        let supplier = self.suppliers.create(&auth.0, input).await?;
        let location = format!("/api/v1/suppliers/{}", supplier.id);
        let tag = versioning::etag(supplier.version);
        Ok(CreateSupplierResponse::Created(
            Json(supplier),
            location,
            tag,
        ))
    }

    /// One live supplier.
    ///
    /// Needs `products:read`. A deleted supplier is 404.
    #[oai(path = "/suppliers/:id", method = "get", operation_id = "get_supplier")]
    async fn get(
        &self,
        auth: Permitted<permission::ProductsRead>,
        /// The supplier's id.
        id: Path<Uuid>,
        /// A tag from an earlier answer: 304 with no body while it is still current.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<TaggedVersion<SupplierRecord>, ApiError> {
        let supplier = self.suppliers.get(&auth.0, id.0).await?;
        TaggedVersion::answer(&supplier, supplier.version, if_none_match.0.as_deref())
    }

    /// Change a supplier.
    ///
    /// Needs `suppliers:write`; recorded as `supplier.updated` with what changed (nothing,
    /// and no new version, when nothing did). With `If-Match: "<version>"` (or `*`) the
    /// change applies only to that version: 412 otherwise, changing nothing.
    #[oai(
        path = "/suppliers/:id",
        method = "patch",
        operation_id = "update_supplier"
    )]
    async fn update(
        &self,
        auth: Permitted<permission::SuppliersWrite>,
        /// The supplier's id.
        id: Path<Uuid>,
        /// The versions the change is for, as `"<version>"` entity tags, or `*`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: Body<UpdateSupplierRequest>,
    ) -> Result<SupplierResponse, ApiError> {
        let body = body.0;
        let update = SupplierUpdate {
            name: body.name.into(),
            contact_email: body.contact_email.into_maybe_undefined().into(),
            phone: body.phone.into_maybe_undefined().into(),
            notes: body.notes.into_maybe_undefined().into(),
        };
        let expected = if_match.0.as_deref().map(versioning::parse_if_match);
        let supplier = self
            .suppliers
            .update(&auth.0, id.0, update, expected)
            .await?;
        Ok(one(supplier))
    }

    /// Delete a supplier.
    ///
    /// Needs `suppliers:write`; recorded as `supplier.deleted`. The supplier is kept for the
    /// audit trail but reads as absent (404), and its name is free again.
    #[oai(
        path = "/suppliers/:id",
        method = "delete",
        operation_id = "delete_supplier"
    )]
    async fn delete(
        &self,
        auth: Permitted<permission::SuppliersWrite>,
        /// The supplier's id.
        id: Path<Uuid>,
    ) -> Result<DeleteSupplierResponse, ApiError> {
        self.suppliers.delete(&auth.0, id.0).await?;
        Ok(DeleteSupplierResponse::Deleted)
    }
}
