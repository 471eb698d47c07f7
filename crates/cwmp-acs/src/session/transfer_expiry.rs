//! Transfers that are never reported: a task left `transferring` past its deadline (the
//! transfer's latest start plus [`super::SessionConfig::transfer_timeout`]) is faulted with
//! `transfer_timeout`, without retry.

use std::sync::Arc;

use serde_json::Value as Json;

use super::engine::NO_RETRY;
use crate::events::{EventBus, EventKind};
use crate::store::{FaultInfo, Store, StoreResult, TaskFilter, TaskStatus, Timestamp};

/// Fault code of a transfer never reported.
pub const TIMEOUT: &str = "transfer_timeout";

/// Most overdue transfers faulted per call.
const BATCH: u64 = 1000;

/// Faults the tasks whose transfer deadline is before `now`, announcing each on `bus`;
/// returns how many.
pub async fn expire_transfers(
    store: &Arc<dyn Store>,
    bus: &EventBus,
    now: Timestamp,
) -> StoreResult<u64> {
    let filter = TaskFilter {
        status: Some(TaskStatus::Transferring),
        limit: Some(BATCH),
        ..TaskFilter::default()
    };
    let mut expired = 0;
    for task in store.list_tasks(&filter).await? {
        let deadline = task
            .result
            .as_ref()
            .and_then(|r| r.get("transferDeadline"))
            .and_then(Json::as_i64);
        if deadline.is_some_and(|d| d >= now.as_millis()) {
            continue;
        }
        let fault = FaultInfo {
            code: TIMEOUT.into(),
            message: "the CPE did not report the transfer in time".into(),
            detail: task.result.clone(),
        };
        tracing::warn!(device = %task.device, task = task.id, "transfer timed out");
        store.fault_task(&task.id, fault.clone(), NO_RETRY).await?;
        bus.publish(
            &task.device,
            EventKind::TaskFault {
                task: task.id.clone(),
                fault,
            },
        );
        expired += 1;
    }
    Ok(expired)
}
