//! Waiting for a task to be carried out, as `POST /devices/{id}/tasks?connection_request&
//! timeout=ms` does (GenieACS): woken by the event bus, not by polling the store.

use std::time::Duration;

use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::{ApiResult, ApiState};
use crate::events::{Event, EventKind};
use crate::store::{DeviceId, Task, TaskStatus};

/// Default wait when `timeout` is not given (GenieACS waits for the session too).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);

/// Longest wait a client may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// How a wait ended.
#[derive(Debug)]
pub(crate) enum Waited {
    /// The task completed.
    Done(Task),
    /// The task faulted.
    Faulted(Task),
    /// Still pending (or running) when the time ran out, or deleted meanwhile (`None`).
    Pending(Option<Task>),
}

/// Waits up to `timeout` for task `id` of `device` to complete or fault. `events` must
/// have been subscribed before the Connection Request was sent, so that nothing is missed.
pub(crate) async fn wait_for_task(
    state: &ApiState,
    mut events: broadcast::Receiver<Arc<Event>>,
    device: &DeviceId,
    id: &str,
    timeout: Duration,
) -> ApiResult<Waited> {
    let deadline = Instant::now() + timeout.min(MAX_TIMEOUT);
    loop {
        // The store has the last word: an event only says when to look.
        let task = state.store.get_task(id).await?;
        match task {
            Some(t) if t.status == TaskStatus::Done => return Ok(Waited::Done(t)),
            Some(t) if t.status == TaskStatus::Fault => return Ok(Waited::Faulted(t)),
            None => return Ok(Waited::Pending(None)),
            Some(_) => {}
        }
        // Sleep until an event about this task or the end of a session of the device.
        loop {
            let event = match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => return Ok(Waited::Pending(state.store.get_task(id).await?)),
                Ok(Err(RecvError::Closed)) => {
                    return Ok(Waited::Pending(state.store.get_task(id).await?));
                }
                // Events were lost: look at the store again.
                Ok(Err(RecvError::Lagged(_))) => break,
                Ok(Ok(e)) => e,
            };
            if event.device != device.as_str() {
                continue;
            }
            let relevant = match &event.kind {
                EventKind::TaskDone { task } | EventKind::TaskFault { task, .. } => task == id,
                EventKind::SessionEnd { .. } => true,
                EventKind::Inform { .. }
                | EventKind::Fault { .. }
                | EventKind::AutonomousTransfer { .. } => false,
            };
            if relevant {
                break;
            }
        }
    }
}

/// The `timeout` parameter: milliseconds, capped at [`MAX_TIMEOUT`].
pub(crate) fn timeout_of(ms: Option<u64>) -> Duration {
    ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis)
        .min(MAX_TIMEOUT)
}
