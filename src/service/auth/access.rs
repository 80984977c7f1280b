//! Who is asking and may they: the bearer token to a [`Caller`], permission checks (every
//! 403 recorded as `access.denied`), and forgetting remembered identities after changes.

use std::sync::Arc;

use uuid::Uuid;

use super::{AuthService, Caller, RequestMeta};
use crate::domain::audit::{AuditAction, Outcome, Target, TargetKind};
use crate::domain::identity::{IdentityChange, Permission};
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::identity_cache::UserAccess;

impl AuthService {
    /// A bearer token to the active user behind it, while its session is live.
    pub async fn authenticate(&self, bearer: &str, meta: RequestMeta) -> ServiceResult<Caller> {
        const INVALID: ServiceError =
            ServiceError::Unauthorized("The access token is invalid or expired.");
        let owner = self.access_tokens.verify(bearer).ok_or(INVALID)?;
        let access = self
            .access_of(owner.user_id, Some(owner.session_id))
            .await?;
        match access {
            Some(access) if access.sessions.contains(&owner.session_id) => {
                Ok(Self::caller(&access, meta))
            }
            _ => Err(INVALID),
        }
    }

    /// The active user `user_id` as a caller of this request, whatever their sessions: for
    /// a grant made earlier in the user's name (an export link), which holds only while the
    /// user is active, and with the permissions they hold now.
    pub async fn caller_by_id(
        &self,
        user_id: Uuid,
        meta: RequestMeta,
    ) -> ServiceResult<Option<Caller>> {
        let access = self.access_of(user_id, None).await?;
        Ok(access.map(|access| Self::caller(&access, meta)))
    }

    /// The active user's access, remembered (see `identity_cache`) or one PostgreSQL round
    /// trip; a remembered entry that does not know `session` (a login since) is looked up
    /// afresh.
    async fn access_of(
        &self,
        user_id: Uuid,
        session: Option<Uuid>,
    ) -> ServiceResult<Option<Arc<UserAccess>>> {
        let remembered = self
            .identities
            .get(user_id)
            .filter(|access| session.is_none_or(|id| access.sessions.contains(&id)));
        let access = match remembered {
            Some(access) => access,
            None => {
                let ticket = self.identities.ticket();
                let Some((user, sessions)) = self.users.get_access(&self.pool, user_id).await?
                else {
                    return Ok(None);
                };
                let access = Arc::new(UserAccess { user, sessions });
                self.identities.store(ticket, access.clone());
                access
            }
        };
        Ok(access.user.is_active.then_some(access))
    }

    fn caller(access: &UserAccess, meta: RequestMeta) -> Caller {
        let user = access.user.clone();
        let permissions = user
            .permissions
            .iter()
            .filter_map(|p| Permission::parse(p))
            .collect();
        Caller {
            user,
            permissions,
            meta,
        }
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
