//! Single-use export links: a browser cannot add an `Authorization` header to a download,
//! so an `audit:read` caller asks for a link that streams one export, once, within
//! [`EXPORT_LINK_LIFETIME`]. The link is kept in PostgreSQL (any instance serves it) as the
//! token's SHA-256; using it is recorded like an export, in the name of the user who asked
//! for it, and only while that user is active and still holds `audit:read`.

use chrono::{DateTime, TimeDelta, Utc};

use super::{AuditService, ExportRequest};
use crate::domain::audit::Outcome;
use crate::domain::audit_query::{
    ActionName, AuditFilter, ExportFormat, ExportLimit, TargetId, TargetTypeName,
};
use crate::domain::identity::Needs;
use crate::domain::names::permission;
use crate::repo::pg::UnitOfWork;
use crate::repo::pg::export_links::ExportLinkRow;
use crate::service::audit::AuditEventStream;
use crate::service::auth::RequestMeta;
use crate::service::caller::Authorized;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::tokens::{hash_opaque_token, new_opaque_token};

/// How long a link can be used after it is made.
pub const EXPORT_LINK_LIFETIME: TimeDelta = TimeDelta::seconds(60);
/// How many unused, unexpired links one user may hold: enough for a person clicking both
/// buttons a few times, not a store anyone can fill.
pub const MAX_OUTSTANDING_EXPORT_LINKS: i64 = 10;
/// Tokens are 43 characters; anything longer is not one and is not hashed.
const MAX_TOKEN_CHARS: usize = 64;

const NO_SUCH_LINK: ServiceError = ServiceError::NotFound("export link (unknown, used or expired)");

/// A link made: the token to put in its URL, and when it stops working.
pub struct ExportLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl AuditService {
    /// A single-use link to the export `request` describes (`audit:read`): its filters are
    /// checked now (422), the caller may hold at most [`MAX_OUTSTANDING_EXPORT_LINKS`] at
    /// once (429 until one is used or expires), and expired links of anyone are removed.
    pub async fn create_export_link(
        &self,
        caller: &Authorized<permission::AuditRead>,
        request: ExportRequest,
    ) -> ServiceResult<ExportLink> {
        let filter = request.filter.checked()?;
        let now = Utc::now();
        let expires_at = now + EXPORT_LINK_LIFETIME;
        let (token, token_hash) = new_opaque_token()?;
        let mut work = UnitOfWork::begin(&self.pool).await?;
        if !self.links.lock_owner(work.conn(), caller.id()).await? {
            return Err(ServiceError::Unauthorized("The account no longer exists."));
        }
        self.links.sweep_expired(work.conn(), now).await?;
        let outstanding = self
            .links
            .count_outstanding(work.conn(), caller.id(), now)
            .await?;
        if outstanding >= MAX_OUTSTANDING_EXPORT_LINKS {
            return Err(ServiceError::RateLimited {
                retry_after_secs: EXPORT_LINK_LIFETIME.num_seconds().unsigned_abs(),
            });
        }
        let row = ExportLinkRow {
            token_hash,
            user_id: caller.id(),
            format: request.format.as_str().to_owned(),
            actor_id: filter.actor_id,
            action: filter.action.map(|a| a.as_str().to_owned()),
            target_type: filter.target_type.map(|t| t.as_str().to_owned()),
            target_id: filter.target_id.map(|t| t.as_str().to_owned()),
            outcome: filter.outcome.map(|o| o.as_str().to_owned()),
            from_at: filter.from,
            to_at: filter.to,
            export_limit: request.limit.map(ExportLimit::value),
            expires_at,
        };
        self.links.insert(work.conn(), &row).await?;
        work.commit().await?;
        Ok(ExportLink { token, expires_at })
    }

    /// Uses the link `token` names, once: its export as its maker asked for it, recorded as
    /// `audit.exported` (`via: export_link`) with this request's origin. Unknown, used and
    /// expired links are all 404; a maker who has lost `audit:read` since gets 403, recorded
    /// as `access.denied`.
    pub async fn redeem_export_link(
        &self,
        token: &str,
        meta: RequestMeta,
    ) -> ServiceResult<(ExportFormat, AuditEventStream)> {
        if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
            return Err(NO_SUCH_LINK);
        }
        let row = self
            .links
            .redeem(&self.pool, &hash_opaque_token(token), Utc::now())
            .await?
            .ok_or(NO_SUCH_LINK)?;
        let caller = self
            .auth
            .caller_by_id(row.user_id, meta)
            .await?
            .ok_or(NO_SUCH_LINK)?;
        let Some(caller) = Authorized::<permission::AuditRead>::if_held(caller.clone()) else {
            let needed = permission::AuditRead::PERMISSION;
            return Err(self
                .auth
                .deny(
                    &caller,
                    "export_audit_events",
                    ("permission", needed.as_str().into()),
                    format!("This export link's maker no longer holds `{needed}`."),
                )
                .await);
        };
        let request = stored_request(&row)?;
        let format = request.format;
        let events = self
            .export_via(&caller, request, Some("export_link"))
            .await?;
        Ok((format, events))
    }
}

/// The request a link was made for, read back from its row (each value was valid when it
/// was stored, so a failure here is a defect, not the caller's).
fn stored_request(row: &ExportLinkRow) -> ServiceResult<ExportRequest> {
    fn read<R, T, E: std::fmt::Display>(
        value: Option<R>,
        parse: impl Fn(R) -> Result<T, E>,
    ) -> ServiceResult<Option<T>> {
        value
            .map(parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("a stored export link does not read back: {e}").into())
    }
    let format = read(Some(row.format.as_str()), ExportFormat::parse)?.unwrap_or_default();
    let limit = read(row.export_limit, ExportLimit::parse)?;
    Ok(ExportRequest {
        filter: AuditFilter {
            actor_id: row.actor_id,
            action: read(row.action.as_deref(), ActionName::parse)?,
            target_type: read(row.target_type.as_deref(), TargetTypeName::parse)?,
            target_id: read(row.target_id.as_deref(), TargetId::parse)?,
            outcome: read(row.outcome.as_deref(), Outcome::parse)?,
            from: row.from_at,
            to: row.to_at,
        },
        format,
        limit,
    })
}
