//! Services: business rules and permission checks. Each holds the repositories it needs.

pub mod account;
pub mod admin;
pub mod analytics;
pub mod audit;
pub mod audit_integrity;
pub mod audit_trail;
pub mod auth;
pub mod caller;
pub mod catalog_events;
pub mod categories;
pub mod error;
pub mod health;
pub mod identity_cache;
pub mod notified_cache;
pub mod passwords;
pub mod product_cache;
pub mod products;
pub mod rate_limit;
pub mod roles;
pub mod suppliers;
pub mod tokens;
pub mod user_admin;

/// What most services are built from: the pool their units of work come from.
#[derive(Clone)]
pub struct ServiceContext {
    pub pool: crate::repo::pg::PgPool,
}
