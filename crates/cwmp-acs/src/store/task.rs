//! Tasks queued for devices, their lifecycle and retry policy.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{DeviceId, FaultInfo, Timestamp};

/// Lifecycle of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for the device's next session.
    Pending,
    /// Claimed by a session in progress.
    Running,
    /// The CPE accepted a transfer (Download, Upload, ScheduleDownload) and the task waits
    /// for its TransferComplete, in a later session (TR-069 §A.3.3.2).
    Transferring,
    /// Failed; `fault` says why, `next_attempt` when it is retried (if ever). The fault is
    /// also open on the device's channel `task_<id>`. (A task that completes is deleted.)
    Fault,
}

impl TaskStatus {
    /// The text stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Transferring => "transferring",
            TaskStatus::Fault => "fault",
        }
    }

    /// Inverse of [`TaskStatus::as_str`].
    pub fn parse(s: &str) -> Option<TaskStatus> {
        Some(match s {
            "pending" => TaskStatus::Pending,
            "running" => TaskStatus::Running,
            "transferring" => TaskStatus::Transferring,
            "fault" => TaskStatus::Fault,
            _ => return None,
        })
    }
}

/// A task to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Target device (must exist).
    pub device: DeviceId,
    /// What to do; stored in its canonical JSON form.
    pub spec: crate::task::TaskSpec,
    /// After this time the task is no longer run.
    pub expiry: Option<Timestamp>,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Id: 24 hex digits, ObjectId-like (time-ordered), as GenieACS.
    pub id: String,
    /// Target device.
    pub device: DeviceId,
    /// Kind.
    pub name: String,
    /// The task as JSON.
    pub payload: serde_json::Value,
    /// Status.
    pub status: TaskStatus,
    /// What is known of the answer while it waits for its TransferComplete.
    pub result: Option<serde_json::Value>,
    /// Last fault.
    pub fault: Option<FaultInfo>,
    /// How many times it faulted since created or last retried.
    pub attempts: u32,
    /// Not run before this time (back-off after a fault).
    pub next_attempt: Option<Timestamp>,
    /// Not run after this time.
    pub expiry: Option<Timestamp>,
    /// Creation time.
    pub created: Timestamp,
    /// Sessions that ended while it was running, its request sent and its outcome unknown
    /// (reset by an operator's retry).
    pub interrupted: u32,
}

impl Task {
    /// The task as typed; an old stored shape that no longer parses is an invalid task.
    pub fn spec(&self) -> Result<crate::task::TaskSpec, crate::task::InvalidTask> {
        crate::task::TaskSpec::from_stored(&self.payload)
    }

    /// The channel of its fault (`task_<id>`, as GenieACS).
    pub fn fault_channel(&self) -> String {
        task_fault_channel(&self.id)
    }
}

/// The fault channel of task `id`: `task_<id>`, so its fault is `<device>:task_<id>`.
pub fn task_fault_channel(id: &str) -> String {
    format!("{TASK_CHANNEL_PREFIX}{id}")
}

/// Prefix of the fault channels of tasks.
pub const TASK_CHANNEL_PREFIX: &str = "task_";

/// Exponential back-off for faulted tasks: attempt *n* (1-based) waits
/// `min(base * 2^(n-1), max_delay)`; after `max_attempts` faults the task stays faulted until
/// retried through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First delay.
    pub base: Duration,
    /// Cap on the delay.
    pub max_delay: Duration,
    /// Automatic retries stop after this many faults.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(60),
            max_delay: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// Delay before the retry that follows fault number `attempts` (1-based), or `None` when
    /// automatic retries are exhausted.
    pub fn delay(&self, attempts: u32) -> Option<Duration> {
        if attempts == 0 || attempts > self.max_attempts {
            return None;
        }
        let factor = 1u32.checked_shl(attempts - 1).unwrap_or(u32::MAX);
        Some(self.base.saturating_mul(factor).min(self.max_delay))
    }
}

/// Which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskFilter {
    /// Only this device's.
    pub device: Option<DeviceId>,
    /// Only with this status.
    pub status: Option<TaskStatus>,
    /// Skip this many (ordered by creation).
    pub skip: u64,
    /// At most this many.
    pub limit: Option<u64>,
}
