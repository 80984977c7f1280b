//! `/api/v1/users/me`: the caller's own account.

use crate::http::settable::Settable;
use poem_openapi::param::Query;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use super::ApiTags;
use super::audit::views::AuditEventPage;
use super::security::BearerAuth;
use super::views::UserView;
use crate::domain::audit_query::{AuditCursor, PageSize};
use crate::domain::identity::{Email, FullName, Password, PresentedPassword};
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::service::account::AccountService;
use crate::service::audit::AuditService;

#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateMeRequest {
    pub full_name: Settable<FullName>,
    pub email: Settable<Email>,
}

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// A wrong one is 422 and recorded as `user.password_change_failed`.
    pub current_password: PresentedPassword,
    /// 8 to 128 characters, not one of the 20,000 most commonly used passwords (compared
    /// ignoring case and surrounding whitespace), and not the current password.
    pub new_password: Password,
}

#[derive(ApiResponse)]
pub enum PasswordChanged {
    /// Changed; every session of the account (its refresh and access tokens) has ended.
    #[oai(status = 204)]
    Changed,
}

pub struct MeApi {
    pub accounts: AccountService,
    pub audit: AuditService,
}

#[OpenApi(prefix_path = "/api/v1/users", tag = "ApiTags::Me")]
impl MeApi {
    /// The caller's account, with roles and effective permissions.
    ///
    /// Any authenticated caller; needs no permission.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn get_me(&self, auth: BearerAuth) -> Result<Json<UserView>, ApiError> {
        Ok(Json(auth.0.user.into()))
    }

    /// Change the caller's name and/or email.
    ///
    /// Any authenticated caller; needs no permission. Recorded as `user.updated`.
    #[oai(path = "/me", method = "patch", operation_id = "update_me")]
    async fn update_me(
        &self,
        auth: BearerAuth,
        body: Body<UpdateMeRequest>,
    ) -> Result<Json<UserView>, ApiError> {
        let body = body.0;
        let user = self
            .accounts
            .update_me(&auth.0, body.full_name.into(), body.email.into())
            .await?;
        Ok(Json(user.into()))
    }

    /// Change the caller's password.
    ///
    /// Any authenticated caller; needs no permission. Every session of the account ends:
    /// its refresh and access tokens stop working (this one included), so log in again with
    /// the new password.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        auth: BearerAuth,
        body: Body<ChangePasswordRequest>,
    ) -> Result<PasswordChanged, ApiError> {
        self.accounts
            .change_password(&auth.0, &body.0.current_password, body.0.new_password)
            .await?;
        Ok(PasswordChanged::Changed)
    }

    /// The caller's own audit events, newest first.
    ///
    /// Any authenticated caller; needs no permission. Those where `actor.user_id` is the
    /// caller, including failed sign-in attempts on their account, in the shape and keyset
    /// pagination of `GET /audit-events`; events of other users, even ones acting on the
    /// caller, are never included.
    #[oai(
        path = "/me/activity",
        method = "get",
        operation_id = "list_my_activity"
    )]
    async fn my_activity(
        &self,
        auth: BearerAuth,
        /// Page size, 1 to 100.
        #[oai(default)]
        limit: Query<PageSize>,
        cursor: Query<Option<AuditCursor>>,
    ) -> Result<Json<AuditEventPage>, ApiError> {
        let page = self.audit.own_activity(&auth.0, limit.0, cursor.0).await?;
        Ok(Json(page.into()))
    }
}
