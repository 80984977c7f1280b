//! Reading the audit trail: filtered keyset pages, single events, streamed exports, and each
//! user's own activity.
//!
//! Order of checks (as everywhere): the permission first (403, recorded as `access.denied`),
//! then the parameters (422), then the store is read; so neither a 422 nor a 404 tells a
//! caller without `audit:read` anything.

use super::caller::Authorized;
use crate::domain::names::permission;
use futures::StreamExt;
use futures::stream::BoxStream;
use uuid::Uuid;

use super::caller::Caller;
use super::error::{ServiceError, ServiceResult};
use crate::domain::audit::{AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::audit_query::{
    AuditCursor, AuditFilter, AuditOrder, AuditPage, ExportLimit, PageSize,
};
use crate::repo::mongo::AuditQueryRepo;
use crate::repo::pg::{PgOutbox, PgPool};

/// Events in export order; an `Err` item means the read broke off midway.
pub type AuditEventStream = BoxStream<'static, ServiceResult<AuditEvent>>;

#[derive(Clone)]
pub struct AuditService {
    events: AuditQueryRepo,
    pool: PgPool,
}

impl AuditService {
    pub fn new(events: AuditQueryRepo, pool: PgPool) -> Self {
        Self { events, pool }
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
        filter: AuditFilter,
        limit: Option<ExportLimit>,
        format: &str,
    ) -> ServiceResult<AuditEventStream> {
        let filter = filter.checked()?;
        let mut exported = caller
            .event(
                AuditAction::AuditExported,
                Outcome::Success,
                Target::unidentified(TargetKind::AuditTrail),
            )
            .with_metadata("filters", filter.described().into())
            .with_metadata("format", format.into());
        if let Some(limit) = limit {
            exported = exported.with_metadata("limit", limit.value().into());
        }
        PgOutbox.record(&self.pool, &[exported]).await?;
        let stream = self.events.stream(&filter, limit).await?;
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
