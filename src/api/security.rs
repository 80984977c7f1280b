//! Bearer authentication: the token becomes a `Caller` (one PostgreSQL round trip).

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use crate::http::client_ip::ClientIp;
use crate::http::problem::ApiError;
use crate::http::request_context::current_request_id;
use crate::service::auth::{AuthService, Caller, RequestMeta};

const MAX_USER_AGENT_CHARS: usize = 512;

/// A JWT access token from `POST /api/v1/auth/login` or `/auth/refresh`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "authenticate")]
pub struct BearerAuth(pub Caller);

async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let auth = req.data::<AuthService>().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("AuthService is not in the route data"))
    })?;
    Ok(auth
        .authenticate(&bearer.token, request_meta(req))
        .await
        .map_err(ApiError::from)?)
}

/// Address, user agent and request id of the request, for audit events and rate limits.
pub fn request_meta(req: &Request) -> RequestMeta {
    RequestMeta {
        ip: req.extensions().get::<ClientIp>().map(|ip| ip.0),
        user_agent: req
            .headers()
            .get(poem::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
        request_id: current_request_id(),
    }
}
