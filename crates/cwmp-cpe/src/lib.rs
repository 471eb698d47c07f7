//! The CWMP (TR-069) device agent's pure core: an injectable [`clock`], the persistent
//! [`events`] queue with the retain/discard rules of TR-069 §3.7.1.5, session [`retry`]
//! back-off (§3.2.1.1), periodic and scheduled Inform timers ([`schedule`]) and
//! Connection Request validation ([`conn_request`]: HTTP Digest/Basic, TR-111 UDP, rate limit)
//! and the CPE side of a [`session`] (Inform, the CPE's requests, answers to the ACS).
//!
//! The pure parts open no socket; [`transport`] carries a session over HTTP/1.1 and
//! [`conn_request::server`] is the HTTP Connection Request listener.

pub mod agent;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conn_request;
pub mod control;
pub mod diagnostics;
pub mod events;
pub mod handlers;
pub mod retry;
pub mod schedule;
pub mod session;
pub mod settings;
pub mod stun;
pub mod transfer;
pub mod transport;

pub use clock::{Clock, ManualClock, SystemClock};
pub use events::{EventQueue, QueueError};

pub use retry::{Retry, RetryPolicy};
pub use schedule::{PeriodicInform, Scheduler};
pub use session::{CpeRequest, Effect, PendingRequests, Session, Step};
