//! Wire shapes shared by several operations (kept apart from diesel rows and BSON).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use crate::repo::pg::users::UserRecord;

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
