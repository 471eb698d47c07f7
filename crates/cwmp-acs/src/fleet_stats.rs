//! Samples the fleet (devices, those online) into the store every period, for the
//! console's online/offline chart; one sample at start, then one per period.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{FleetSample, Store, Timestamp};

/// Default sampling period.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(60);

/// Takes one sample now.
pub async fn sample(store: &dyn Store) -> crate::store::StoreResult<FleetSample> {
    let now = Timestamp::now();
    let summary = store.fleet_summary(now).await?;
    let s = FleetSample {
        time: now,
        total: summary.total,
        online: summary.online,
    };
    store.put_fleet_sample(s).await?;
    Ok(s)
}

/// Samples every `period` until the task is dropped.
pub fn spawn(store: Arc<dyn Store>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(period);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            if let Err(e) = sample(store.as_ref()).await {
                tracing::warn!(error = %e, "fleet sample failed");
            }
        }
    })
}
