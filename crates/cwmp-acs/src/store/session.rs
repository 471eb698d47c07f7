//! What a CWMP session stores at its start and end.

use cwmp::EventCode;
use serde::Serialize;

use super::{DeviceId, FaultRecord, InformOutcome, InformUpdate, PresetState, Task, Timestamp};

/// What a session needs stored at its Inform, applied in one transaction by
/// [`Store::begin_session`](super::Store::begin_session).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStart {
    /// The session's lease holder (`"<node>/<session>"`).
    pub holder: String,
    /// How long the lease lasts unless renewed.
    pub lease_ttl: std::time::Duration,
    /// The Inform.
    pub inform: InformUpdate,
}

/// What [`Store::begin_session`](super::Store::begin_session) found: the Inform's outcome
/// and the device's state the session starts from, read in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBegun {
    /// What the Inform upsert found.
    pub inform: InformOutcome,
    /// Tasks left `running` by a dead session, now pending again.
    pub requeued: u64,
    /// Tasks due at the Inform's time, as [`Store::due_tasks`](super::Store::due_tasks).
    pub due: Vec<Task>,
    /// The preset engine's bookkeeping of the device.
    pub preset_states: Vec<PresetState>,
    /// The device's open faults.
    pub faults: Vec<FaultRecord>,
}

/// One finished CWMP session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    /// Device.
    pub device: DeviceId,
    /// Start (the Inform).
    pub started: Timestamp,
    /// End.
    pub ended: Timestamp,
    /// Inform events.
    pub events: Vec<EventCode>,
    /// RPCs exchanged (both directions).
    pub rpc_count: u32,
    /// `ok`, `timeout`, `fault`, `error: …`.
    pub outcome: String,
}
