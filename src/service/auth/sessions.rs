//! Sessions: a refresh-token family opened at login, rotated on refresh, revoked on logout.
//!
//! A refresh token is single use. Presenting one that was used before is reuse (a stolen
//! token, or a client that lost the race): the whole family is revoked and the event is
//! recorded, and that commits even though the answer is 401.

use chrono::Utc;
use uuid::Uuid;

use super::{AuthService, TokenPair};
use crate::domain::audit::{AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::identity::{IdentityChange, PresentedRefreshToken};
use crate::repo::pg::UnitOfWork;
use crate::repo::pg::refresh_tokens::{NewRefreshToken, PresentedToken};
use crate::service::caller::RequestMeta;
use crate::service::error::{ServiceError, ServiceResult};
use crate::service::tokens::{hash_opaque_token, new_opaque_token};

const INVALID_REFRESH_TOKEN: &str = "The refresh token is invalid.";

impl AuthService {
    /// A successful login: `last_login_at` (and an upgraded hash), a new token family, and
    /// the events, in one unit of work.
    pub(super) async fn open_session(
        &self,
        user_id: Uuid,
        upgraded_hash: Option<&str>,
        events: &[AuditEvent],
    ) -> ServiceResult<TokenPair> {
        let (refresh_token, token_hash) = new_opaque_token()?;
        let token = NewRefreshToken {
            id: Uuid::now_v7(),
            family_id: Uuid::now_v7(),
            user_id,
            token_hash,
            expires_at: self.access_tokens.refresh_expiry(),
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        self.users
            .record_login(work.conn(), user_id, upgraded_hash)
            .await?;
        self.tokens.issue(work.conn(), &token).await?;
        work.commit_with(events).await?;
        let access = self.access_tokens.issue(user_id, token.family_id)?;
        Ok(TokenPair {
            access_token: access.token,
            refresh_token,
            expires_in: access.expires_in,
        })
    }

    /// Rotates a refresh token: the presented one is used up and its successor joins the
    /// family. Unknown, revoked, expired or of a deactivated account: 401.
    pub async fn refresh(
        &self,
        presented: &PresentedRefreshToken,
        meta: &RequestMeta,
    ) -> ServiceResult<TokenPair> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let (token, user_active, email) = self.unrevoked(&mut work, presented).await?;
        if token.used_at.is_some() {
            self.tokens
                .revoke_family(work.conn(), token.family_id)
                .await?;
            let reused = AuditEvent::new(
                AuditAction::RefreshReuseDetected,
                Outcome::Denied,
                meta.actor(Some(token.user_id), Some(&email)),
                Target::new(TargetKind::User, token.user_id),
            )
            .with_request_id(meta.request_id.clone());
            work.commit_with(&[reused]).await?;
            tracing::warn!(user_id = %token.user_id, "refresh token reuse detected; token family revoked");
            // The family's access tokens end here at once (elsewhere on notification).
            self.identity_changed(IdentityChange::User(token.user_id));
            return Err(ServiceError::Unauthorized(INVALID_REFRESH_TOKEN));
        }
        if token.expires_at <= Utc::now() || !user_active {
            return Err(ServiceError::Unauthorized(INVALID_REFRESH_TOKEN));
        }
        let (refresh_token, token_hash) = new_opaque_token()?;
        let next = NewRefreshToken {
            id: Uuid::now_v7(),
            family_id: token.family_id,
            user_id: token.user_id,
            token_hash,
            expires_at: self.access_tokens.refresh_expiry(),
        };
        self.tokens.mark_used(work.conn(), token.id).await?;
        self.tokens.issue(work.conn(), &next).await?;
        work.commit().await?;
        let access = self.access_tokens.issue(token.user_id, token.family_id)?;
        Ok(TokenPair {
            access_token: access.token,
            refresh_token,
            expires_in: access.expires_in,
        })
    }

    /// Revokes the token's family, recorded as `auth.logout`. An unknown or revoked token
    /// is 401.
    pub async fn logout(
        &self,
        presented: &PresentedRefreshToken,
        meta: &RequestMeta,
    ) -> ServiceResult<()> {
        let mut work = UnitOfWork::begin(&self.pool).await?;
        let (token, _, email) = self.unrevoked(&mut work, presented).await?;
        self.tokens
            .revoke_family(work.conn(), token.family_id)
            .await?;
        let event = AuditEvent::new(
            AuditAction::Logout,
            Outcome::Success,
            meta.actor(Some(token.user_id), Some(&email)),
            Target::new(TargetKind::User, token.user_id),
        )
        .with_request_id(meta.request_id.clone());
        work.commit_with(&[event]).await?;
        // The session's access tokens end here at once (elsewhere on notification).
        self.identity_changed(IdentityChange::User(token.user_id));
        Ok(())
    }

    /// The presented token, locked, unless it is unknown or revoked (401), with whether its
    /// owner is active and the owner's email.
    async fn unrevoked(
        &self,
        work: &mut UnitOfWork,
        presented: &PresentedRefreshToken,
    ) -> ServiceResult<(PresentedToken, bool, String)> {
        let token = self
            .tokens
            .lock_presented(work.conn(), &hash_opaque_token(presented.expose()))
            .await?
            .filter(|token| token.revoked_at.is_none())
            .ok_or(ServiceError::Unauthorized(INVALID_REFRESH_TOKEN))?;
        let (active, email) = self.users.status(work.conn(), token.user_id).await?;
        Ok((token, active, email))
    }
}
