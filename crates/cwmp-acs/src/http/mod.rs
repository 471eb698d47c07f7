//! HTTP servers: the CWMP endpoint (the northbound API is in [`crate::api`]).

pub mod accept;
mod auth_gate;
mod body;
pub mod cwmp_endpoint;
pub mod tls;

pub use cwmp_endpoint::{CwmpEndpoint, EndpointConfig, EndpointParts, SESSION_COOKIE};
