//! Integration tests: the real server over HTTP, a real PostgreSQL, and the MongoDB wire
//! protocol (a real MongoDB or the project's stand-in; see scripts/test.sh).

mod helpers;

mod analytics;
mod audit;
mod audit_chain;
mod audit_offline;
mod audit_trail;
mod auth;
mod binary;
mod catalog;
mod console;
mod docs;
mod errors;
mod event_store;
mod faults;
mod health;
mod identity_cache;
mod me;
mod outbox;
mod passwords;
mod product_cache;
mod query_time_limit;
mod rate_limits;
mod roles;
mod security;
mod sessions;
mod shutdown;
mod tokens;
mod users_admin;
