//! Who a token's user is, what they may do and which of their sessions are live,
//! remembered between requests.
//!
//! Authenticating used to read the `users_with_access` view on every request: the larger
//! part of what a simple read cost PostgreSQL (scripts/bench.sh). Entries are dropped:
//! as [`NotifiedCache`] says: at once by the services that change a user or a role, in every
//! process through the notifications that triggers on `users`, `user_roles`, `roles` and
//! `role_permissions` send at commit (the `identity_change_notifications` migration and
//! `worker::listener`), and after a short lifetime. While no listener is connected
//! every request reads the view, so a lost connection never leaves a revoked permission in
//! force.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

pub use super::notified_cache::LoadTicket;
use super::notified_cache::{Footprint, NotifiedCache};
pub use crate::domain::identity::IdentityChange;
use crate::repo::pg::users::UserRecord;

/// A user with their live sessions (refresh-token families): an access token counts only
/// while its session is among them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAccess {
    pub user: UserRecord,
    pub sessions: Vec<Uuid>,
}

/// Identities are counted, not weighed: every entry costs the same.
impl Footprint for Arc<UserAccess> {
    fn footprint(&self) -> u64 {
        1
    }
}

#[derive(Clone)]
pub struct IdentityCache {
    entries: NotifiedCache<Uuid, Arc<UserAccess>>,
}

impl IdentityCache {
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            entries: NotifiedCache::new(capacity, capacity as u64, lifetime),
        }
    }

    /// The remembered user, if the cache is in use and the entry is fresh.
    pub fn get(&self, id: Uuid) -> Option<Arc<UserAccess>> {
        self.entries.get(&id)
    }

    pub fn ticket(&self) -> LoadTicket {
        self.entries.ticket()
    }

    /// Remembers `access` as loaded under `ticket`, unless something changed since.
    pub fn store(&self, ticket: LoadTicket, access: Arc<UserAccess>) {
        self.entries.store(ticket, access.user.id, access);
    }

    pub fn forget(&self, change: IdentityChange) {
        match change {
            IdentityChange::User(id) => self.entries.forget(&id),
            IdentityChange::Everyone => self.entries.forget_all(),
        }
    }

    /// A listener is connected and listening: start remembering (from empty).
    pub fn resume(&self) {
        self.entries.resume();
    }

    /// The listener is gone: changes may go unheard, so stop remembering.
    pub fn suspend(&self) {
        self.entries.suspend();
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn user(id: Uuid) -> Arc<UserAccess> {
        Arc::new(UserAccess {
            user: UserRecord {
                id,
                email: "a@b.c".into(),
                full_name: "A".into(),
                is_active: true,
                last_login_at: None,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                roles: vec![],
                permissions: vec![],
            },
            sessions: vec![Uuid::new_v4()],
        })
    }

    fn listening() -> IdentityCache {
        let cache = IdentityCache::new(10, Duration::from_secs(60));
        cache.resume();
        cache
    }

    #[test]
    fn changes_drop_one_user_or_everyone() {
        let cache = listening();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.store(cache.ticket(), user(a));
        cache.store(cache.ticket(), user(b));
        cache.forget(IdentityChange::User(a));
        assert!(cache.get(a).is_none());
        assert!(cache.get(b).is_some());
        cache.forget(IdentityChange::Everyone);
        assert!(cache.get(b).is_none());
    }
}
