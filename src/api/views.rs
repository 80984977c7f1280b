//! Wire shapes shared by several operations (kept apart from diesel rows and BSON).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::identity::{PermissionRecord, RoleRecord, UserRecord};
use crate::domain::page::{PageRequest, Paged};
use crate::domain::value::{rfc3339, rfc3339_or_null};

/// A user account. There is no password or hash field, ever.
#[derive(Debug, Clone, Object, Serialize)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    /// Role names, sorted.
    pub roles: Vec<String>,
    /// Effective permissions through the roles, sorted.
    pub permissions: Vec<String>,
    pub is_active: bool,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub last_login_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
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

/// A role and the permissions it grants.
#[derive(Debug, Object, Serialize)]
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
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
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

#[derive(Debug, Object, Serialize)]
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

/// A page of a list: `total` counts every match across all pages, not just this one. The
/// document names each kind by its items (`Page_ProductView`, ...).
#[derive(Debug, Object, Serialize)]
pub struct Page<T: Type + ParseFromJSON + ToJSON + Serialize + Send + Sync> {
    pub items: Vec<T>,
    pub total: i64,
    pub skip: i64,
    pub limit: i64,
}

impl<T: Type + ParseFromJSON + ToJSON + Serialize + Send + Sync> Page<T> {
    /// The page a service found, its items shown as `T`.
    pub fn of<R: Into<T>>(found: Paged<R>, page: PageRequest) -> Self {
        Self {
            items: found.items.into_iter().map(Into::into).collect(),
            total: found.total,
            skip: page.skip,
            limit: page.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;
    use crate::domain::catalog::{CategoryRecord, ProductRecord};
    use crate::domain::money::Price;

    #[test]
    fn serde_and_poem_openapi_write_the_same_json() {
        let user = UserView {
            id: Uuid::now_v7(),
            email: "a@example.com".into(),
            full_name: "A".into(),
            roles: vec!["user".into()],
            permissions: vec!["products:read".into()],
            is_active: true,
            last_login_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let logged_in = UserView {
            last_login_at: Some(Utc::now()),
            ..user.clone()
        };
        let role = RoleView {
            id: Uuid::now_v7(),
            name: "clerk".into(),
            description: None,
            permissions: vec![],
            is_builtin: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let page = Page {
            items: vec![user, logged_in],
            total: 2,
            skip: 0,
            limit: 20,
        };
        assert_eq!(Some(serde_json::to_value(&page).unwrap()), page.to_json());
        assert_eq!(Some(serde_json::to_value(&role).unwrap()), role.to_json());
        let permission = PermissionView {
            name: "users:read".into(),
            description: "Read users".into(),
        };
        assert_eq!(
            Some(serde_json::to_value(&permission).unwrap()),
            permission.to_json()
        );
    }

    fn product(description: Option<&str>) -> ProductRecord {
        ProductRecord {
            id: Uuid::now_v7(),
            name: "Hammer \"claw\" \u{e9}".into(),
            description: description.map(str::to_owned),
            sku: "HAM-1".into(),
            price: Price::parse_text("12.5").unwrap(),
            stock_quantity: 7,
            category_id: Some(Uuid::now_v7()),
            supplier_id: None,
            is_active: true,
            version: 3,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn catalogue_records_write_the_same_json_both_ways() {
        for view in [product(None), product(Some("line\nbreak"))] {
            let serde = serde_json::to_value(&view).unwrap();
            assert_eq!(Some(serde), view.to_json());
        }
        let page = Page {
            items: vec![product(None)],
            total: 1,
            skip: 0,
            limit: 20,
        };
        assert_eq!(Some(serde_json::to_value(&page).unwrap()), page.to_json());
        let category = CategoryRecord {
            id: Uuid::now_v7(),
            name: "Tools".into(),
            description: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(
            Some(serde_json::to_value(&category).unwrap()),
            category.to_json()
        );
    }
}
