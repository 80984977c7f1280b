//! Who is asking and may they: the bearer token to a [`Caller`], permission checks (every
//! 403 recorded as `access.denied`), and forgetting remembered identities after changes.

use std::sync::Arc;

use super::{AuthService, Caller, RequestMeta};
use crate::domain::audit::{AuditAction, Outcome, Target, TargetKind};
use crate::domain::identity::{IdentityChange, Permission};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::identity_cache::UserAccess;

impl AuthService {
    /// A bearer token to the active user behind it, while its session is live: remembered
    /// (see `identity_cache`), or one PostgreSQL round trip. A session the remembered entry
    /// does not know (a login since) is looked up afresh.
    pub async fn authenticate(&self, bearer: &str, meta: RequestMeta) -> ServiceResult<Caller> {
        const INVALID: ServiceError =
            ServiceError::Unauthorized("The access token is invalid or expired.");
        let owner = self.access_tokens.verify(bearer).ok_or(INVALID)?;
        let remembered = self
            .identities
            .get(owner.user_id)
            .filter(|access| access.sessions.contains(&owner.session_id));
        let access = match remembered {
            Some(access) => access,
            None => {
                let ticket = self.identities.ticket();
                let (user, sessions) = self
                    .users
                    .get_access(&self.pool, owner.user_id)
                    .await?
                    .ok_or(INVALID)?;
                let access = Arc::new(UserAccess { user, sessions });
                self.identities.store(ticket, access.clone());
                access
            }
        };
        if !access.user.is_active || !access.sessions.contains(&owner.session_id) {
            return Err(INVALID);
        }
        let user = access.user.clone();
        let permissions = user
            .permissions
            .iter()
            .filter_map(|p| Permission::parse(p))
            .collect();
        Ok(Caller {
            user,
            permissions,
            meta,
        })
    }

    /// Forgets what this process remembers about `change`'s users, so the very next request
    /// here sees it (other processes hear of it through PostgreSQL notifications).
    pub fn identity_changed(&self, change: IdentityChange) {
        self.identities.forget(change);
    }

    /// Deny by default: without `permission` the caller gets 403, recorded as `access.denied`.
    pub async fn authorize(
        &self,
        caller: &Caller,
        permission: Permission,
        operation: &str,
    ) -> ServiceResult<()> {
        if caller.holds(permission) {
            return Ok(());
        }
        Err(self
            .deny(
                caller,
                operation,
                ("permission", permission.as_str().into()),
                format!("This operation needs the `{permission}` permission."),
            )
            .await)
    }

    /// Records `access.denied` for `operation` (with one metadata entry saying why) and
    /// returns the 403 to answer with: every 403 leaves a trace.
    pub async fn deny(
        &self,
        caller: &Caller,
        operation: &str,
        (key, value): (&str, serde_json::Value),
        detail: String,
    ) -> ServiceError {
        let denied = caller
            .event(
                AuditAction::AccessDenied,
                Outcome::Denied,
                Target::new(TargetKind::Operation, operation),
            )
            .with_metadata(key, value);
        match self.outbox.record(&self.pool, &[denied]).await {
            Ok(()) => ServiceError::Forbidden(detail),
            Err(err) => err.into(),
        }
    }
}
