//! `PRODUCT_CACHE_*`: how much of the catalogue each instance keeps in memory.

use std::time::Duration;

use super::env::{ConfigError, EnvReader};

/// The product views and the first list pages an instance remembers (0 entries: off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogCacheConfig {
    pub product_entries: usize,
    pub product_bytes: u64,
    pub page_entries: usize,
    pub page_bytes: u64,
    /// How long an entry may be served without a notification: only a change made beside
    /// the service (SQL by hand) waits this long.
    pub lifetime: Duration,
}

impl CatalogCacheConfig {
    pub fn from_env(env: &EnvReader) -> Result<Self, ConfigError> {
        const MIB: u64 = 1_048_576;
        Ok(Self {
            product_entries: env.number_or("PRODUCT_CACHE_ENTRIES", 50_000, 0..=10_000_000)?,
            product_bytes: env.number_or("PRODUCT_CACHE_MIB", 32, 1..=65_536)? * MIB,
            page_entries: env.number_or("PRODUCT_PAGE_CACHE_ENTRIES", 1_000, 0..=1_000_000)?,
            page_bytes: env.number_or("PRODUCT_PAGE_CACHE_MIB", 16, 1..=65_536)? * MIB,
            lifetime: env.duration_or("PRODUCT_CACHE_LIFETIME_SECONDS", 300, 1..=86_400)?,
        })
    }
}
