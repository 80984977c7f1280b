//! Who is asking: the request's origin and, once authenticated, the user and permissions.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::ops::Deref;

use uuid::Uuid;

use crate::domain::audit::{Actor, AuditAction, AuditEvent, Outcome, Target};
use crate::domain::identity::{Needs, Permission};
use crate::repo::pg::users::UserRecord;

/// Where a request came from, for audit events and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    pub fn actor(&self, user_id: Option<Uuid>, email: Option<&str>) -> Actor {
        Actor {
            user_id,
            email: email.map(str::to_owned),
            ip: self.ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// An authenticated, active user making this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRecord,
    pub permissions: BTreeSet<Permission>,
    pub meta: RequestMeta,
}

impl Caller {
    pub fn id(&self) -> Uuid {
        self.user.id
    }

    pub fn actor(&self) -> Actor {
        self.meta.actor(Some(self.user.id), Some(&self.user.email))
    }

    pub fn holds(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// The permissions among `wanted` this caller does not hold, sorted and deduplicated.
    /// Administration uses it so nobody hands out (or takes from others) more than they have.
    pub fn lacking<'a>(&self, wanted: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        let lacking: BTreeSet<&String> = wanted
            .into_iter()
            .filter(|name| !Permission::parse(name).is_some_and(|p| self.holds(p)))
            .collect();
        lacking.into_iter().cloned().collect()
    }

    /// An audit event by this caller, carrying the request id.
    pub fn event(&self, action: AuditAction, outcome: Outcome, target: Target) -> AuditEvent {
        AuditEvent::new(action, outcome, self.actor(), target)
            .with_request_id(self.meta.request_id.clone())
    }
}

/// A caller who holds `P`'s permission. A service operation that needs a permission takes
/// one, so it cannot run unchecked and does not check again: the API's extractor makes it
/// before reading anything else of the request (a refusal, through
/// [`super::auth::AuthService::authorize`], is 403 and `access.denied`).
pub struct Authorized<P: Needs>(Caller, PhantomData<P>);

impl<P: Needs> Authorized<P> {
    /// The caller, if it holds the permission.
    pub fn if_held(caller: Caller) -> Option<Self> {
        caller
            .holds(P::PERMISSION)
            .then_some(Self(caller, PhantomData))
    }
}

impl<P: Needs> Deref for Authorized<P> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}
