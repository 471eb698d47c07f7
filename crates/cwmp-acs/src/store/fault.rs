//! Faults recorded on a device's channels.

use serde::{Deserialize, Serialize};

use super::{DeviceId, Timestamp};

/// A fault as kept with a task or a fault record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultInfo {
    /// Code, e.g. `cwmp.9005`, `session_terminated`, `preset_loop`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Structured detail (e.g. the CWMP fault struct).
    pub detail: Option<serde_json::Value>,
}

/// A fault to record on a channel (`task_<id>`, a preset channel, …).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFault {
    /// Device.
    pub device: DeviceId,
    /// Channel; one open fault per device and channel.
    pub channel: String,
    /// The fault.
    pub fault: FaultInfo,
}

/// A stored fault; its API id is `<device>:<channel>` as in GenieACS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRecord {
    /// Device.
    pub device: DeviceId,
    /// Channel.
    pub channel: String,
    /// The fault.
    pub fault: FaultInfo,
    /// How many times it recurred after the first (0 on first record).
    pub retries: u32,
    /// Time of the last occurrence.
    pub timestamp: Timestamp,
}

impl FaultRecord {
    /// GenieACS fault id `<device>:<channel>`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.device, self.channel)
    }
}
