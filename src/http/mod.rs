//! The HTTP layer below the operations: the server's accept loop and connection limits, the
//! request layer (request id, limits, metrics), problem documents, the JSON body and
//! response types, the completion of the OpenAPI document and the console's embedded files.
//! Nothing here knows a resource.

pub mod client_ip;
mod connection;
pub mod console;
pub mod head_problem;
pub mod json;
pub mod json_body;
pub mod middleware;
pub mod paging;
pub mod problem;
pub mod request_context;
pub mod server;
pub mod settable;
pub mod spec;
pub mod tagged;
pub mod versioning;
