//! An in-memory backend for tests and the fleet simulator.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use super::{ApplyStatus, Backend, BackendError, Change, LiveRead};

/// Values are stored in the tree; optionally simulates `UpTime` and
/// `CurrentLocalTime`, and reports "needs reboot" for chosen parameters.
/// Small (24 bytes) so that 100,000 simulated devices can each own one.
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    boot: Option<Instant>,
    /// Schema paths whose setting takes effect only after a reboot (shared).
    reboot_params: Option<Arc<HashSet<Box<str>>>>,
}

impl MemoryBackend {
    /// Nothing live, everything applied at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Simulates `DeviceInfo.UpTime` (seconds since `boot`) and `Time.CurrentLocalTime`.
    pub fn with_clock(mut self, boot: Instant) -> Self {
        self.boot = Some(boot);
        self
    }

    /// Settings of these schema paths answer Status 1 (applied after reboot).
    pub fn with_reboot_params(mut self, params: Arc<HashSet<Box<str>>>) -> Self {
        self.reboot_params = Some(params);
        self
    }
}

fn is_uptime(p: &str) -> bool {
    p.ends_with(".DeviceInfo.UpTime")
}

fn is_clock(p: &str) -> bool {
    p.ends_with(".Time.CurrentLocalTime")
}

impl Backend for MemoryBackend {
    fn is_live(&self, schema_path: &str) -> bool {
        self.boot.is_some() && (is_uptime(schema_path) || is_clock(schema_path))
    }

    fn read(&self, req: &LiveRead<'_>) -> Option<String> {
        let boot = self.boot?;
        let p = req.schema_path();
        if is_uptime(p) {
            Some(
                boot.elapsed()
                    .as_secs()
                    .min(u64::from(u32::MAX))
                    .to_string(),
            )
        } else if is_clock(p) {
            Some(cwmp::DateTime::now_utc().to_string())
        } else {
            None
        }
    }

    fn apply(&mut self, changes: &[Change<'_>]) -> Result<ApplyStatus, BackendError> {
        let reboot = self
            .reboot_params
            .as_ref()
            .is_some_and(|set| changes.iter().any(|c| set.contains(c.schema_path)));
        Ok(if reboot {
            ApplyStatus::Pending
        } else {
            ApplyStatus::Applied
        })
    }
}
