//! Who a token's user is, what they may do and which of their sessions are live,
//! remembered between requests.
//!
//! Authenticating used to read the `users_with_access` view on every request: the larger
//! part of what a simple read cost PostgreSQL (scripts/bench.sh). Entries are dropped:
//! - at once, in this process, by the services that change a user or a role;
//! - within milliseconds, in every process, through PostgreSQL notifications that triggers
//!   on `users`, `user_roles`, `roles` and `role_permissions` send at commit (see the
//!   `identity_change_notifications` migration and `worker::identity_listener`);
//! - after a short lifetime, as a backstop.
//!
//! While no listener is connected the cache is bypassed (every request reads the view), so
//! a lost connection can never leave a revoked permission in force.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

pub use crate::domain::identity::IdentityChange;
use crate::repo::pg::users::UserRecord;

/// A user with their live sessions (refresh-token families): an access token counts only
/// while its session is among them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserAccess {
    pub user: UserRecord,
    pub sessions: Vec<Uuid>,
}

#[derive(Clone)]
struct Entry {
    access: Arc<UserAccess>,
    loaded_at: Instant,
}

struct Shared {
    entries: quick_cache::sync::Cache<Uuid, Entry>,
    /// Bumped by every invalidation: a load that began before one must not be stored.
    generation: AtomicU64,
    /// True while a listener is connected and nothing may have been missed.
    listening: AtomicBool,
    lifetime: Duration,
}

#[derive(Clone)]
pub struct IdentityCache {
    shared: Arc<Shared>,
}

/// Taken before reading the store; [`IdentityCache::store`] keeps the result only if no
/// invalidation happened in between.
#[derive(Debug, Clone, Copy)]
pub struct LoadTicket(u64);

impl IdentityCache {
    pub fn new(capacity: usize, lifetime: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                entries: quick_cache::sync::Cache::new(capacity.max(1)),
                generation: AtomicU64::new(0),
                listening: AtomicBool::new(false),
                lifetime,
            }),
        }
    }

    /// The remembered user, if the cache is in use and the entry is fresh.
    pub fn get(&self, id: Uuid) -> Option<Arc<UserAccess>> {
        if !self.shared.listening.load(Ordering::Acquire) {
            return None;
        }
        self.shared
            .entries
            .get(&id)
            .filter(|entry| entry.loaded_at.elapsed() < self.shared.lifetime)
            .map(|entry| entry.access)
    }

    pub fn ticket(&self) -> LoadTicket {
        LoadTicket(self.shared.generation.load(Ordering::Acquire))
    }

    /// Remembers `access` as loaded under `ticket`, unless something changed since.
    pub fn store(&self, ticket: LoadTicket, access: Arc<UserAccess>) {
        let id = access.user.id;
        let entry = Entry {
            access,
            loaded_at: Instant::now(),
        };
        if self.shared.listening.load(Ordering::Acquire)
            && self.shared.generation.load(Ordering::Acquire) == ticket.0
        {
            self.shared.entries.insert(id, entry);
            // An invalidation may have slipped in between the check and the insert.
            if self.shared.generation.load(Ordering::Acquire) != ticket.0 {
                self.shared.entries.remove(&id);
            }
        }
    }

    pub fn forget(&self, change: IdentityChange) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        match change {
            IdentityChange::User(id) => {
                self.shared.entries.remove(&id);
            }
            IdentityChange::Everyone => self.shared.entries.clear(),
        }
    }

    /// A listener is connected and listening: start remembering (from empty).
    pub fn resume(&self) {
        self.forget(IdentityChange::Everyone);
        self.shared.listening.store(true, Ordering::Release);
    }

    /// The listener is gone: changes may go unheard, so stop remembering.
    pub fn suspend(&self) {
        self.shared.listening.store(false, Ordering::Release);
        self.forget(IdentityChange::Everyone);
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
    fn nothing_is_remembered_without_a_listener() {
        let cache = IdentityCache::new(10, Duration::from_secs(60));
        let id = Uuid::new_v4();
        cache.store(cache.ticket(), user(id));
        assert!(cache.get(id).is_none());
        let cache = listening();
        cache.store(cache.ticket(), user(id));
        assert!(cache.get(id).is_some());
        cache.suspend();
        assert!(cache.get(id).is_none());
    }

    #[test]
    fn a_load_overtaken_by_a_change_is_not_stored() {
        let cache = listening();
        let id = Uuid::new_v4();
        let ticket = cache.ticket();
        cache.forget(IdentityChange::User(Uuid::new_v4()));
        cache.store(ticket, user(id));
        assert!(cache.get(id).is_none());
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

    #[test]
    fn entries_expire() {
        let cache = IdentityCache::new(10, Duration::ZERO);
        cache.resume();
        let id = Uuid::new_v4();
        cache.store(cache.ticket(), user(id));
        assert!(cache.get(id).is_none());
    }
}
