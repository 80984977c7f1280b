//! `/api/v1/audit-events`: the audit trail, filtered, keyset-paginated and exportable.

pub mod export;
pub mod links;
pub mod views;

use chrono::{DateTime, Utc};
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use uuid::Uuid;

use super::ApiTags;
use super::permitted::{Permitted, permission};
use super::security::request_meta;
use crate::domain::audit::Outcome;
use crate::domain::audit_query::{
    ActionName, AuditCursor, AuditFilter, AuditOrder, ExportLimit, PageSize, TargetId,
    TargetTypeName,
};
use crate::http::json::Json;
use crate::http::json_body::Body;
use crate::http::problem::ApiError;
use crate::service::audit::{AuditService, ExportRequest};
use export::{ExportFormat, ExportResponse};
use links::{CreateExportLinkResponse, ExportLinkRequest};
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
        let request = ExportRequest {
            filter,
            format: format.0,
            limit: limit.0,
        };
        let events = self.audit.export(&auth.0, request).await?;
        Ok(ExportResponse::new(format.0, events))
    }

    /// A single-use link that downloads one export, for browsers.
    ///
    /// Needs `audit:read`. The body holds the export's filters, `format` and `limit`, as the
    /// export's query does (checked now: 422). The answer's `url` (on this service's origin)
    /// streams that export once, without an `Authorization` header, for 60 seconds; its use is
    /// recorded as `audit.exported` in the caller's name (`via: export_link`), and only while
    /// the caller is active and holds `audit:read`. Links live in PostgreSQL, so any instance
    /// serves them. A caller holds at most 10 unused, unexpired links: past that, 429 with
    /// `Retry-After`.
    #[oai(
        path = "/audit-events/export-links",
        method = "post",
        operation_id = "create_audit_export_link"
    )]
    async fn create_export_link(
        &self,
        auth: Permitted<permission::AuditRead>,
        body: Body<ExportLinkRequest>,
    ) -> Result<CreateExportLinkResponse, ApiError> {
        let link = self
            .audit
            .create_export_link(&auth.0, body.0.into())
            .await?;
        Ok(CreateExportLinkResponse::Created(Json(link.into())))
    }

    /// Download an export through a single-use link.
    ///
    /// No `Authorization` header: the `token` from `POST /audit-events/export-links` is the
    /// grant (in the query, which request logs leave out). As `GET /audit-events/export`
    /// answers, streamed. A token unknown, already used or expired is 404; a link whose
    /// maker has since lost `audit:read` is 403 (recorded as `access.denied`).
    #[oai(
        path = "/audit-events/export-links/download",
        method = "get",
        operation_id = "download_audit_export_link"
    )]
    async fn download_export_link(
        &self,
        req: &poem::Request,
        /// The link's token.
        token: Query<String>,
    ) -> Result<ExportResponse, ApiError> {
        let (format, events) = self
            .audit
            .redeem_export_link(&token.0, request_meta(req))
            .await?;
        Ok(ExportResponse::new(format, events))
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
