//! Accounts and sessions: registration, login, token refresh and logout, and turning a
//! bearer token into a `Caller` with its permissions.

mod access;
mod provision;
mod sessions;

use std::sync::Arc;

use uuid::Uuid;

pub use super::caller::{Caller, RequestMeta};
use super::error::{FieldIssue, ServiceError, ServiceResult};
use super::identity_cache::IdentityCache;
use super::passwords::PasswordHasher;
use super::rate_limit::RateLimits;
use super::tokens::AccessTokens;
use crate::domain::activity::ActivityEvent;
use crate::domain::audit::{AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::identity::{
    DEFAULT_ROLE, Email, FullName, IdentityChange, Password, PresentedPassword,
};
use crate::repo::mongo::activity_sink::ActivitySink;
use crate::repo::pg::users::{NewUser, UserRecord};
use crate::repo::pg::{PgOutbox, PgPool, PgRefreshTokenRepo, PgUserRepo, UnitOfWork};
pub use provision::Provisioned;

pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub full_name: FullName,
}

/// Collects the field problems of several parses at once.
pub fn parse_fields<T>(
    issues: &mut Vec<FieldIssue>,
    field: &str,
    parsed: Result<T, crate::domain::identity::Invalid>,
) -> Option<T> {
    parsed
        .map_err(|invalid| issues.push(FieldIssue::new(field, invalid.0)))
        .ok()
}

#[derive(Clone)]
pub struct AuthService {
    pool: PgPool,
    users: PgUserRepo,
    tokens: PgRefreshTokenRepo,
    outbox: PgOutbox,
    passwords: PasswordHasher,
    access_tokens: Arc<AccessTokens>,
    limits: Arc<RateLimits>,
    activity: ActivitySink,
    identities: IdentityCache,
}

impl AuthService {
    pub fn new(
        pool: PgPool,
        passwords: PasswordHasher,
        access_tokens: Arc<AccessTokens>,
        limits: Arc<RateLimits>,
        activity: ActivitySink,
        identities: IdentityCache,
    ) -> Self {
        Self {
            pool,
            users: PgUserRepo,
            tokens: PgRefreshTokenRepo,
            outbox: PgOutbox,
            passwords,
            access_tokens,
            limits,
            activity,
            identities,
        }
    }

    pub fn passwords(&self) -> &PasswordHasher {
        &self.passwords
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(super) fn limits(&self) -> &RateLimits {
        &self.limits
    }

    pub(super) fn identities(&self) -> &IdentityCache {
        &self.identities
    }

    pub async fn register(
        &self,
        input: Registration,
        meta: &RequestMeta,
    ) -> ServiceResult<UserRecord> {
        self.limits.check_register(meta.ip).await?;
        let Registration {
            email,
            password,
            full_name,
        } = input;
        let id = Uuid::now_v7();
        let event = AuditEvent::new(
            AuditAction::UserRegistered,
            Outcome::Success,
            meta.actor(Some(id), Some(email.as_str())),
            Target::new(TargetKind::User, id),
        )
        .with_request_id(meta.request_id.clone())
        .with_change("email", serde_json::Value::Null, email.as_str().into())
        .with_change(
            "full_name",
            serde_json::Value::Null,
            full_name.as_str().into(),
        )
        .with_change(
            "roles",
            serde_json::Value::Null,
            serde_json::json!([DEFAULT_ROLE]),
        );
        let new_user = NewUser {
            id,
            email: email.as_str().to_owned(),
            full_name: full_name.as_str().to_owned(),
            password_hash: self.passwords.hash(&password).await?,
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        self.users.insert(work.conn(), &new_user).await?;
        self.users
            .assign_role(work.conn(), id, DEFAULT_ROLE)
            .await?;
        let created = self.users.reread(work.conn(), id).await?;
        work.commit_with(&[event]).await?;
        Ok(created)
    }

    /// Same answer, in about the same time, for an unknown email, a wrong password and a
    /// deactivated account (each also counts as a failure of that account from that address).
    pub async fn login(
        &self,
        email: &Email,
        password: &PresentedPassword,
        meta: &RequestMeta,
    ) -> ServiceResult<TokenPair> {
        let password = password.expose();
        self.limits.check_login(meta.ip, email.as_str()).await?;
        let credentials = self
            .users
            .find_credentials(&self.pool, email.as_str())
            .await?;
        let (user_id, verification, reason) = match &credentials {
            None => {
                self.passwords.verify_dummy(password).await?;
                (None, None, "unknown_email")
            }
            Some(user) => {
                let verification = self.passwords.verify(password, &user.password_hash).await?;
                let reason = match (verification.valid, user.is_active) {
                    (true, true) => "",
                    (_, false) => "inactive",
                    (false, true) => "wrong_password",
                };
                (Some(user.id), Some(verification), reason)
            }
        };
        let target = |id: Option<Uuid>| match id {
            Some(id) => Target::new(TargetKind::User, id),
            None => Target::unidentified(TargetKind::User),
        };
        let Some(verification) = verification.filter(|_| reason.is_empty()) else {
            let failed = AuditEvent::new(
                AuditAction::LoginFailed,
                Outcome::Failure,
                meta.actor(user_id, Some(email.as_str())),
                target(user_id),
            )
            .with_request_id(meta.request_id.clone())
            .with_metadata("reason", reason.into());
            self.outbox.record(&self.pool, &[failed]).await?;
            self.limits.login_failed(meta.ip, email.as_str()).await?;
            return Err(ServiceError::Unauthorized("Invalid email or password."));
        };
        let user_id = user_id.expect("a verified user has an id");
        let succeeded = AuditEvent::new(
            AuditAction::LoginSucceeded,
            Outcome::Success,
            meta.actor(Some(user_id), Some(email.as_str())),
            target(Some(user_id)),
        )
        .with_request_id(meta.request_id.clone());
        let pair = self
            .open_session(user_id, verification.upgraded_hash.as_deref(), &[succeeded])
            .await?;
        // The login time (and perhaps the hash) changed: what /users/me shows.
        self.identity_changed(IdentityChange::User(user_id));
        self.activity.record(ActivityEvent::new(
            "auth.login_succeeded",
            Some(user_id),
            "user",
            Some(user_id.to_string()),
        ));
        Ok(pair)
    }
}
