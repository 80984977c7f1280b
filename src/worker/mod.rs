//! Background tasks that run beside the HTTP server in the same binary.

pub mod activity;
pub mod catalog_notifier;
pub mod checkpoints;
pub mod cleanup;
pub mod event_store_setup;
pub mod listener;
pub mod relay;
pub mod rollups;
pub mod verifier;
