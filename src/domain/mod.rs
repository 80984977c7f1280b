//! Domain types shared by the services and the repositories.

pub mod activity;
pub mod analytics;
pub mod audit;
pub mod audit_chain;
pub mod audit_checkpoint;
pub mod audit_query;
pub mod audit_verify;
pub mod catalog;
mod common_passwords;
pub mod credentials;
pub mod identity;
pub mod money;
pub mod names;
pub mod page;
pub mod rollups;
pub mod text;
pub mod value;
