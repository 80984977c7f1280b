//! Categories: read with `products:read`, changed with `categories:write`.
//!
//! Names are unique ignoring case (409); a category that live products use cannot be
//! deleted (409): move or delete those products first.

use super::caller::Authorized;
use crate::domain::names::permission;
use uuid::Uuid;

use super::ServiceContext;
use super::catalog_events;
use super::error::{ServiceError, ServiceResult};
use crate::domain::catalog::{CategoryDescription, CategoryName};
use crate::domain::page::{PageRequest, Paged};
use crate::repo::pg::categories::{CategoryChanges, CategoryRecord, NewCategory};
use crate::repo::pg::{PgCategoryRepo, PgPool, UnitOfWork};

pub struct NewCategoryInput {
    pub name: CategoryName,
    pub description: Option<CategoryDescription>,
}

/// `None` fields stay as they are; `description: Some(None)` (or blank) clears it.
#[derive(Default)]
pub struct CategoryUpdate {
    pub name: Option<CategoryName>,
    pub description: Option<Option<CategoryDescription>>,
}

#[derive(Clone)]
pub struct CategoryService {
    pool: PgPool,
    categories: PgCategoryRepo,
}

impl CategoryService {
    pub fn new(services: &ServiceContext) -> Self {
        Self {
            pool: services.pool.clone(),
            categories: PgCategoryRepo,
        }
    }

    /// Categories by name.
    pub async fn list(
        &self,
        _caller: &Authorized<permission::ProductsRead>,
        page: PageRequest,
    ) -> ServiceResult<Paged<CategoryRecord>> {
        Ok(self.categories.list(&self.pool, page).await?)
    }

    pub async fn get(
        &self,
        _caller: &Authorized<permission::ProductsRead>,
        id: Uuid,
    ) -> ServiceResult<CategoryRecord> {
        Ok(self.categories.find(&self.pool, id).await?)
    }

    /// Creates a category, recorded as `category.created`.
    pub async fn create(
        &self,
        caller: &Authorized<permission::CategoriesWrite>,
        input: NewCategoryInput,
    ) -> ServiceResult<CategoryRecord> {
        let category = NewCategory {
            id: Uuid::now_v7(),
            name: input.name.into_inner(),
            description: input.description.and_then(CategoryDescription::into_option),
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let created = self.categories.insert(work.conn(), &category).await?;
        work.commit_with(&[catalog_events::category_created(caller, &created)])
            .await?;
        Ok(created)
    }

    /// Changes name and/or description, recorded as `category.updated` with what changed
    /// (nothing when nothing did).
    pub async fn update(
        &self,
        caller: &Authorized<permission::CategoriesWrite>,
        id: Uuid,
        update: CategoryUpdate,
    ) -> ServiceResult<CategoryRecord> {
        let name = update.name.map(CategoryName::into_inner);
        let description = update
            .description
            .map(|d| d.and_then(CategoryDescription::into_option));
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let before = self.categories.lock(work.conn(), id).await?;
        let changes = CategoryChanges {
            name: name.filter(|n| *n != before.name),
            description: description.filter(|d| *d != before.description),
        };
        if changes == CategoryChanges::default() {
            return Ok(before);
        }
        let after = self.categories.update(work.conn(), id, &changes).await?;
        let event = catalog_events::category_updated(caller, &before, &after);
        work.commit_with(event.as_slice()).await?;
        Ok(after)
    }

    /// Deletes a category no live product uses, recorded as `category.deleted`.
    pub async fn delete(
        &self,
        caller: &Authorized<permission::CategoriesWrite>,
        id: Uuid,
    ) -> ServiceResult<()> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let category = self.categories.lock(work.conn(), id).await?;
        if self.categories.in_use(work.conn(), id).await? {
            return Err(ServiceError::Conflict(
                "Products still use this category; move or delete them first.".to_owned(),
            ));
        }
        self.categories.delete(work.conn(), id).await?;
        work.commit_with(&[catalog_events::category_deleted(caller, &category)])
            .await?;
        Ok(())
    }
}
