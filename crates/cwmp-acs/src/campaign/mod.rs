//! The campaign runner: drives every running campaign (`store::Campaign`) one step per tick,
//! from what the store holds, so that a restarted ACS resumes where it was.
//!
//! A step: resolve the query to its devices once (the canaries spread evenly over them);
//! read the outcome of each queued task (deleted = done, faulted = failed); halt when more
//! than `failure_percent` of the finished devices failed (judged once at least as many
//! devices as there are canaries finished); in the canary phase queue only canaries, and
//! leave it when every canary has an outcome; queue the next devices as the rate allows
//! (`next_queue` advances by one interval per task, so a pause or a restart does not burst),
//! each task followed by a Connection Request; finish when every device has an outcome.

mod step;

use std::sync::Arc;
use std::time::Duration;

use crate::api::{ApiExtras, ApiState};
use crate::store::{CampaignState, StoreResult, Timestamp};

/// Most tasks one campaign queues per tick.
pub const MAX_QUEUED_PER_TICK: u64 = 200;

/// Most queued tasks whose outcome is read per campaign and tick.
pub const MAX_OUTCOMES_PER_TICK: u64 = 2000;

/// Drives campaigns.
#[derive(Clone)]
pub struct Runner {
    state: ApiState,
    extras: ApiExtras,
}

impl Runner {
    /// A runner over the API's store, Connection Request settings and metrics.
    pub fn new(state: ApiState, extras: ApiExtras) -> Runner {
        Runner { state, extras }
    }

    /// One step of every running campaign at time `now`.
    pub async fn tick(&self, now: Timestamp) -> StoreResult<()> {
        for campaign in self.state.store.list_campaigns().await? {
            if campaign.state == CampaignState::Running {
                let id = campaign.id.clone();
                if let Err(e) = step::step(self, campaign, now).await {
                    tracing::error!(campaign = %id, error = %e, "campaign step failed");
                }
            }
        }
        Ok(())
    }

    /// Runs [`Runner::tick`] every `period` until the task is dropped.
    pub fn spawn(self, period: Duration) -> tokio::task::JoinHandle<()> {
        let runner = Arc::new(self);
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(period);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                timer.tick().await;
                if let Err(e) = runner.tick(Timestamp::now()).await {
                    tracing::error!(error = %e, "campaign runner: cannot list campaigns");
                }
            }
        })
    }
}
