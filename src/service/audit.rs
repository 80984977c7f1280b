//! Reading the audit trail: filtered keyset pages, single events, streamed exports, and each
//! user's own activity.
//!
//! Order of checks (as everywhere): the permission first (403, recorded as `access.denied`),
//! then the parameters (422), then the store is read; so neither a 422 nor a 404 tells a
//! caller without `audit:read` anything.

mod export_links;

use futures::StreamExt;
use futures::stream::BoxStream;
use uuid::Uuid;

use super::auth::AuthService;
use super::caller::{Authorized, Caller};
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::audit_query::{
    AuditCursor, AuditFilter, AuditOrder, AuditPage, ExportFormat, ExportLimit, PageSize,
};
use crate::domain::names::permission;
use crate::repo::mongo::AuditQueryRepo;
use crate::repo::pg::{PgExportLinkRepo, PgOutbox, PgPool};
pub use export_links::ExportLink;

/// Events in export order; an `Err` item means the read broke off midway.
pub type AuditEventStream = BoxStream<'static, ServiceResult<AuditEvent>>;

/// One export: which events, how encoded, at most how many (the newest).
pub struct ExportRequest {
    pub filter: AuditFilter,
    pub format: ExportFormat,
    pub limit: Option<ExportLimit>,
}

#[derive(Clone)]
pub struct AuditService {
    events: AuditQueryRepo,
    links: PgExportLinkRepo,
    /// Who made an export link, as they are when it is used.
    auth: AuthService,
    pool: PgPool,
}

impl AuditService {
    pub fn new(events: AuditQueryRepo, auth: AuthService, pool: PgPool) -> Self {
        Self {
            events,
            links: PgExportLinkRepo,
            auth,
            pool,
        }
    }

    /// A page of the trail (`audit:read`), newest first.
    pub async fn list(
        &self,
        _caller: &Authorized<permission::AuditRead>,
        filter: AuditFilter,
        order: AuditOrder,
        size: PageSize,
        after: Option<AuditCursor>,
    ) -> ServiceResult<AuditPage> {
        let filter = filter.checked()?;
        Ok(self
            .events
            .page(&filter, after.as_ref(), order, size)
            .await?)
    }

    /// One event by id (`audit:read`).
    pub async fn get(
        &self,
        _caller: &Authorized<permission::AuditRead>,
        id: Uuid,
    ) -> ServiceResult<AuditEvent> {
        self.events
            .find_by_id(id)
            .await?
            .ok_or(ServiceError::NotFound("audit event"))
    }

    /// Every matching event (`audit:read`), or the newest `limit` of them, newest first, as
    /// a stream read from the store while the client downloads it. Recorded as
    /// `audit.exported` with the filters, the format and the limit, before it streams.
    pub async fn export(
        &self,
        caller: &Authorized<permission::AuditRead>,
        request: ExportRequest,
    ) -> ServiceResult<AuditEventStream> {
        self.export_via(caller, request, None).await
    }

    /// [`Self::export`], saying in the event how it was asked for when not directly.
    async fn export_via(
        &self,
        caller: &Authorized<permission::AuditRead>,
        request: ExportRequest,
        via: Option<&str>,
    ) -> ServiceResult<AuditEventStream> {
        let filter = request.filter.checked()?;
        let mut exported = caller
            .event(
                AuditAction::AuditExported,
                Outcome::Success,
                Target::unidentified(TargetKind::AuditTrail),
            )
            .with_metadata("filters", filter.described().into())
            .with_metadata("format", request.format.as_str().into());
        if let Some(limit) = request.limit {
            exported = exported.with_metadata("limit", limit.value().into());
        }
        if let Some(via) = via {
            exported = exported.with_metadata("via", via.into());
        }
        PgOutbox.record(&self.pool, &[exported]).await?;
        let stream = self.events.stream(&filter, request.limit).await?;
        Ok(stream.map(|item| item.map_err(ServiceError::from)).boxed())
    }

    /// The caller's own events (those they acted in), for any authenticated user: the
    /// filter is the caller's id, never a parameter, so nobody reads another's activity.
    pub async fn own_activity(
        &self,
        caller: &Caller,
        size: PageSize,
        after: Option<AuditCursor>,
    ) -> ServiceResult<AuditPage> {
        let filter = AuditFilter::by_actor(caller.id());
        let newest_first = AuditOrder::Desc;
        Ok(self
            .events
            .page(&filter, after.as_ref(), newest_first, size)
            .await?)
    }
}
