//! The HTTP layer below the API: the server's accept loop and connection limits.

mod connection;
pub mod head_problem;
pub mod server;
