//! `stockroom create-admin`: the first administrator, from the command line only.

use uuid::Uuid;

use super::{AuthService, parse_fields};
use crate::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target, TargetKind};
use crate::domain::identity::{ADMIN_ROLE, Email, FullName, Password};
use crate::repo::pg::UnitOfWork;
use crate::repo::pg::users::NewUser;
use crate::service::error::{ServiceError, ServiceResult};

#[derive(Debug, PartialEq, Eq)]
pub enum Provisioned {
    /// A new account with the `admin` role.
    Created(Uuid),
    /// An existing account was given the `admin` role (its password is left as it was).
    Promoted(Uuid),
    /// Nothing to do.
    AlreadyAdmin(Uuid),
}

impl AuthService {
    /// Idempotent: running it twice leaves one admin account and records one event.
    pub async fn provision_admin(
        &self,
        email: &str,
        password: &str,
        full_name: &str,
    ) -> ServiceResult<Provisioned> {
        let mut issues = Vec::new();
        let email = parse_fields(&mut issues, "email", Email::parse(email));
        let password = parse_fields(&mut issues, "password", Password::parse(password));
        let full_name = parse_fields(&mut issues, "full_name", FullName::parse(full_name));
        let (Some(email), Some(password), Some(full_name)) = (email, password, full_name) else {
            return Err(ServiceError::Validation(issues));
        };
        if let Some(existing) = self
            .users
            .find_credentials(&self.pool, email.as_str())
            .await?
        {
            let user = self
                .users
                .get_with_access(&self.pool, existing.id)
                .await?
                .ok_or(ServiceError::NotFound("user"))?;
            if user.roles.iter().any(|r| r == ADMIN_ROLE) {
                return Ok(Provisioned::AlreadyAdmin(user.id));
            }
            let mut after = user.roles.clone();
            after.push(ADMIN_ROLE.to_owned());
            after.sort();
            let event = AuditEvent::new(
                AuditAction::UserRolesChanged,
                Outcome::Success,
                Actor::system(),
                Target::new(TargetKind::User, user.id),
            )
            .with_change(
                "roles",
                serde_json::json!(user.roles),
                serde_json::json!(after),
            )
            .with_metadata("via", "create-admin".into());
            let mut work = UnitOfWork::begin(&self.pool).await?;
            self.users
                .assign_role(work.conn(), user.id, ADMIN_ROLE)
                .await?;
            work.commit_with(&[event]).await?;
            return Ok(Provisioned::Promoted(user.id));
        }
        let id = Uuid::now_v7();
        let event = AuditEvent::new(
            AuditAction::UserRegistered,
            Outcome::Success,
            Actor::system(),
            Target::new(TargetKind::User, id),
        )
        .with_change("email", serde_json::Value::Null, email.as_str().into())
        .with_change(
            "roles",
            serde_json::Value::Null,
            serde_json::json!([ADMIN_ROLE]),
        )
        .with_metadata("via", "create-admin".into());
        let user = NewUser {
            id,
            email: email.as_str().to_owned(),
            full_name: full_name.as_str().to_owned(),
            password_hash: self.passwords.hash(&password).await?,
        };
        let mut work = UnitOfWork::begin(&self.pool).await?;
        self.users.insert(work.conn(), &user).await?;
        self.users
            .assign_role(work.conn(), user.id, ADMIN_ROLE)
            .await?;
        work.commit_with(&[event]).await?;
        Ok(Provisioned::Created(id))
    }
}
