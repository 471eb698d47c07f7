//! The CWMP session engine: one [`Session`] per CWMP session of one device, fed one parsed
//! HTTP request body at a time, answering with an [`Outcome`] and applying the effects to the
//! [`Store`]. No I/O besides the store, no clock: the caller passes `now`.
//!
//! Phases (TR-069 §3.7.1): the Inform opens the session and is answered with an
//! InformResponse; the CPE then sends its own requests (TransferComplete, Kicked, …), each
//! answered; its empty POST hands over to the ACS, which sends the device's due tasks one
//! request per HTTP response, storing each answer; when none are left the ACS answers with an
//! empty response, and the session is over. After the tasks, the [`presets`] bring the
//! device to its desired state.

mod cpe;
mod engine;
pub mod presets;
pub(crate) mod provisions;
mod results;
mod transfer_expiry;
mod types;

pub use cpe::ACS_METHODS;
pub use engine::{MAX_CPE_REQUESTS, Session};
pub use presets::{
    MAX_PROVISION_ARGS, PresetConfig, PresetSchedule, PresetSettings, ProvisionCall,
};
pub use transfer_expiry::expire_transfers;
pub use types::{Outcome, SessionConfig, SessionError};
