//! Roles and the permission catalogue.
//!
//! Rules beyond the permission checks:
//! - built-in roles (`admin`, `manager`, `user`) cannot be renamed or deleted (409); their
//!   description and permissions may change, except that `admin` always keeps every
//!   permission (409), so there is always a role that can administer everything;
//! - a role held by any user cannot be deleted (409): reassign those users first, so no
//!   account loses permissions without its own `user.roles_changed` event;
//! - a caller grants only permissions they hold, and changes or deletes only roles whose
//!   permissions they all hold (else 403, recorded as `access.denied`).

use super::caller::Authorized;
use crate::domain::names::permission;
use std::collections::BTreeSet;

use uuid::Uuid;

use super::admin::Refusal;
use super::auth::{AuthService, Caller};
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, AuditEvent, AuditFields, Outcome, Target, TargetKind};
use crate::domain::identity::{
    ADMIN_ROLE, IdentityChange, Permission, PermissionName, RoleDescription, RoleName,
};
use crate::domain::page::{PageRequest, Paged};
use crate::repo::pg::roles::{NewRole, PermissionRecord, RoleChanges, RoleRecord};
use crate::repo::pg::{PgPool, PgRoleRepo, UnitOfWork};

pub struct NewRoleInput {
    pub name: RoleName,
    pub description: Option<RoleDescription>,
    pub permissions: Vec<PermissionName>,
}

/// `description: Some(None)` (or blank) clears it; `None` fields are left as they are.
#[derive(Default)]
pub struct RoleUpdate {
    pub name: Option<RoleName>,
    pub description: Option<Option<RoleDescription>>,
    pub permissions: Option<Vec<PermissionName>>,
}

#[derive(Clone)]
pub struct RoleService {
    pool: PgPool,
    roles: PgRoleRepo,
    auth: AuthService,
}

impl RoleService {
    pub fn new(pool: PgPool, auth: AuthService) -> Self {
        Self {
            pool,
            roles: PgRoleRepo,
            auth,
        }
    }

    /// Roles by name.
    pub async fn list(
        &self,
        _caller: &Authorized<permission::RolesRead>,
        page: PageRequest,
    ) -> ServiceResult<Paged<RoleRecord>> {
        Ok(self.roles.list(&self.pool, page).await?)
    }

    pub async fn get(
        &self,
        _caller: &Authorized<permission::RolesRead>,
        id: Uuid,
    ) -> ServiceResult<RoleRecord> {
        self.roles
            .find(&self.pool, id)
            .await?
            .ok_or(ServiceError::NotFound("role"))
    }

    /// The permission catalogue by name.
    pub async fn permissions(
        &self,
        _caller: &Authorized<permission::RolesRead>,
        page: PageRequest,
    ) -> ServiceResult<Paged<PermissionRecord>> {
        Ok(self.roles.permissions(&self.pool, page).await?)
    }

