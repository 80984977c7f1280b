//! Background tasks that run beside the HTTP server in the same binary.

pub mod activity;
pub mod cleanup;
pub mod relay;
