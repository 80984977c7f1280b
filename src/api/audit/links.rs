//! The shapes of `POST /audit-events/export-links`: the export asked for, and the link.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::audit::Outcome;
use crate::domain::audit_query::{
    ActionName, AuditFilter, ExportFormat, ExportLimit, TargetId, TargetTypeName,
};
use crate::http::json::Json;
use crate::http::settable::Settable;
use crate::service::audit::{ExportLink, ExportRequest};

/// Where a link is used: its token goes in the query, which request logs leave out.
pub const EXPORT_LINK_PATH: &str = "/api/v1/audit-events/export-links/download";

/// The export a link is for: the filters, format and limit of `GET /audit-events/export`.
/// Every field may be left out; none may be `null`.
#[derive(Debug, Default, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields, default)]
pub struct ExportLinkRequest {
    /// `ndjson` (default) or `csv`.
    pub format: Settable<ExportFormat>,
    /// Only events by this user (`actor.user_id`).
    pub actor_id: Settable<Uuid>,
    /// Exact action, e.g. `user.updated`.
    pub action: Settable<ActionName>,
    /// Exact target type, e.g. `user`.
    pub target_type: Settable<TargetTypeName>,
    /// Exact target id.
    pub target_id: Settable<TargetId>,
    pub outcome: Settable<Outcome>,
    /// Events at or after this instant (RFC 3339).
    pub from: Settable<DateTime<Utc>>,
    /// Events at or before this instant (RFC 3339); must not precede `from`.
    pub to: Settable<DateTime<Utc>>,
    /// At most this many events, the newest ones: 1 to 1,000,000. Without it, every
    /// matching event.
    pub limit: Settable<ExportLimit>,
}

impl From<ExportLinkRequest> for ExportRequest {
    fn from(body: ExportLinkRequest) -> Self {
        Self {
            filter: AuditFilter {
                actor_id: body.actor_id.into(),
                action: body.action.into(),
                target_type: body.target_type.into(),
                target_id: body.target_id.into(),
                outcome: body.outcome.into(),
                from: body.from.into(),
                to: body.to.into(),
            },
            format: body.format.into_option().unwrap_or_default(),
            limit: body.limit.into(),
        }
    }
}

/// A single-use link to one export.
#[derive(Debug, Object, serde::Serialize)]
pub struct ExportLinkView {
    /// Path and query of the download on this service (relative to its origin, so it holds
    /// behind a proxy). Works once, without an `Authorization` header, until `expires_at`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

impl From<ExportLink> for ExportLinkView {
    fn from(link: ExportLink) -> Self {
        Self {
            url: format!("{EXPORT_LINK_PATH}?token={}", link.token),
            expires_at: link.expires_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreateExportLinkResponse {
    /// The link: use it within 60 seconds, once.
    #[oai(status = 201)]
    Created(Json<ExportLinkView>),
}
