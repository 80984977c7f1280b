//! Administration of user accounts: list, read, change, deactivate, assign roles.
//!
//! Rules beyond the permission checks:
//! - nobody deactivates their own account or removes their own `admin` role (409), so an
//!   administrator cannot lock everyone out by accident;
//! - no change leaves no active account holding `admin` (409): deactivating an admin or
//!   taking their role locks every active admin's row first and counts the others, so two
//!   admins removing each other at once cannot both succeed;
//! - a caller changes only accounts whose permissions they all hold, and grants only roles
//!   whose permissions they all hold (else 403, recorded as `access.denied`): `users:write`
//!   alone is no way to become, or to disable, an administrator. Admins hold everything.

use super::caller::Authorized;
use crate::domain::names::permission;
use std::collections::BTreeSet;

use uuid::Uuid;

use super::account::user_changes;
use super::admin::Refusal;
use super::auth::{AuthService, Caller};
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, Outcome, Target, TargetKind};
use crate::domain::identity::{ADMIN_ROLE, FullName, IdentityChange, RoleName};
use crate::domain::page::{PageRequest, Paged};
use crate::repo::pg::user_admin::UserFilter;
use crate::repo::pg::users::{ProfileChanges, UserRecord};
use crate::repo::pg::{
    PgPool, PgRefreshTokenRepo, PgRoleRepo, PgUserAdminRepo, PgUserRepo, UnitOfWork,
};

/// The fields an administrator may change on an account (`PATCH /users/{id}`).
#[derive(Debug, Clone, Default)]
pub struct AccountUpdate {
    pub full_name: Option<FullName>,
    pub is_active: Option<bool>,
}

#[derive(Clone)]
pub struct AdminUserService {
    pool: PgPool,
    users: PgUserRepo,
    admin: PgUserAdminRepo,
    roles: PgRoleRepo,
    tokens: PgRefreshTokenRepo,
    auth: AuthService,
}

impl AdminUserService {
    pub fn new(pool: PgPool, auth: AuthService) -> Self {
        Self {
            pool,
            users: PgUserRepo,
            admin: PgUserAdminRepo,
            roles: PgRoleRepo,
            tokens: PgRefreshTokenRepo,
            auth,
        }
    }

    /// Users matching `filter`, newest first (a role nobody holds matches nothing).
    pub async fn list(
        &self,
        _caller: &Authorized<permission::UsersRead>,
        filter: UserFilter,
        page: PageRequest,
    ) -> ServiceResult<Paged<UserRecord>> {
        Ok(self.admin.list(&self.pool, &filter, page).await?)
    }

    pub async fn get(
        &self,
        _caller: &Authorized<permission::UsersRead>,
        id: Uuid,
    ) -> ServiceResult<UserRecord> {
        self.users
            .get_with_access(&self.pool, id)
            .await?
            .ok_or(ServiceError::NotFound("user"))
    }

    /// Changes name and/or activity. Recorded as `user.deactivated` when the account goes
    /// from active to inactive, else `user.updated`; `changes` lists every changed field,
    /// and nothing is recorded when nothing changed.
    pub async fn update(
        &self,
        caller: &Authorized<permission::UsersWrite>,
        id: Uuid,
        update: AccountUpdate,
    ) -> ServiceResult<UserRecord> {
        const OPERATION: &str = "update_user";
        let full_name = update.full_name;
        if update.is_active == Some(false) {
            refuse_self_deactivation(caller, id)?;
        }
        let changes = ProfileChanges {
            email: None,
            full_name: full_name.map(|n| n.as_str().to_owned()),
            is_active: update.is_active,
        };
        self.apply(caller, OPERATION, id, changes).await
    }

    /// Soft delete: deactivates the account and revokes its refresh tokens; its access
    /// tokens stop working at once. Idempotent: an inactive account stays so, and nothing
    /// is recorded for it.
    pub async fn deactivate(
        &self,
        caller: &Authorized<permission::UsersWrite>,
        id: Uuid,
    ) -> ServiceResult<()> {
        const OPERATION: &str = "deactivate_user";
        refuse_self_deactivation(caller, id)?;
        let changes = ProfileChanges {
            is_active: Some(false),
            ..ProfileChanges::default()
        };
        self.apply(caller, OPERATION, id, changes).await.map(|_| ())
    }

