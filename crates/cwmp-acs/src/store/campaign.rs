//! Campaigns (fleet operations) as the store keeps them: one task or stored file for every
//! device a query matched, queued at a rate, a canary share first, halted when too many
//! fail. The runner that drives them is `crate::campaign`.

use super::{DeviceId, Timestamp};

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    /// Queuing tasks and reading their outcomes.
    Running,
    /// Stopped by an operator; resumes where it was.
    Paused,
    /// Stopped because the failure share passed the threshold; an operator may resume.
    Halted,
    /// Stopped for good; its queued tasks that had not run were deleted.
    Cancelled,
    /// Every device has an outcome.
    Done,
}

impl CampaignState {
    /// The name in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Halted => "halted",
            CampaignState::Cancelled => "cancelled",
            CampaignState::Done => "done",
        }
    }

    /// Parses a state name.
    pub fn parse(s: &str) -> Option<CampaignState> {
        [
            CampaignState::Running,
            CampaignState::Paused,
            CampaignState::Halted,
            CampaignState::Cancelled,
            CampaignState::Done,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// Identifier.
    pub id: String,
    /// What the operator called it.
    pub name: String,
    /// The device query (GenieACS JSON or expression), resolved once when it starts.
    pub query: String,
    /// The task queued on each device (canonical JSON of a `TaskSpec`).
    pub task: serde_json::Value,
    /// Devices whose task is queued per minute, at most.
    pub rate_per_minute: u32,
    /// Percentage of the devices (at least one) that go first, alone, as canaries.
    pub canary_percent: u8,
    /// Halt when more than this percentage of the finished devices failed.
    pub failure_percent: u8,
    /// Where it stands.
    pub state: CampaignState,
    /// Still in its canary phase.
    pub canary_phase: bool,
    /// Its devices were resolved from the query.
    pub resolved: bool,
    /// Earliest time the next task may be queued (the rate limit).
    pub next_queue: Timestamp,
    /// Why it halted or what stopped it.
    pub reason: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// When created.
    pub created: Timestamp,
    /// Last change.
    pub updated: Timestamp,
}

/// Where one device of a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Not queued yet.
    Pending,
    /// Its task is queued.
    Queued,
    /// Its task completed.
    Done,
    /// Its task faulted (or could not be queued).
    Failed,
}

impl TargetState {
    /// The name in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Pending => "pending",
            TargetState::Queued => "queued",
            TargetState::Done => "done",
            TargetState::Failed => "failed",
        }
    }

    /// Parses a state name.
    pub fn parse(s: &str) -> Option<TargetState> {
        [
            TargetState::Pending,
            TargetState::Queued,
            TargetState::Done,
            TargetState::Failed,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// One device of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignTarget {
    /// The campaign.
    pub campaign: String,
    /// The device.
    pub device: DeviceId,
    /// One of the canaries.
    pub canary: bool,
    /// Where it stands.
    pub state: TargetState,
    /// Its task, once queued.
    pub task: Option<String>,
    /// The fault or error of a failed device.
    pub detail: Option<String>,
    /// Last change.
    pub updated: Timestamp,
}

/// How many devices of a campaign stand where, in all and among the canaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignCounts {
    /// Not queued yet.
    pub pending: u64,
    /// Queued, no outcome yet.
    pub queued: u64,
    /// Completed.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Canaries without an outcome yet (pending or queued).
    pub canary_open: u64,
}

impl CampaignCounts {
    /// Every device.
    pub fn total(&self) -> u64 {
        self.pending + self.queued + self.done + self.failed
    }
}

/// Most devices one campaign takes (a bigger fleet runs as several campaigns).
pub const MAX_CAMPAIGN_DEVICES: u64 = 200_000;
