//! A cache kept honest by PostgreSQL notifications: what a process remembers between
//! requests (identities, product views), dropped
//! - at once, in this process, by the service that made a change, before it answers;
//! - within milliseconds, in every process, when a notification announces the change;
//! - after `lifetime`, as a backstop (a change no notification announced).
//!
//! While no listener is connected it remembers nothing (every read goes to PostgreSQL), so a
//! lost connection can never leave a changed row served. A load that began before any
//! change was forgotten is not stored ([`LoadTicket`]): it may have read the row before the
//! change committed.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::Weighter;

/// What a value costs the cache: its size in bytes, roughly.
pub trait Footprint {
    fn footprint(&self) -> u64;
}

#[derive(Clone)]
struct Entry<V> {
    value: V,
    loaded_at: Instant,
}

/// Weighs an entry by its footprint, and never below `floor` (the byte budget over the
/// entry budget): so the cache holds at most the entries *and* at most the bytes it is given.
#[derive(Clone)]
struct Budget {
    floor: u64,
}

impl<K, V: Footprint> Weighter<K, Entry<V>> for Budget {
    fn weight(&self, _key: &K, entry: &Entry<V>) -> u64 {
        entry.value.footprint().max(self.floor)
    }
}

struct Shared<K, V> {
    entries: quick_cache::sync::Cache<K, Entry<V>, Budget>,
    /// Bumped by every invalidation: a load that began before one must not be stored.
    generation: AtomicU64,
    /// True while a listener is connected and nothing may have been missed.
    listening: AtomicBool,
    lifetime: Duration,
}

pub struct NotifiedCache<K, V> {
    shared: Arc<Shared<K, V>>,
}

impl<K, V> Clone for NotifiedCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

/// Taken before reading the store; [`NotifiedCache::store`] keeps the result only if no
/// invalidation happened in between.
#[derive(Debug, Clone, Copy)]
pub struct LoadTicket(u64);

impl<K: Eq + Hash + Clone, V: Clone + Footprint> NotifiedCache<K, V> {
    /// At most `max_entries` entries and `max_bytes` bytes of footprint (0 entries: off).
    pub fn new(max_entries: usize, max_bytes: u64, lifetime: Duration) -> Self {
        let entries = max_entries.max(1);
        let bytes = if max_entries == 0 {
            0
        } else {
            max_bytes.max(1)
        };
        let floor = (bytes / entries as u64).max(1);
        Self {
            shared: Arc::new(Shared {
                entries: quick_cache::sync::Cache::with_weighter(entries, bytes, Budget { floor }),
                generation: AtomicU64::new(0),
                listening: AtomicBool::new(false),
                lifetime,
            }),
        }
    }

    /// The remembered value, if the cache is in use and the entry is fresh.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.shared.listening.load(Ordering::Acquire) {
            return None;
        }
        self.shared
            .entries
            .get(key)
            .filter(|entry| entry.loaded_at.elapsed() < self.shared.lifetime)
            .map(|entry| entry.value)
    }

    pub fn ticket(&self) -> LoadTicket {
        LoadTicket(self.shared.generation.load(Ordering::Acquire))
    }

    /// Remembers `value` as loaded under `ticket`, unless something changed since.
    pub fn store(&self, ticket: LoadTicket, key: K, value: V) {
        let current = || self.shared.generation.load(Ordering::Acquire) == ticket.0;
        if !self.shared.listening.load(Ordering::Acquire) || !current() {
            return;
        }
        let entry = Entry {
            value,
            loaded_at: Instant::now(),
        };
        self.shared.entries.insert(key.clone(), entry);
        // An invalidation may have slipped in between the check and the insert.
        if !current() {
            self.shared.entries.remove(&key);
        }
    }

    pub fn forget(&self, key: &K) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        self.shared.entries.remove(key);
    }

    pub fn forget_all(&self) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        self.shared.entries.clear();
    }

    /// A listener is connected and listening: start remembering (from empty).
    pub fn resume(&self) {
        self.forget_all();
        self.shared.listening.store(true, Ordering::Release);
    }

    /// The listener is gone: changes may go unheard, so stop remembering.
    pub fn suspend(&self) {
        self.shared.listening.store(false, Ordering::Release);
        self.forget_all();
    }

    /// How many entries and how many bytes of footprint it holds now.
    pub fn usage(&self) -> (usize, u64) {
        (self.shared.entries.len(), self.shared.entries.weight())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Footprint for String {
        fn footprint(&self) -> u64 {
            self.len() as u64
        }
    }

    fn listening(entries: usize, bytes: u64) -> NotifiedCache<u32, String> {
        let cache = NotifiedCache::new(entries, bytes, Duration::from_secs(60));
        cache.resume();
        cache
    }

    #[test]
    fn nothing_is_remembered_without_a_listener() {
        let cache = NotifiedCache::new(10, 1_000, Duration::from_secs(60));
        cache.store(cache.ticket(), 1, "a".to_owned());
        assert_eq!(cache.get(&1), None);
        cache.resume();
        cache.store(cache.ticket(), 1, "a".to_owned());
        assert_eq!(cache.get(&1).as_deref(), Some("a"));
        cache.suspend();
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn a_load_overtaken_by_any_change_is_not_stored() {
        let cache = listening(10, 1_000);
        let ticket = cache.ticket();
        cache.forget(&2);
        cache.store(ticket, 1, "stale".to_owned());
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn changes_drop_one_entry_or_all() {
        let cache = listening(10, 1_000);
        cache.store(cache.ticket(), 1, "a".to_owned());
        cache.store(cache.ticket(), 2, "b".to_owned());
        cache.forget(&1);
        assert_eq!(cache.get(&1), None);
        assert!(cache.get(&2).is_some());
        cache.forget_all();
        assert_eq!(cache.get(&2), None);
    }

    #[test]
    fn entries_expire() {
        let cache = NotifiedCache::new(10, 1_000, Duration::ZERO);
        cache.resume();
        cache.store(cache.ticket(), 1, "a".to_owned());
        assert_eq!(cache.get(&1), None);
    }

    #[test]
    fn both_the_entry_and_the_byte_budgets_hold() {
        let by_entries = listening(100, 1_000_000);
        for key in 0..1_000 {
            by_entries.store(by_entries.ticket(), key, "x".to_owned());
        }
        assert!(by_entries.usage().0 <= 100, "{:?}", by_entries.usage());
        let by_bytes = listening(1_000, 10_000);
        for key in 0..1_000 {
            by_bytes.store(by_bytes.ticket(), key, "y".repeat(1_000));
        }
        let (entries, bytes) = by_bytes.usage();
        assert!(
            entries <= 10 && bytes <= 10_000,
            "{entries} entries, {bytes} bytes"
        );
        let off = NotifiedCache::new(0, 1_000, Duration::from_secs(60));
        off.resume();
        off.store(off.ticket(), 1, "a".to_owned());
        assert_eq!(off.get(&1), None, "0 entries: nothing is kept");
    }
}
