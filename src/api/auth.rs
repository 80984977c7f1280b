//! `/api/v1/auth/*`: registration, login, token refresh, logout.

use poem::Request;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

use super::ApiTags;
use super::security::request_meta;
use super::views::UserView;
use crate::domain::identity::{
    Email, FullName, Password, PresentedPassword, PresentedRefreshToken,
};
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::service::auth::{AuthService, Registration, TokenPair};

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// An email address, stored trimmed and lowercased; unique case-insensitively.
    pub email: Email,
    /// 8 to 128 characters, and not one of the 20,000 most commonly used passwords
    /// (compared ignoring case and surrounding whitespace).
    pub password: Password,
    pub full_name: FullName,
}

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: Email,
    pub password: PresentedPassword,
}

#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenRequest {
    pub refresh_token: PresentedRefreshToken,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct TokenPairView {
    /// JWT (HS256) for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single use: each refresh returns a new one.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl From<TokenPair> for TokenPairView {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: "Bearer".to_owned(),
            expires_in: pair.expires_in,
        }
    }
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// The account, with the `user` role.
    #[oai(status = 201)]
    Created(Json<UserView>, #[oai(header = "Location")] String),
}

#[derive(ApiResponse)]
pub enum TokenResponse {
    #[oai(status = 200)]
    Ok(Json<TokenPairView>),
}

#[derive(ApiResponse)]
pub enum LogoutResponse {
    /// The refresh token's whole family (the session) is revoked, and its access tokens stop
    /// working at once.
    #[oai(status = 204)]
    LoggedOut,
}

pub struct AuthApi {
    pub auth: AuthService,
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Create an account.
    ///
    /// Open to anyone (no token); rate limited per client IP. The account gets the `user`
    /// role.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        req: &Request,
        body: Body<RegisterRequest>,
    ) -> Result<RegisterResponse, ApiError> {
        let body = body.0;
        let registration = Registration {
            email: body.email,
            password: body.password,
            full_name: body.full_name,
        };
        let user = self.auth.register(registration, &request_meta(req)).await?;
        let location = format!("/api/v1/users/{}", user.id);
        Ok(RegisterResponse::Created(Json(user.into()), location))
    }

    /// Sign in: exchange email and password for a token pair.
    ///
    /// Open to anyone (no token). An unknown email, a wrong password and a deactivated
    /// account all answer the same 401. Rate limited per client IP and per email.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        req: &Request,
        body: Body<LoginRequest>,
    ) -> Result<TokenResponse, ApiError> {
        let pair = self
            .auth
            .login(&body.0.email, &body.0.password, &request_meta(req))
            .await?;
        Ok(TokenResponse::Ok(Json(pair.into())))
    }

    /// Exchange a refresh token for a new token pair.
    ///
    /// For anyone holding a refresh token: the presented one is used up and a new pair is
    /// returned. Presenting an already-used token is reuse: 401, and its whole family is
    /// revoked.
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        req: &Request,
        body: Body<RefreshTokenRequest>,
    ) -> Result<TokenResponse, ApiError> {
        let pair = self
            .auth
            .refresh(&body.0.refresh_token, &request_meta(req))
            .await?;
        Ok(TokenResponse::Ok(Json(pair.into())))
    }

    /// Sign out: end the session of a refresh token.
    ///
    /// For anyone holding a refresh token: its family (this session's tokens) is revoked.
    /// Unknown or already revoked tokens are 401.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        req: &Request,
        body: Body<RefreshTokenRequest>,
    ) -> Result<LogoutResponse, ApiError> {
        self.auth
            .logout(&body.0.refresh_token, &request_meta(req))
            .await?;
        Ok(LogoutResponse::LoggedOut)
    }
}
