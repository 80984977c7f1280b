//! `/api/v1/audit-events`: the audit trail, filtered, keyset-paginated and exportable.

pub mod export;
pub mod views;

use chrono::{DateTime, Utc};
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use crate::domain::audit::Outcome;
use crate::domain::audit_query::{
    ActionName, AuditCursor, AuditFilter, AuditOrder, ExportLimit, PageSize, TargetId,
    TargetTypeName,
};
use crate::http::json::Json;
use crate::http::problem::ApiError;
use crate::service::audit::AuditService;
use export::{ExportFormat, ExportResponse};
use views::{AuditEventPage, AuditEventView};

pub struct AuditApi {
    pub audit: AuditService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Audit")]
impl AuditApi {
    /// List audit events, newest first (or oldest first), a page at a time.
    ///
    /// Needs `audit:read`. Newest first means `occurred_at`, then `id`, descending;
    /// `order=asc` turns it around (a target's history, oldest change first). Keyset
    /// pagination: pass `next_cursor` back as `cursor` until it is null. Pages are stable under
    /// concurrent inserts: events recorded meanwhile never shift, repeat or skip entries of
    /// later pages. Filters combine with AND; `from` and `to` are inclusive. Invalid parameters
    /// are 422, once the permission is held (without it, 403 whatever the parameters).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/audit-events",
        method = "get",
        operation_id = "list_audit_events"
    )]
    async fn list(
        &self,
        auth: Permitted<permission::AuditRead>,
        /// Only events by this user (`actor.user_id`).
        actor_id: Query<Option<Uuid>>,
        /// Exact action, e.g. `user.updated`.
        action: Query<Option<ActionName>>,
        /// Exact target type, e.g. `user`.
        target_type: Query<Option<TargetTypeName>>,
        /// Exact target id.
        target_id: Query<Option<TargetId>>,
        outcome: Query<Option<Outcome>>,
        /// Events at or after this instant (RFC 3339).
        from: Query<Option<DateTime<Utc>>>,
        /// Events at or before this instant (RFC 3339); must not precede `from`.
        to: Query<Option<DateTime<Utc>>>,
        /// `desc` (default): newest first; `asc`: oldest first.
        #[oai(default)]
        order: Query<AuditOrder>,
        /// Page size, 1 to 100.
        #[oai(default)]
        limit: Query<PageSize>,
        cursor: Query<Option<AuditCursor>>,
    ) -> Result<Json<AuditEventPage>, ApiError> {
        let filter = AuditFilter {
            actor_id: actor_id.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            outcome: outcome.0,
            from: from.0,
            to: to.0,
        };
        let page = self
            .audit
            .list(&auth.0, filter, order.0, limit.0, cursor.0)
            .await?;
        Ok(Json(page.into()))
    }

    /// Download the matching audit events as NDJSON or CSV.
    ///
    /// Needs `audit:read`. Every matching event, or the newest `limit` of them, newest first,
    /// streamed as it is read (any size, no buffering). Same filters as the list; `format` is
    /// `ndjson` (default) or `csv`. CSV cells that a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`; `changes` and
    /// `metadata` are JSON text. Should the store fail midway, the transfer is aborted (never a
    /// silently short file).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/audit-events/export",
        method = "get",
        operation_id = "export_audit_events"
    )]
    async fn export(
        &self,
        auth: Permitted<permission::AuditRead>,
        /// `ndjson` (default) or `csv`.
        #[oai(default)]
        format: Query<ExportFormat>,
        /// Only events by this user (`actor.user_id`).
        actor_id: Query<Option<Uuid>>,
        /// Exact action, e.g. `user.updated`.
        action: Query<Option<ActionName>>,
        /// Exact target type, e.g. `user`.
        target_type: Query<Option<TargetTypeName>>,
        /// Exact target id.
        target_id: Query<Option<TargetId>>,
        outcome: Query<Option<Outcome>>,
        /// Events at or after this instant (RFC 3339).
        from: Query<Option<DateTime<Utc>>>,
        /// Events at or before this instant (RFC 3339); must not precede `from`.
        to: Query<Option<DateTime<Utc>>>,
        /// At most this many events, the newest ones: 1 to 1,000,000. Without it, every
        /// matching event.
        limit: Query<Option<ExportLimit>>,
    ) -> Result<ExportResponse, ApiError> {
        let filter = AuditFilter {
            actor_id: actor_id.0,
            action: action.0,
            target_type: target_type.0,
            target_id: target_id.0,
            outcome: outcome.0,
            from: from.0,
            to: to.0,
        };
        let events = self
            .audit
            .export(&auth.0, filter, limit.0, format.0.as_str())
            .await?;
        Ok(ExportResponse::new(format.0, events))
    }

    /// One audit event.
    ///
    /// Needs `audit:read`. An id that is not a UUID is 422; an unknown one 404.
    #[oai(
        path = "/audit-events/:id",
        method = "get",
        operation_id = "get_audit_event"
    )]
    async fn get(
        &self,
        auth: Permitted<permission::AuditRead>,
        id: Path<Uuid>,
    ) -> Result<Json<AuditEventView>, ApiError> {
        let event = self.audit.get(&auth.0, id.0).await?;
        Ok(Json(event.into()))
    }
}
