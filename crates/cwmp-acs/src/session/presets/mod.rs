//! Presets: desired state for the devices that match a precondition, applied by the
//! session engine after the tasks queued through the API (so that the preset's desired state
//! is what the device is left with, and a task can prepare what a preset checks).
//!
//! In each session the engine selects the presets whose events occur in the Inform (no
//! events: every session) and whose precondition ([`crate::query`]) matches, merges their
//! [`PresetConfig`]s by weight (the higher weight wins on the same parameter, object or
//! attribute), then reads what it does not know fresh from this session and writes only
//! what differs. A CPE fault on a preset's request is recorded on channel `preset:<name>`
//! and the preset is retried after the session's back-off ([`crate::store::RetryPolicy`]),
//! also in sessions without its events; a session in which the preset is satisfied clears
//! the fault. A preset that keeps changing the device ([`PresetSettings`]) is stopped with
//! a `preset_loop` fault until the fault is deleted.

mod catalog;
mod config;
mod instances;
pub(crate) mod plan;
mod schedule;
mod settings;

pub(crate) use catalog::Catalog;
pub use catalog::PresetCache;
pub use config::{DesiredValue, Firmware, InvalidConfig, PresetConfig};
pub use instances::{InstanceRef, InstanceRule};
pub use schedule::PresetSchedule;
pub use settings::PresetSettings;

/// Fault channel of a preset.
pub fn fault_channel(preset: &str) -> String {
    format!("preset:{preset}")
}

/// Fault code of a stopped preset loop.
pub const LOOP_FAULT: &str = "preset_loop";