    async fn apply(
        &self,
        caller: &Caller,
        operation: &str,
        id: Uuid,
        changes: ProfileChanges,
    ) -> ServiceResult<UserRecord> {
        let deactivates = changes.is_active == Some(false);
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let (before, other_admins) = self.lock_user(&mut work, id, deactivates).await?;
        let refusal = Refusal::unless_held(caller, &before.permissions).or_else(|| {
            (deactivates && is_last_active_admin(&before, other_admins)).then(last_admin_refusal)
        });
        if let Some(refusal) = refusal {
            drop(work);
            return Err(refusal.into_error(&self.auth, caller, operation).await);
        }
        let after = self.users.update_profile(work.conn(), id, &changes).await?;
        if deactivates {
            // A later reactivation must not revive old sessions.
            self.tokens.revoke_all_for_user(work.conn(), id).await?;
        }
        let action = if before.is_active && !after.is_active {
            AuditAction::UserDeactivated
        } else {
            AuditAction::UserUpdated
        };
        let event = caller.event(action, Outcome::Success, Target::new(TargetKind::User, id));
        work.commit_with(user_changes(event, &before, &after).as_slice())
            .await?;
        self.auth.identity_changed(IdentityChange::User(id));
        Ok(after)
    }

    /// Replaces the account's roles with `names` (duplicates ignored). Unknown names are 422
    /// (field `roles`); the change is recorded as `user.roles_changed` with the sorted names
    /// before and after (nothing when the set is unchanged).
    pub async fn set_roles(
        &self,
        caller: &Authorized<permission::UsersWrite>,
        id: Uuid,
        names: &[RoleName],
    ) -> ServiceResult<UserRecord> {
        const OPERATION: &str = "set_user_roles";
        let wanted: Vec<String> = names
            .iter()
            .map(|name| name.as_str().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let found = self.roles.find_by_names(&self.pool, &wanted).await?;
        let unknown: Vec<&str> = wanted
            .iter()
            .filter(|name| !found.iter().any(|role| &role.name == *name))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(ServiceError::invalid(
                "roles",
                &format!("unknown roles: {}", unknown.join(", ")),
            ));
        }
        let role_ids: Vec<Uuid> = found.iter().map(|role| role.id).collect();
        let keeps_admin = wanted.iter().any(|name| name == ADMIN_ROLE);
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let (before, other_admins) = self.lock_user(&mut work, id, !keeps_admin).await?;
        let refusal = if id == caller.id() && holds_admin(&before) && !keeps_admin {
            Some(Refusal::Conflict(
                "You cannot remove your own admin role.".to_owned(),
            ))
        } else {
            let granted = found
                .iter()
                .filter(|role| !before.roles.contains(&role.name))
                .flat_map(|role| &role.permissions);
            Refusal::unless_held(caller, before.permissions.iter().chain(granted)).or_else(|| {
                (!keeps_admin && is_last_active_admin(&before, other_admins))
                    .then(last_admin_refusal)
            })
        };
        if let Some(refusal) = refusal {
            drop(work);
            return Err(refusal.into_error(&self.auth, caller, OPERATION).await);
        }
        let after = self.admin.set_roles(work.conn(), id, &role_ids).await?;
        let (from, to) = (sorted(&before.roles), sorted(&after.roles));
        if from != to {
            let event = caller
                .event(
                    AuditAction::UserRolesChanged,
                    Outcome::Success,
                    Target::new(TargetKind::User, id),
                )
                .with_change("roles", from.into(), to.into());
            work.record(&[event]).await?;
        }
        work.commit().await?;
        self.auth.identity_changed(IdentityChange::User(id));
        Ok(after)
    }

    /// Locks the user; with `guard_admins`, first every active admin (in id order, so that
    /// changes that could remove the last one queue instead of deadlocking), and counts the
    /// active admins other than this user.
    async fn lock_user(
        &self,
        work: &mut UnitOfWork,
        id: Uuid,
        guard_admins: bool,
    ) -> ServiceResult<(UserRecord, Option<i64>)> {
        if guard_admins {
            self.admin.lock_active_admins(work.conn()).await?;
        }
        let user = self
            .users
            .lock(work.conn(), id)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let others = match guard_admins {
            true => Some(self.admin.other_active_admins(work.conn(), id).await?),
            false => None,
        };
        Ok((user, others))
    }
}

fn refuse_self_deactivation(caller: &Caller, id: Uuid) -> ServiceResult<()> {
    if id == caller.id() {
        return Err(ServiceError::Conflict(
            "You cannot deactivate your own account.".to_owned(),
        ));
    }
    Ok(())
}

fn holds_admin(user: &UserRecord) -> bool {
    user.roles.iter().any(|r| r == ADMIN_ROLE)
}

/// `user` is an active admin and no other active account holds `admin` (the count comes
/// from the transaction that locked every active admin).
fn is_last_active_admin(user: &UserRecord, other_admins: Option<i64>) -> bool {
    user.is_active && holds_admin(user) && other_admins == Some(0)
}

fn last_admin_refusal() -> Refusal {
    Refusal::Conflict(
        "This change would leave no active administrator; give another account the admin \
         role first."
            .to_owned(),
    )
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names
}
