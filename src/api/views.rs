//! Wire shapes shared by several operations (kept apart from diesel rows and BSON).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::param::Query;
use uuid::Uuid;

use crate::domain::identity::{PermissionRecord, RoleRecord, UserRecord};
use crate::service::admin::PageRequest;

/// A user account. There is no password or hash field, ever.
#[derive(Debug, Object)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Effective permissions through the roles, sorted.
    pub permissions: Vec<String>,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRecord> for UserView {
    fn from(user: UserRecord) -> Self {
        let mut roles = user.roles;
        roles.sort();
        let mut permissions = user.permissions;
        permissions.sort();
        Self {
            id: user.id,
            email: user.email,
            full_name: user.full_name,
            roles,
            permissions,
            is_active: user.is_active,
            last_login_at: user.last_login_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// A page of users: `total` counts every match, not just this page.
#[derive(Debug, Object)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub total: i64,
    pub skip: i64,
    pub limit: i64,
}

/// A role and the permissions it grants.
#[derive(Debug, Object)]
pub struct RoleView {
    pub id: Uuid,
    /// 2 to 50 characters: a lowercase letter, then lowercase letters, digits, `_` or `-`;
    /// unique.
    pub name: String,
    pub description: Option<String>,
    /// Permission names, sorted.
    pub permissions: Vec<String>,
    /// `admin`, `manager` and `user` are built in: they cannot be renamed or deleted.
    pub is_builtin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<RoleRecord> for RoleView {
    fn from(role: RoleRecord) -> Self {
        let mut permissions = role.permissions;
        permissions.sort();
        Self {
            id: role.id,
            name: role.name,
            description: role.description,
            permissions,
            is_builtin: role.is_builtin,
            created_at: role.created_at,
            updated_at: role.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct RolePage {
    pub items: Vec<RoleView>,
    pub total: i64,
    pub skip: i64,
    pub limit: i64,
}

#[derive(Debug, Object)]
pub struct PermissionView {
    pub name: String,
    pub description: String,
}

impl From<PermissionRecord> for PermissionView {
    fn from(permission: PermissionRecord) -> Self {
        Self {
            name: permission.name,
            description: permission.description,
        }
    }
}

#[derive(Debug, Object)]
pub struct PermissionPage {
    pub items: Vec<PermissionView>,
    pub total: i64,
    pub skip: i64,
    pub limit: i64,
}

/// The `skip`/`limit` query parameters of a list operation (already validated by their
/// declared bounds).
pub fn page(skip: Query<i64>, limit: Query<i64>) -> PageRequest {
    PageRequest {
        skip: skip.0,
        limit: limit.0,
    }
}

/// The default page size of list endpoints.
pub fn default_limit() -> i64 {
    20
}