    /// Creates a role, recorded as `role.created`. A taken name is 409.
    pub async fn create(
        &self,
        caller: &Authorized<permission::RolesWrite>,
        input: NewRoleInput,
    ) -> ServiceResult<RoleRecord> {
        const OPERATION: &str = "create_role";
        let permissions = names_of(&input.permissions);
        if let Some(refusal) = Refusal::unless_held(caller, &permissions) {
            return Err(refusal.into_error(&self.auth, caller, OPERATION).await);
        }
        let role = NewRole {
            id: Uuid::now_v7(),
            name: input.name.as_str().to_owned(),
            description: input.description.and_then(RoleDescription::into_option),
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let created = self.roles.insert(work.conn(), &role, &permissions).await?;
        let event = caller.event(
            AuditAction::RoleCreated,
            Outcome::Success,
            Target::new(TargetKind::Role, created.id),
        );
        work.commit_with(role_changes(event, None, &created).as_slice())
            .await?;
        Ok(created)
    }

    /// Changes name, description and/or the permission set (replaced whole), recorded as
    /// `role.updated` with what changed (nothing when nothing did).
    pub async fn update(
        &self,
        caller: &Authorized<permission::RolesWrite>,
        id: Uuid,
        update: RoleUpdate,
    ) -> ServiceResult<RoleRecord> {
        const OPERATION: &str = "update_role";
        let permissions = update.permissions.as_deref().map(names_of);
        let changes = RoleChanges {
            name: update.name.map(|n| n.as_str().to_owned()),
            description: update
                .description
                .map(|d| d.and_then(RoleDescription::into_option)),
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let before = self
            .roles
            .lock(work.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("role"))?;
        if let Some(refusal) = update_refusal(
            caller,
            &before,
            changes.name.as_deref(),
            permissions.as_deref(),
        ) {
            drop(work);
            return Err(refusal.into_error(&self.auth, caller, OPERATION).await);
        }
        let after = self
            .roles
            .update(work.conn(), id, &changes, permissions.as_deref())
            .await?;
        let event = caller.event(
            AuditAction::RoleUpdated,
            Outcome::Success,
            Target::new(TargetKind::Role, id),
        );
        work.commit_with(role_changes(event, Some(&before), &after).as_slice())
            .await?;
        // Its holders' permissions may have changed.
        self.auth.identity_changed(IdentityChange::Everyone);
        Ok(after)
    }

    /// Deletes a custom role nobody holds, recorded as `role.deleted`.
    pub async fn delete(
        &self,
        caller: &Authorized<permission::RolesWrite>,
        id: Uuid,
    ) -> ServiceResult<()> {
        const OPERATION: &str = "delete_role";
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let role = self
            .roles
            .lock(work.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("role"))?;
        let holders = self.roles.holders(work.conn(), id).await?;
        if let Some(refusal) = delete_refusal(caller, &role, holders) {
            drop(work);
            return Err(refusal.into_error(&self.auth, caller, OPERATION).await);
        }
        self.roles.delete(work.conn(), id).await?;
        let event = caller
            .event(
                AuditAction::RoleDeleted,
                Outcome::Success,
                Target::new(TargetKind::Role, id),
            )
            .with_diff(Some(&role_fields(&role)), None);
        work.commit_with(&[event]).await?;
        self.auth.identity_changed(IdentityChange::Everyone);
        Ok(())
    }
}

/// Why `caller` may not give the role `before` this name and/or permission set.
fn update_refusal(
    caller: &Caller,
    before: &RoleRecord,
    name: Option<&str>,
    permissions: Option<&[String]>,
) -> Option<Refusal> {
    if before.is_builtin && name.is_some_and(|n| n != before.name) {
        return Some(Refusal::Conflict(
            "Built-in roles cannot be renamed.".to_owned(),
        ));
    }
    let keeps_all = |set: &[String]| Permission::all().all(|p| set.iter().any(|s| s == p.as_str()));
    if before.name == ADMIN_ROLE && permissions.is_some_and(|p| !keeps_all(p)) {
        return Some(Refusal::Conflict(
            "The admin role always keeps every permission.".to_owned(),
        ));
    }
    let wanted = before
        .permissions
        .iter()
        .chain(permissions.into_iter().flatten());
    Refusal::unless_held(caller, wanted)
}

/// Why `caller` may not delete `role`, which `holders` users hold.
fn delete_refusal(caller: &Caller, role: &RoleRecord, holders: i64) -> Option<Refusal> {
    if role.is_builtin {
        return Some(Refusal::Conflict(
            "Built-in roles cannot be deleted.".to_owned(),
        ));
    }
    if holders > 0 {
        return Some(Refusal::Conflict(format!(
            "The role is held by {holders} user(s); change their roles first."
        )));
    }
    Refusal::unless_held(caller, &role.permissions)
}

/// What a role's events compare.
fn role_fields(role: &RoleRecord) -> AuditFields {
    vec![
        ("name", role.name.clone().into()),
        ("description", role.description.clone().into()),
        ("permissions", role.permissions.clone().into()),
    ]
}

/// The fields that differ between `before` (`None`: the role did not exist) and `after`.
fn role_changes(
    event: AuditEvent,
    before: Option<&RoleRecord>,
    after: &RoleRecord,
) -> Option<AuditEvent> {
    let event = event.with_diff(before.map(role_fields).as_ref(), Some(&role_fields(after)));
    event.has_changes().then_some(event)
}

/// The permission names, deduplicated and sorted.
fn names_of(permissions: &[PermissionName]) -> Vec<String> {
    let names: BTreeSet<&str> = permissions.iter().map(PermissionName::as_str).collect();
    names.into_iter().map(str::to_owned).collect()
}
