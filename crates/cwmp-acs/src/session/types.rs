//! The engine's configuration, outcomes and errors.

use std::time::Duration;

use cwmp::Envelope;

use crate::store::{RetryPolicy, StoreError};

/// Settings of the session engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Lease holder name, unique per session cluster-wide (e.g. `"<node>/<session>"`).
    pub holder: String,
    /// A session with no message for this long is over (TR-069 suggests at least 30 s).
    pub timeout: Duration,
    /// Lifetime of the device lease; renewed as messages arrive. Longer than `timeout`, so
    /// that a crashed node's lease expires soon after its sessions would have.
    pub lease_ttl: Duration,
    /// Back-off of tasks the CPE answers with a fault.
    pub retry: RetryPolicy,
    /// Send `HoldRequests=1` while the ACS has requests of its own, so that the CPE sends its
    /// requests (TransferComplete, …) only after the ACS's (TR-069 §3.5.1, HoldRequests).
    pub hold_requests: bool,
    /// What a refused second session is told to wait (HTTP `Retry-After`).
    pub busy_retry_after: Duration,
    /// How presets are applied.
    pub presets: super::PresetSettings,
    /// A transfer the CPE accepted must be reported by TransferComplete within this time
    /// past its latest start, or its task is faulted ([`super::expire_transfers`]).
    pub transfer_timeout: Duration,
    /// Limits of provision scripts and where extensions live.
    pub scripts: crate::script::ScriptConfig,
}

impl SessionConfig {
    /// Defaults for the given lease holder: 30 s timeout, 60 s lease, default retry policy,
    /// no HoldRequests, retry after 10 s when busy, transfers reported within an hour.
    pub fn new(holder: impl Into<String>) -> SessionConfig {
        SessionConfig {
            holder: holder.into(),
            timeout: Duration::from_secs(30),
            lease_ttl: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            hold_requests: false,
            busy_retry_after: Duration::from_secs(10),
            presets: super::PresetSettings::default(),
            transfer_timeout: Duration::from_secs(3600),
            scripts: crate::script::ScriptConfig::default(),
        }
    }
}

/// What to answer one HTTP request of the CPE with.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A message in the HTTP response (200).
    Reply(Box<Envelope>),
    /// An empty HTTP response (204): the ACS has nothing more to say. The session is over
    /// unless it held the CPE's requests ([`SessionConfig::hold_requests`]) and the CPE now
    /// sends them ([`super::Session::is_done`] tells).
    End,
    /// Another session of the device is in progress: answer 503 with `Retry-After`. Nothing
    /// was stored and the session is over.
    Busy {
        /// How long the CPE should wait.
        retry_after: Duration,
    },
}

/// Why a message could not be handled. After any of these the session is over (the engine
/// has released what it held); the server answers HTTP 400 (500 for [`SessionError::Store`])
/// and logs the error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SessionError {
    /// The first message of a session was not an Inform (TR-069 §3.7.1.1: a session starts
    /// with an Inform).
    #[error("session must start with an Inform, got {got}")]
    NotInform {
        /// What came instead (`empty`, a method name).
        got: String,
    },
    /// The CPE broke the message exchange pattern (e.g. a request while the ACS waits for a
    /// response, or a response to nothing).
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The session had already ended.
    #[error("session already ended")]
    Ended,
    /// The device lease was taken over (this session ran past its lease).
    #[error("device lease lost")]
    LeaseLost,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}
