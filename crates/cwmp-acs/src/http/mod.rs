//! HTTP servers: the one accept loop every listener runs ([`accept`]) and the CWMP endpoint
//! (the northbound API is in [`crate::api`], the file server in [`crate::files`]).

pub mod accept;
mod auth_gate;
mod body;
pub mod cwmp_endpoint;
mod request;
mod response;
mod session_table;
pub mod tls;

pub use cwmp_endpoint::{CwmpEndpoint, EndpointConfig, EndpointParts};
pub use request::SESSION_COOKIE;
