//! Presets and the preset engine's per-device bookkeeping.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// A preset: desired state for matching devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Unique name.
    pub name: String,
    /// Order of application (higher wins on conflicts).
    pub weight: i32,
    /// GenieACS's channel (`default` unless given).
    pub channel: String,
    /// Precondition as given: a JSON query (object), or its JSON text, as GenieACS stores it.
    pub precondition: serde_json::Value,
    /// Inform events, GenieACS's way: `true` must occur, `false` must not (empty: every
    /// session).
    pub events: std::collections::BTreeMap<String, bool>,
    /// GenieACS's schedule, `"<seconds> <cron>"`: the preset applies within that many
    /// seconds after each time the cron expression names (UTC).
    pub schedule: Option<String>,
    /// What the device should look like (JSON).
    pub configuration: serde_json::Value,
}

/// The preset engine's bookkeeping for one device and preset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresetState {
    /// Preset name.
    pub preset: String,
    /// Consecutive sessions in which the preset made changes (loop detection).
    pub streak: u32,
    /// After a fault: not tried again before this time.
    pub next_attempt: Option<Timestamp>,
    /// Command key of the firmware download it started and waits for.
    pub download: Option<String>,
}
