//! Stockroom: a shop back-office service. PostgreSQL holds the relational core, MongoDB the
//! audit trail and activity events; a transactional outbox keeps the two in step.

pub mod api;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod repo;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod worker;
