//! `/api/v1/users` and `/api/v1/users/{id}`: administration of other users' accounts.

use crate::http::settable::Settable;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use super::views::{Page, UserView};
use crate::domain::identity::UserFilter;
use crate::domain::identity::{FullName, RoleName};
use crate::domain::page::PageRequest;
use crate::domain::text::SearchTerm;
use crate::domain::value::AtMost;
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::service::user_admin::{AccountUpdate, AdminUserService};

#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateUserRequest {
    pub full_name: Settable<FullName>,
    /// `false` deactivates the account (like `DELETE`), `true` reactivates it.
    pub is_active: Settable<bool>,
}

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct SetRolesRequest {
    /// Role names; the account's roles become exactly these (duplicates are ignored, an
    /// empty list leaves the account without permissions).
    pub roles: AtMost<RoleName, 50>,
}

#[derive(ApiResponse)]
pub enum DeactivateResponse {
    /// The account is inactive (now or already); its tokens no longer work.
    #[oai(status = 204)]
    Deactivated,
}

pub struct UsersApi {
    pub users: AdminUserService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Users")]
impl UsersApi {
    /// List accounts, newest first.
    ///
    /// Needs `users:read`. Filters combine with AND. `q` matches a case-insensitive substring
    /// of the email or the full name, literally (`%`, `_` and `\` are plain characters). `role`
    /// must be a well-formed role name (else 422); one nobody holds matches nothing.
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    #[allow(clippy::too_many_arguments)] // one per documented query parameter
    async fn list(
        &self,
        auth: Permitted<permission::UsersRead>,
        /// Substring of email or full name: case-insensitive, literal, without control characters.
        q: Query<Option<SearchTerm<254>>>,
        /// Only active (`true`) or only inactive (`false`) accounts.
        is_active: Query<Option<bool>>,
        /// Only accounts holding the role with this name.
        role: Query<Option<RoleName>>,
        page: PageRequest,
    ) -> Result<Json<Page<UserView>>, ApiError> {
        let filter = UserFilter {
            q: q.0.and_then(SearchTerm::into_option),
            is_active: is_active.0,
            role: role.0.map(|r| r.as_str().to_owned()),
        };
        let found = self.users.list(&auth.0, filter, page).await?;
        Ok(Json(Page::of(found, page)))
    }

    /// One account.
    ///
    /// Needs `users:read`; 404 when there is none with this id. Deactivated accounts are still
    /// found (`is_active: false`): deactivation is a state of the account, which can be
    /// reactivated, and the list filters on it.
    #[oai(path = "/users/:id", method = "get", operation_id = "get_user")]
    async fn get(
        &self,
        auth: Permitted<permission::UsersRead>,
        /// The account's id.
        id: Path<Uuid>,
    ) -> Result<Json<UserView>, ApiError> {
        Ok(Json(self.users.get(&auth.0, id.0).await?.into()))
    }

    /// Change an account's name and/or activity.
    ///
    /// Needs `users:write`. Recorded as `user.deactivated` when `is_active` goes from true to
    /// false, otherwise as `user.updated`; `changes` lists every changed field (nothing is
    /// recorded when nothing changed). Deactivating also revokes the account's refresh tokens.
    /// Deactivating yourself is 409. Changing an account that holds permissions you lack is
    /// 403.
    #[oai(path = "/users/:id", method = "patch", operation_id = "update_user")]
    async fn update(
        &self,
        auth: Permitted<permission::UsersWrite>,
        /// The account's id.
        id: Path<Uuid>,
        body: Body<UpdateUserRequest>,
    ) -> Result<Json<UserView>, ApiError> {
        let update = AccountUpdate {
            full_name: body.0.full_name.into(),
            is_active: body.0.is_active.into(),
        };
        Ok(Json(self.users.update(&auth.0, id.0, update).await?.into()))
    }

    /// Replace an account's roles.
    ///
    /// Needs `users:write`; applies from the account's next request. Unknown role names are 422
    /// (field `roles`). Removing your own `admin` role is 409. Granting a role with permissions
    /// you lack, or changing the roles of an account that holds permissions you lack, is 403.
    /// Recorded as `user.roles_changed` with the sorted role names before and after (nothing
    /// when the set is unchanged).
    #[oai(
        path = "/users/:id/roles",
        method = "put",
        operation_id = "set_user_roles"
    )]
    async fn set_roles(
        &self,
        auth: Permitted<permission::UsersWrite>,
        /// The account's id.
        id: Path<Uuid>,
        body: Body<SetRolesRequest>,
    ) -> Result<Json<UserView>, ApiError> {
        let user = self.users.set_roles(&auth.0, id.0, &body.0.roles.0).await?;
        Ok(Json(user.into()))
    }

    /// Deactivate an account.
    ///
    /// Needs `users:write`. A soft delete: the account's access tokens stop working at once and
    /// its refresh tokens are revoked; the row stays (it can be reactivated with `PATCH
    /// {"is_active": true}`). Idempotent: an already inactive account answers 204 and nothing
    /// new is recorded. Otherwise recorded as `user.deactivated`. Deactivating yourself is 409;
    /// an account holding permissions you lack is 403.
    #[oai(
        path = "/users/:id",
        method = "delete",
        operation_id = "deactivate_user"
    )]
    async fn deactivate(
        &self,
        auth: Permitted<permission::UsersWrite>,
        /// The account's id.
        id: Path<Uuid>,
    ) -> Result<DeactivateResponse, ApiError> {
        self.users.deactivate(&auth.0, id.0).await?;
        Ok(DeactivateResponse::Deactivated)
    }
}
