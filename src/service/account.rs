//! The caller's own account: profile changes and password change.

use super::auth::{AuthService, Caller};
use super::error::{ServiceError, ServiceResult};

use crate::domain::audit::{AuditAction, AuditEvent, AuditFields, Outcome, Target, TargetKind};
use crate::domain::identity::{Email, FullName, IdentityChange, Password, PresentedPassword};
use crate::repo::pg::users::{ProfileChanges, UserRecord};
use crate::repo::pg::{PgOutbox, PgRefreshTokenRepo, PgUserRepo, UnitOfWork};

/// What a user's events compare (never secrets).
fn user_fields(user: &UserRecord) -> AuditFields {
    vec![
        ("email", user.email.clone().into()),
        ("full_name", user.full_name.clone().into()),
        ("is_active", user.is_active.into()),
    ]
}

/// The `changes` of a user update: each field that differs, from/to; `None` when nothing did.
pub fn user_changes(
    event: AuditEvent,
    before: &UserRecord,
    after: &UserRecord,
) -> Option<AuditEvent> {
    let event = event.with_diff(Some(&user_fields(before)), Some(&user_fields(after)));
    event.has_changes().then_some(event)
}

/// Holds the sign-in service for what accounts share with it: the pool, the password
/// hasher, the rate limits and the identity cache.
#[derive(Clone)]
pub struct AccountService {
    auth: AuthService,
    users: PgUserRepo,
    tokens: PgRefreshTokenRepo,
    outbox: PgOutbox,
}

impl AccountService {
    pub fn new(auth: AuthService) -> Self {
        Self {
            auth,
            users: PgUserRepo,
            tokens: PgRefreshTokenRepo,
            outbox: PgOutbox,
        }
    }

    /// Changes the caller's name and/or email; records `user.updated` with what changed.
    pub async fn update_me(
        &self,
        caller: &Caller,
        full_name: Option<FullName>,
        email: Option<Email>,
    ) -> ServiceResult<UserRecord> {
        let changes = ProfileChanges {
            email: email.map(|e| e.as_str().to_owned()),
            full_name: full_name.map(|n| n.as_str().to_owned()),
            is_active: None,
        };
        let mut work = UnitOfWork::begin(self.auth.pool()).await?;
        let before = self
            .users
            .lock(work.conn(), caller.id())
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let after = self
            .users
            .update_profile(work.conn(), caller.id(), &changes)
            .await?;
        let event = caller.event(
            AuditAction::UserUpdated,
            Outcome::Success,
            Target::new(TargetKind::User, caller.id()),
        );
        work.commit_with(user_changes(event, &before, &after).as_slice())
            .await?;
        self.auth
            .identities()
            .forget(IdentityChange::User(caller.id()));
        Ok(after)
    }

    /// Verifies the current password, stores the new one and ends every session of the
    /// caller: their refresh tokens and their access tokens, this one included. Attempts are
    /// limited per user and every wrong current password is audited, so a stolen access token
    /// cannot be used to guess the password quietly.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &PresentedPassword,
        new: Password,
    ) -> ServiceResult<()> {
        self.auth
            .limits()
            .check_password_change(caller.id())
            .await?;
        let current = current.expose();
        let credentials = self
            .users
            .find_credentials_by_id(self.auth.pool(), caller.id())
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        if !self
            .auth
            .passwords()
            .verify(current, &credentials.password_hash)
            .await?
            .valid
        {
            let failed = caller
                .event(
                    AuditAction::UserPasswordChangeFailed,
                    Outcome::Failure,
                    Target::new(TargetKind::User, caller.id()),
                )
                .with_metadata("reason", "wrong_current_password".into());
            self.outbox.record(self.auth.pool(), &[failed]).await?;
            return Err(ServiceError::invalid(
                "current_password",
                "is not the current password",
            ));
        }
        // The current password was just verified, so equal text is the same password.
        if new.expose() == current {
            return Err(ServiceError::invalid(
                "new_password",
                "must differ from the current password",
            ));
        }
        let hash = self.auth.passwords().hash(&new).await?;
        let event = caller.event(
            AuditAction::UserPasswordChanged,
            Outcome::Success,
            Target::new(TargetKind::User, caller.id()),
        );
        let mut work = UnitOfWork::begin(self.auth.pool()).await?;
        self.users
            .set_password(work.conn(), caller.id(), &hash)
            .await?;
        self.tokens
            .revoke_all_for_user(work.conn(), caller.id())
            .await?;
        work.commit_with(&[event]).await?;
        // Every session ended: the caller's access tokens with them, here at once.
        self.auth
            .identities()
            .forget(IdentityChange::User(caller.id()));
        Ok(())
    }
}
