//! `/api/v1/users/me`: the caller's own account.

use crate::http::settable::Settable;
use poem_openapi::param::Query;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::audit::default_limit;
use super::audit::views::AuditEventPage;
use super::body::JsonBody;
use super::security::BearerAuth;
use super::views::UserView;
use crate::http::json::Json;
use crate::http::problem::ApiError;
use crate::service::account::AccountService;
use crate::service::audit::AuditService;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[oai(validator(min_length = 1, max_length = 255))]
    pub full_name: Settable<String>,
    #[oai(validator(max_length = 254))]
    pub email: Settable<String>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// A wrong one is 422 and recorded as `user.password_change_failed`.
    #[oai(validator(min_length = 1, max_length = 128))]
    pub current_password: String,
    /// 8 to 128 characters, not one of the 20,000 most commonly used passwords (compared
    /// ignoring case and surrounding whitespace), and not the current password.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub new_password: String,
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
        body: JsonBody<UpdateMeRequest>,
    ) -> Result<Json<UserView>, ApiError> {
        let body = body.0;
        let user = self
            .accounts
            .update_me(
                &auth.0,
                body.full_name.as_ref().map(String::as_str),
                body.email.as_ref().map(String::as_str),
            )
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
        body: JsonBody<ChangePasswordRequest>,
    ) -> Result<PasswordChanged, ApiError> {
        self.accounts
            .change_password(&auth.0, &body.0.current_password, &body.0.new_password)
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
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u32>,
        /// `next_cursor` of the previous page; a cursor this API did not issue is 422.
        #[oai(validator(max_length = 128))]
        cursor: Query<Option<String>>,
    ) -> Result<Json<AuditEventPage>, ApiError> {
        let page = self
            .audit
            .own_activity(&auth.0, limit.0, cursor.0.as_deref())
            .await?;
        Ok(Json(page.into()))
    }
}
