//! Suppliers: read with `products:read`, changed with `suppliers:write`.
//!
//! Names are unique among live suppliers, ignoring case (409). Every change bumps
//! `version`; a change may name the versions it expects (`If-Match`) and is refused with
//! 412, changing nothing, when the supplier has moved on. Deletion is soft: the supplier
//! then reads as absent and its name is free again; a supplier that live products name
//! cannot be deleted (409).

use super::caller::Authorized;
use crate::domain::names::permission;
use uuid::Uuid;

use super::ServiceContext;
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, AuditFields, Outcome, Target, TargetKind};
use crate::domain::catalog::{SupplierName, SupplierNotes, SupplierPhone};
use crate::domain::identity::Email;
use crate::domain::page::{PageRequest, Paged};
use crate::domain::value::VersionPrecondition;
use crate::repo::pg::suppliers::{
    NewSupplier, PgSupplierRepo, SupplierChanges, SupplierFilter, SupplierRecord,
};
use crate::repo::pg::{PgPool, UnitOfWork};

pub struct NewSupplierInput {
    pub name: SupplierName,
    pub contact_email: Option<Email>,
    pub phone: Option<SupplierPhone>,
    pub notes: Option<SupplierNotes>,
}

/// `None` fields stay as they are; `Some(None)` clears one.
#[derive(Default)]
pub struct SupplierUpdate {
    pub name: Option<SupplierName>,
    pub contact_email: Option<Option<Email>>,
    pub phone: Option<Option<SupplierPhone>>,
    pub notes: Option<Option<SupplierNotes>>,
}

/// `GET /suppliers` filters.
#[derive(Debug, Default)]
pub struct SupplierQuery {
    pub q: Option<String>,
    /// `false` lists the deleted suppliers; live ones otherwise.
    pub is_active: Option<bool>,
}

#[derive(Clone)]
pub struct SupplierService {
    pool: PgPool,
    suppliers: PgSupplierRepo,
}

impl SupplierService {
    pub fn new(services: &ServiceContext) -> Self {
        Self {
            pool: services.pool.clone(),
            suppliers: PgSupplierRepo,
        }
    }

    /// Suppliers by name.
    pub async fn list(
        &self,
        _caller: &Authorized<permission::ProductsRead>,
        query: SupplierQuery,
        page: PageRequest,
    ) -> ServiceResult<Paged<SupplierRecord>> {
        let filter = SupplierFilter {
            q: query.q.filter(|q| !q.is_empty()),
            live: query.is_active.unwrap_or(true),
        };
        Ok(self.suppliers.list(&self.pool, &filter, page).await?)
    }

    /// A live supplier.
    pub async fn get(
        &self,
        _caller: &Authorized<permission::ProductsRead>,
        id: Uuid,
    ) -> ServiceResult<SupplierRecord> {
        Ok(self.suppliers.find(&self.pool, id).await?)
    }

    /// Creates a supplier, recorded as `supplier.created`.
    pub async fn create(
        &self,
        caller: &Authorized<permission::SuppliersWrite>,
        input: NewSupplierInput,
    ) -> ServiceResult<SupplierRecord> {
        let supplier = NewSupplier {
            id: Uuid::now_v7(),
            name: input.name.into_inner(),
            contact_email: input.contact_email.map(|e| e.as_str().to_owned()),
            phone: input.phone.map(SupplierPhone::into_inner),
            notes: input.notes.and_then(SupplierNotes::into_option),
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let created = self.suppliers.insert(work.conn(), &supplier).await?;
        let event = caller
            .event(
                AuditAction::SupplierCreated,
                Outcome::Success,
                Target::new(TargetKind::Supplier, created.id),
            )
            .with_diff(None, Some(&supplier_fields(&created)))
            .with_metadata("version", created.version.into());
        work.commit_with(&[event]).await?;
        Ok(created)
    }

    /// Applies a partial update, recorded as `supplier.updated` with what changed (a new
    /// version only when something did). A stale `expected` version is 412.
    pub async fn update(
        &self,
        caller: &Authorized<permission::SuppliersWrite>,
        id: Uuid,
        update: SupplierUpdate,
        expected: Option<VersionPrecondition>,
    ) -> ServiceResult<SupplierRecord> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let before = self.suppliers.lock(work.conn(), id).await?;
        ServiceError::unless_version(expected.as_ref(), "supplier", before.version)?;
        // Only what differs from the locked row: no new version when nothing changes.
        let changes = SupplierChanges {
            name: update
                .name
                .map(SupplierName::into_inner)
                .filter(|v| *v != before.name),
            contact_email: update
                .contact_email
                .map(|e| e.map(|e| e.as_str().to_owned()))
                .filter(|v| *v != before.contact_email),
            phone: update
                .phone
                .map(|p| p.map(SupplierPhone::into_inner))
                .filter(|v| *v != before.phone),
            notes: update
                .notes
                .map(|n| n.and_then(SupplierNotes::into_option))
                .filter(|v| *v != before.notes),
        };
        if changes == SupplierChanges::default() {
            return Ok(before);
        }
        let after = self.suppliers.update(work.conn(), id, &changes).await?;
        let event = caller
            .event(
                AuditAction::SupplierUpdated,
                Outcome::Success,
                Target::new(TargetKind::Supplier, id),
            )
            .with_diff(
                Some(&supplier_fields(&before)),
                Some(&supplier_fields(&after)),
            )
            .with_metadata("version", after.version.into());
        work.commit_with(&[event]).await?;
        Ok(after)
    }

    /// Soft-deletes a supplier no live product names, recorded as `supplier.deleted`; it
    /// then reads as absent.
    pub async fn delete(
        &self,
        caller: &Authorized<permission::SuppliersWrite>,
        id: Uuid,
    ) -> ServiceResult<()> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        self.suppliers.lock(work.conn(), id).await?;
        if self.suppliers.in_use(work.conn(), id).await? {
            return Err(ServiceError::Conflict(
                "Live products name this supplier; change or delete them first.".to_owned(),
            ));
        }
        let deleted = self.suppliers.soft_delete(work.conn(), id).await?;
        let event = caller
            .event(
                AuditAction::SupplierDeleted,
                Outcome::Success,
                Target::new(TargetKind::Supplier, id),
            )
            .with_change("is_active", true.into(), false.into())
            .with_metadata("name", deleted.name.clone().into())
            .with_metadata("version", deleted.version.into());
        work.commit_with(&[event]).await?;
        Ok(())
    }
}

/// What a supplier's events compare.
fn supplier_fields(supplier: &SupplierRecord) -> AuditFields {
    vec![
        ("name", supplier.name.clone().into()),
        ("contact_email", supplier.contact_email.clone().into()),
        ("phone", supplier.phone.clone().into()),
        ("notes", supplier.notes.clone().into()),
    ]
}
