//! `/api/v1/categories` and `/api/v1/categories/{id}`.

use poem_openapi::param::{Header, Path};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use super::views::Page;
use crate::domain::catalog::{CategoryDescription, CategoryName, CategoryRecord};
use crate::domain::page::PageRequest;
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::http::settable::{Clearable, Settable};
use crate::http::tagged::TaggedPage;
use crate::service::categories::{CategoryService, CategoryUpdate, NewCategoryInput};

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// One line of 1 to 100 characters once trimmed, without control characters; unique
    /// ignoring case (a taken name is 409).
    pub name: CategoryName,
    #[serde(default)]
    pub description: Clearable<CategoryDescription>,
}

#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateCategoryRequest {
    /// New name: one line of 1 to 100 characters once trimmed, without control characters;
    /// unique ignoring case (409).
    pub name: Settable<CategoryName>,
    /// New description (free text without control characters other than line breaks and
    /// tabs); `null` or blank removes it.
    pub description: Clearable<CategoryDescription>,
}

#[derive(ApiResponse)]
pub enum CreateCategoryResponse {
    /// Created at `Location`.
    #[oai(status = 201)]
    Created(Json<CategoryRecord>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum DeleteCategoryResponse {
    /// Deleted.
    #[oai(status = 204)]
    Deleted,
}

pub struct CategoriesApi {
    pub categories: CategoryService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Catalog")]
impl CategoriesApi {
    /// List categories by name.
    ///
    /// Needs `products:read`.
    #[oai(path = "/categories", method = "get", operation_id = "list_categories")]
    async fn list(
        &self,
        auth: Permitted<permission::ProductsRead>,
        page: PageRequest,
        /// The `ETag` of an earlier answer: 304 with no body while the page is the same.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<TaggedPage<Page<CategoryRecord>>, ApiError> {
        let found = self.categories.list(&auth.0, page).await?;
        TaggedPage::answer(&Page::of(found, page), if_none_match.0.as_deref())
    }

    /// Create a category.
    ///
    /// Needs `categories:write`; recorded as `category.created`. A name already taken, ignoring
    /// case, is 409.
    #[oai(
        path = "/categories",
        method = "post",
        operation_id = "create_category"
    )]
    async fn create(
        &self,
        auth: Permitted<permission::CategoriesWrite>,
        body: Body<CreateCategoryRequest>,
    ) -> Result<CreateCategoryResponse, ApiError> {
        let input = NewCategoryInput {
            name: body.0.name,
            description: body.0.description.into_option(),
        };
        let category = self.categories.create(&auth.0, input).await?;
        let location = format!("/api/v1/categories/{}", category.id);
        Ok(CreateCategoryResponse::Created(Json(category), location))
    }

    /// One category.
    ///
    /// Needs `products:read`.
    #[oai(
        path = "/categories/:id",
        method = "get",
        operation_id = "get_category"
    )]
    async fn get(
        &self,
        auth: Permitted<permission::ProductsRead>,
        /// The category's id.
        id: Path<Uuid>,
    ) -> Result<Json<CategoryRecord>, ApiError> {
        Ok(Json(self.categories.get(&auth.0, id.0).await?))
    }

    /// Rename a category or change its description.
    ///
    /// Needs `categories:write`; recorded as `category.updated` with what changed (nothing
    /// when nothing did). A name already taken by another category, ignoring case, is 409.
    #[oai(
        path = "/categories/:id",
        method = "patch",
        operation_id = "update_category"
    )]
    async fn update(
        &self,
        auth: Permitted<permission::CategoriesWrite>,
        /// The category's id.
        id: Path<Uuid>,
        body: Body<UpdateCategoryRequest>,
    ) -> Result<Json<CategoryRecord>, ApiError> {
        let update = CategoryUpdate {
            name: body.0.name.into(),
            description: body.0.description.into_maybe_undefined().into(),
        };
        let category = self.categories.update(&auth.0, id.0, update).await?;
        Ok(Json(category))
    }

    /// Delete a category.
    ///
    /// Needs `categories:write`; recorded as `category.deleted`. 409 while live products use
    /// it: move or delete them first. Deleted products that used it lose their category
    /// reference (their audit trail keeps it).
    #[oai(
        path = "/categories/:id",
        method = "delete",
        operation_id = "delete_category"
    )]
    async fn delete(
        &self,
        auth: Permitted<permission::CategoriesWrite>,
        /// The category's id.
        id: Path<Uuid>,
    ) -> Result<DeleteCategoryResponse, ApiError> {
        self.categories.delete(&auth.0, id.0).await?;
        Ok(DeleteCategoryResponse::Deleted)
    }
}
