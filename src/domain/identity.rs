//! Identity: permissions and the validated values accounts are made of.
//!
//! Each newtype has a private field and a `parse` constructor, so a value of the type is
//! valid by construction (zero-to-production style).

use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::{Queryable, QueryableByName};
use uuid::Uuid;

use super::text;

crate::name_type! {
    /// A permission, by the name grants store. Each area declares those that guard it (see
    /// [`super::names`]).
    Permission from permissions
}

crate::names! {
    targets {
        User => "user",
        Role => "role",
    }
    actions {
        UserRegistered => "user.registered",
        UserUpdated => "user.updated",
        UserPasswordChanged => "user.password_changed",
        /// A password change with a wrong current password.
        UserPasswordChangeFailed => "user.password_change_failed",
        UserRolesChanged => "user.roles_changed",
        UserDeactivated => "user.deactivated",
        LoginSucceeded => "auth.login_succeeded",
        LoginFailed => "auth.login_failed",
        Logout => "auth.logout",
        /// A refresh token used twice: its whole family is revoked.
        RefreshReuseDetected => "auth.refresh_reuse_detected",
        RoleCreated => "role.created",
        RoleUpdated => "role.updated",
        RoleDeleted => "role.deleted",
    }
    permissions {
        UsersRead => "users:read",
        UsersWrite => "users:write",
        RolesRead => "roles:read",
        RolesWrite => "roles:write",
    }
}

/// A permission an operation needs, as a type (see [`permission`]).
pub trait Needs: Send + Sync + 'static {
    const PERMISSION: Permission;
}

impl Permission {
    pub fn parse(raw: &str) -> Option<Self> {
        Self::all().find(|p| p.as_str() == raw)
    }
}

/// A permission as a request names it: one of the names of [`Permission`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermissionName(pub Permission);

impl PermissionName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Permission::parse(raw).map(Self).ok_or_else(|| {
            let names: Vec<&str> = Permission::all().map(|p| p.as_str()).collect();
            Invalid::new(format!("must be one of: {}", names.join(", ")))
        })
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

crate::string_value!(
    PermissionName,
    "permission",
    poem_openapi::registry::MetaSchema {
        description: Some("A permission name (see `GET /api/v1/permissions`)."),
        enum_items: Permission::all()
            .map(|p| serde_json::Value::from(p.as_str()))
            .collect(),
        ..poem_openapi::registry::MetaSchema::new("string")
    }
);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The built-in role registration gives.
pub const DEFAULT_ROLE: &str = "user";
pub const ADMIN_ROLE: &str = "admin";

/// A change to who a user is or what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityChange {
    User(uuid::Uuid),
    /// A role or its permissions: anyone may hold it.
    Everyone,
}

pub use super::value::Invalid;

/// An email address, trimmed and lowercased (stored and compared that way).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Exactly what [`text::EMAIL_PATTERN`] admits, at most 254 characters once trimmed.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        static SHAPE: LazyLock<regex::Regex> =
            LazyLock::new(|| regex::Regex::new(text::EMAIL_PATTERN).expect("a valid pattern"));
        let email = raw.trim().to_lowercase();
        if email.len() <= 254 && SHAPE.is_match(raw) {
            Ok(Self(email))
        } else {
            Err(Invalid::new("must be a valid email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::string_value!(
    Email,
    "email",
    super::value::string_schema(
        text::EMAIL_IN_WORDS,
        None,
        Some(254),
        Some(text::EMAIL_PATTERN)
    )
);

pub use super::credentials::{Password, PresentedPassword, PresentedRefreshToken};

/// A person's name: 1..=255 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        text::line(raw, 1..=255, "must be 1 to 255 characters after trimming").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::string_value!(
    FullName,
    "full_name",
    super::value::string_schema(
        text::LINE_IN_WORDS,
        Some(1),
        Some(255),
        Some(text::LINE_PATTERN)
    )
);

/// A role's description: free text of at most 500 characters; blank is none.
pub type RoleDescription = text::Text<500>;

/// What [`RoleName::parse`] accepts.
pub const ROLE_NAME_PATTERN: &str = "^[a-z][a-z0-9_-]{1,49}$";

/// A role name: lowercase letter first, then 1..=49 of `[a-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let valid = (2..=50).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "must be 2 to 50 characters: a lowercase letter, then lowercase letters, digits, \
                 '_' or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::string_value!(
    RoleName,
    "role_name",
    super::value::string_schema(
        "A role name: 2 to 50 characters, a lowercase letter, then lowercase letters, \
         digits, '_' or '-'.",
        Some(2),
        Some(50),
        Some(ROLE_NAME_PATTERN)
    )
);

/// A user as stored and shown: the row plus role names and effective permissions (sorted).
/// Fields in the repository's column order (`Queryable` is positional); the SQL types are
/// for the queries written in SQL.
#[derive(Debug, Clone, PartialEq, QueryableByName, Queryable)]
pub struct UserRecord {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Bool)]
    pub is_active: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_login_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<Text>)]
    pub roles: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub permissions: Vec<String>,
}

/// A role as stored and shown: the row plus its permission names (sorted).
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct RoleRecord {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Bool)]
    pub is_builtin: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Array<Text>)]
    pub permissions: Vec<String>,
}

/// A permission and what it allows, as listed.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct PermissionRecord {
    pub name: String,
    pub description: String,
}

/// Filters of the user list; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Case-insensitive substring of email or full name, taken literally.
    pub q: Option<String>,
    pub is_active: Option<bool>,
    /// Users holding the role with this name.
    pub role: Option<String>,
}

#[cfg(test)]
mod tests;
