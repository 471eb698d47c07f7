//! Connection Request validation, without sockets: HTTP Digest/Basic verification with
//! nonces the agent issues ([`digest`]), the signed TR-111 UDP request ([`udp`]) and a rate
//! limit ([`rate`]) so neither can be used to flood the device with sessions.

pub mod digest;
pub mod listener;
pub mod rate;
pub mod server;
pub mod udp;
pub mod udp_server;
pub mod udp_service;

pub use digest::{Algorithm, AuthError, DigestAuth, DigestConfig};
pub use listener::{ConnectionLimits, spawn_listener};
pub use rate::RateLimiter;
pub use server::{ConnRequestServer, CredentialsHandle, ServerConfig};
pub use udp::{UdpError, UdpRequest, UdpValidator};
pub use udp_server::{
    StunSettings, UdpConnRequestServer, UdpHandle, UdpServerConfig, UdpServerParts,
};
pub use udp_service::UdpService;
