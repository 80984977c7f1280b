//! Categories: read with `products:read`, changed with `categories:write`.
//!
//! Names are unique ignoring case (409); a category that live products use cannot be
//! deleted (409): move or delete those products first.

use uuid::Uuid;

use super::ServiceContext;
use super::admin::{PageRequest, Paged};
use super::auth::{AuthService, Caller, parse_fields};
use super::catalog_events;
use super::error::{ServiceError, ServiceResult};
use crate::domain::catalog;
use crate::domain::identity::Permission;
use crate::repo::pg::categories::{CategoryChanges, CategoryRecord, NewCategory};
use crate::repo::pg::{PgCategoryRepo, PgPool, UnitOfWork};

pub struct NewCategoryInput {
    pub name: String,
    pub description: Option<String>,
}

/// `None` fields stay as they are; `description: Some(None)` clears it.
#[derive(Default)]
pub struct CategoryUpdate {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

#[derive(Clone)]
pub struct CategoryService {
    pool: PgPool,
    categories: PgCategoryRepo,
    auth: AuthService,
}

impl CategoryService {
    pub fn new(services: &ServiceContext) -> Self {
        Self {
            pool: services.pool.clone(),
            categories: PgCategoryRepo,
            auth: services.auth.clone(),
        }
    }

    /// Categories by name.
    pub async fn list(
        &self,
        caller: &Caller,
        page: PageRequest,
    ) -> ServiceResult<Paged<CategoryRecord>> {
        self.auth
            .authorize(caller, Permission::ProductsRead, "list_categories")
            .await?;
        let (items, total) = self
            .categories
            .list(&self.pool, page.skip, page.limit)
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn get(&self, caller: &Caller, id: Uuid) -> ServiceResult<CategoryRecord> {
        self.auth
            .authorize(caller, Permission::ProductsRead, "get_category")
            .await?;
        self.categories
            .find(&self.pool, id)
            .await?
            .ok_or(ServiceError::NotFound("category"))
    }

    /// Creates a category, recorded as `category.created`.
    pub async fn create(
        &self,
        caller: &Caller,
        input: NewCategoryInput,
    ) -> ServiceResult<CategoryRecord> {
        self.auth
            .authorize(caller, Permission::CategoriesWrite, "create_category")
            .await?;
        let mut issues = Vec::new();
        let name = parse_fields(&mut issues, "name", catalog::category_name(&input.name));
        let description = parse_fields(
            &mut issues,
            "description",
            catalog::category_description(input.description.as_deref()),
        );
        let (Some(name), Some(description)) = (name, description) else {
            return Err(ServiceError::Validation(issues));
        };
        let category = NewCategory {
            id: Uuid::now_v7(),
            name,
            description,
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let created = self.categories.insert(work.conn(), &category).await?;
        work.record(&[catalog_events::category_created(caller, &created)])
            .await?;
        work.commit().await?;
        Ok(created)
    }

    /// Changes name and/or description, recorded as `category.updated` with what changed
    /// (nothing when nothing did).
    pub async fn update(
        &self,
        caller: &Caller,
        id: Uuid,
        update: CategoryUpdate,
    ) -> ServiceResult<CategoryRecord> {
        self.auth
            .authorize(caller, Permission::CategoriesWrite, "update_category")
            .await?;
        let mut issues = Vec::new();
        let name = match update.name.as_deref() {
            Some(raw) => parse_fields(&mut issues, "name", catalog::category_name(raw)).map(Some),
            None => Some(None),
        };
        let description = match update.description.as_ref() {
            Some(raw) => parse_fields(
                &mut issues,
                "description",
                catalog::category_description(raw.as_deref()),
            )
            .map(Some),
            None => Some(None),
        };
        let (Some(name), Some(description)) = (name, description) else {
            return Err(ServiceError::Validation(issues));
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let before = self
            .categories
            .lock(work.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("category"))?;
        let changes = CategoryChanges {
            name: name.filter(|n| *n != before.name),
            description: description.filter(|d| *d != before.description),
        };
        if changes == CategoryChanges::default() {
            return Ok(before);
        }
        let after = self.categories.update(work.conn(), id, &changes).await?;
        let event = catalog_events::category_updated(caller, &before, &after);
        work.record(event.as_slice()).await?;
        work.commit().await?;
        Ok(after)
    }

    /// Deletes a category no live product uses, recorded as `category.deleted`.
    pub async fn delete(&self, caller: &Caller, id: Uuid) -> ServiceResult<()> {
        self.auth
            .authorize(caller, Permission::CategoriesWrite, "delete_category")
            .await?;
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let category = self
            .categories
            .lock(work.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("category"))?;
        if self.categories.in_use(work.conn(), id).await? {
            return Err(ServiceError::Conflict(
                "Products still use this category; move or delete them first.".to_owned(),
            ));
        }
        self.categories.delete(work.conn(), id).await?;
        work.record(&[catalog_events::category_deleted(caller, &category)])
            .await?;
        work.commit().await?;
        Ok(())
    }
}
