//! Fleet figures for the console's overview: devices online (informed within 1.5 times
//! their own PeriodicInformInterval plus a minute), firmware versions, and the samples of
//! online/offline over time that `crate::fleet_stats` records.

use super::Timestamp;

/// The fleet now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSummary {
    /// Devices.
    pub total: u64,
    /// Devices informed within their interval.
    pub online: u64,
    /// The most common SoftwareVersion values with their device counts, most first
    /// (`""`: devices that never reported one).
    pub firmware: Vec<(String, u64)>,
}

/// One sample of the fleet over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetSample {
    /// When.
    pub time: Timestamp,
    /// Devices then.
    pub total: u64,
    /// Online then.
    pub online: u64,
}

/// Firmware versions listed by [`FleetSummary::firmware`].
pub const FIRMWARE_SHOWN: u64 = 20;

/// Samples are kept this long.
pub const SAMPLES_KEPT: std::time::Duration = std::time::Duration::from_secs(8 * 24 * 3600);

/// The interval assumed of a device that never reported its PeriodicInformInterval (s).
pub const DEFAULT_INFORM_INTERVAL_SECS: i64 = 3600;
