//! `/api/v1/roles`, `/api/v1/roles/{id}` and `/api/v1/permissions`.

use crate::http::settable::{Clearable, Settable};
use poem_openapi::param::Path;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use super::views::{Page, PermissionView, RoleView};
use crate::domain::identity::{PermissionName, RoleDescription, RoleName};
use crate::domain::page::PageRequest;
use crate::domain::value::AtMost;
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::service::roles::{NewRoleInput, RoleService, RoleUpdate};

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CreateRoleRequest {
    /// Unique (a taken name is 409).
    pub name: RoleName,
    #[serde(default)]
    pub description: Clearable<RoleDescription>,
    /// Permission names (see `GET /api/v1/permissions`).
    pub permissions: AtMost<PermissionName, 50>,
}

#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateRoleRequest {
    /// New name; unique (409); built-in roles cannot be renamed (409).
    pub name: Settable<RoleName>,
    /// New description (free text without control characters other than line breaks and
    /// tabs); `null` or blank removes it.
    pub description: Clearable<RoleDescription>,
    /// The complete new permission set (replaces the old one).
    pub permissions: Settable<AtMost<PermissionName, 50>>,
}

#[derive(ApiResponse)]
pub enum CreateRoleResponse {
    #[oai(status = 201)]
    Created(Json<RoleView>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum DeleteRoleResponse {
    #[oai(status = 204)]
    Deleted,
}

pub struct RolesApi {
    pub roles: RoleService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Roles")]
impl RolesApi {
    /// List roles by name.
    ///
    /// Needs `roles:read`.
    #[oai(path = "/roles", method = "get", operation_id = "list_roles")]
    async fn list(
        &self,
        auth: Permitted<permission::RolesRead>,
        page: PageRequest,
    ) -> Result<Json<Page<RoleView>>, ApiError> {
        let found = self.roles.list(&auth.0, page).await?;
        Ok(Json(Page::of(found, page)))
    }

    /// Create a role.
    ///
    /// Needs `roles:write`; recorded as `role.created`. A taken name is 409; unknown
    /// permissions are 422. Granting permissions you do not hold yourself is 403.
    #[oai(path = "/roles", method = "post", operation_id = "create_role")]
    async fn create(
        &self,
        auth: Permitted<permission::RolesWrite>,
        body: Body<CreateRoleRequest>,
    ) -> Result<CreateRoleResponse, ApiError> {
        let body = body.0;
        let input = NewRoleInput {
            name: body.name,
            description: body.description.into_option(),
            permissions: body.permissions.0,
        };
        let role = self.roles.create(&auth.0, input).await?;
        let location = format!("/api/v1/roles/{}", role.id);
        Ok(CreateRoleResponse::Created(Json(role.into()), location))
    }

    /// One role.
    ///
    /// Needs `roles:read`; 404 when there is none with this id.
    #[oai(path = "/roles/:id", method = "get", operation_id = "get_role")]
    async fn get(
        &self,
        auth: Permitted<permission::RolesRead>,
        /// The role's id.
        id: Path<Uuid>,
    ) -> Result<Json<RoleView>, ApiError> {
        Ok(Json(self.roles.get(&auth.0, id.0).await?.into()))
    }

    /// Change a role's name, description and/or permission set.
    ///
    /// Needs `roles:write`. Recorded as `role.updated` with what changed (nothing when nothing
    /// did); holders of the role get the new permissions from their next request. Built-in
    /// roles cannot be renamed (409); their description and permissions may change, except that
    /// `admin` always keeps every permission (409). A taken name is 409, unknown permissions
    /// 422. Granting permissions you do not hold, or changing a role that has permissions you
    /// do not hold, is 403.
    #[oai(path = "/roles/:id", method = "patch", operation_id = "update_role")]
    async fn update(
        &self,
        auth: Permitted<permission::RolesWrite>,
        /// The role's id.
        id: Path<Uuid>,
        body: Body<UpdateRoleRequest>,
    ) -> Result<Json<RoleView>, ApiError> {
        let body = body.0;
        let update = RoleUpdate {
            name: body.name.into(),
            description: body.description.into_maybe_undefined().into(),
            permissions: body.permissions.into_option().map(|p| p.0),
        };
        Ok(Json(self.roles.update(&auth.0, id.0, update).await?.into()))
    }

    /// Delete a role.
    ///
    /// Needs `roles:write`; recorded as `role.deleted`. Built-in roles cannot be deleted (409).
    /// A role that any user holds cannot be deleted either (409): change those users' roles
    /// first, so each change is recorded as that user's `user.roles_changed`. Deleting a role
    /// with permissions you do not hold is 403.
    #[oai(path = "/roles/:id", method = "delete", operation_id = "delete_role")]
    async fn delete(
        &self,
        auth: Permitted<permission::RolesWrite>,
        /// The role's id.
        id: Path<Uuid>,
    ) -> Result<DeleteRoleResponse, ApiError> {
        self.roles.delete(&auth.0, id.0).await?;
        Ok(DeleteRoleResponse::Deleted)
    }

    /// The permission catalogue, by name, with descriptions.
    ///
    /// Needs `roles:read`.
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "list_permissions"
    )]
    async fn permissions(
        &self,
        auth: Permitted<permission::RolesRead>,
        page: PageRequest,
    ) -> Result<Json<Page<PermissionView>>, ApiError> {
        let found = self.roles.permissions(&auth.0, page).await?;
        Ok(Json(Page::of(found, page)))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::registry::{MetaSchemaRef, Registry};
    use poem_openapi::types::Type;

    use super::{CreateRoleRequest, UpdateRoleRequest};
    use crate::domain::identity::RoleName;

    fn name_pattern<T: Type>() -> regex::Regex {
        let mut registry = Registry::new();
        T::register(&mut registry);
        let schema = &registry.schemas[T::name().as_ref()];
        let (_, name) = schema
            .properties
            .iter()
            .find(|(n, _)| *n == "name")
            .unwrap();
        let MetaSchemaRef::Inline(name) = name else {
            panic!("inline schema expected")
        };
        regex::Regex::new(name.pattern.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn the_documented_name_pattern_is_the_domain_rule() {
        for pattern in [
            name_pattern::<CreateRoleRequest>(),
            name_pattern::<UpdateRoleRequest>(),
        ] {
            for name in [
                "ab",
                "support-team_2",
                "x1",
                "A",
                "1a",
                "a",
                "a!",
                &"a".repeat(51),
            ] {
                assert_eq!(
                    pattern.is_match(name),
                    RoleName::parse(name).is_ok(),
                    "{name}"
                );
            }
        }
    }
}
