//! Waiting for a task to be carried out, as `POST /devices/{id}/tasks?connection_request&
//! timeout=ms` does (GenieACS): woken by the event bus, not by polling the store.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::{ApiResult, ApiState};
use crate::events::{Event, EventKind};
use crate::store::{DeviceId, Task, TaskStatus};

/// Default wait when `timeout` is not given (GenieACS's `cwmp.deviceOnlineThreshold`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(4000);

/// Longest wait a client may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// How a wait ended.
#[derive(Debug)]
pub(crate) enum Waited {
    /// The task completed (and is deleted); its result when the event carrying it was seen.
    Done(Option<Json>),
    /// The task faulted.
    Faulted(Task),
    /// Still pending (or running, or transferring) when the time ran out.
    Pending(Task),
}

/// How long a session that started is waited for once it began (GenieACS waits 120 s for
/// the session to end).
pub const SESSION_WAIT: Duration = Duration::from_secs(120);

/// The task's state in the store, as a final answer.
async fn settled(state: &ApiState, id: &str) -> ApiResult<Result<Waited, Task>> {
    Ok(match state.store.get_task(id).await? {
        None => Ok(Waited::Done(None)),
        Some(t) if t.status == TaskStatus::Fault => Ok(Waited::Faulted(t)),
        Some(t) => Err(t),
    })
}

/// Waits for task `id` of `device` as GenieACS does: up to `online` for the device's session
/// to start (the timeout of `?timeout=`), then up to [`SESSION_WAIT`] for the task to
/// complete or fault or the session to end. `events` must have been subscribed before the
/// task could run, so that nothing is missed.
pub(crate) async fn wait_for_task(
    state: &ApiState,
    mut events: broadcast::Receiver<Arc<Event>>,
    device: &DeviceId,
    id: &str,
    online: Duration,
) -> ApiResult<Waited> {
    let mut deadline = Instant::now() + online.min(MAX_TIMEOUT);
    let mut started = false;
    loop {
        // The store has the last word: an event only says when to look. A completed task
        // is deleted, so a task gone from the store is done (or deleted meanwhile).
        let task = match settled(state, id).await? {
            Ok(done) => return Ok(done),
            Err(task) => task,
        };
        if task.status == TaskStatus::Running && !started {
            started = true;
            deadline = Instant::now() + SESSION_WAIT;
        }
        loop {
            let event = match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(RecvError::Closed)) => {
                    return Ok(settled(state, id).await?.unwrap_or_else(Waited::Pending));
                }
                // Events were lost: look at the store again.
                Ok(Err(RecvError::Lagged(_))) => break,
                Ok(Ok(e)) => e,
            };
            if event.device != device.as_str() {
                continue;
            }
            match &event.kind {
                EventKind::TaskDone { task, result } if task == id => {
                    return Ok(Waited::Done(Some(result.clone())));
                }
                EventKind::TaskFault { task, .. } if task == id => break,
                EventKind::Inform { .. } if !started => {
                    started = true;
                    deadline = Instant::now() + SESSION_WAIT;
                }
                EventKind::SessionEnd { .. } if started => {
                    return Ok(settled(state, id).await?.unwrap_or_else(Waited::Pending));
                }
                _ => {}
            }
        }
    }
}

/// The `timeout` parameter: milliseconds, capped at [`MAX_TIMEOUT`].
pub(crate) fn timeout_of(ms: Option<u64>) -> Duration {
    ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis)
        .min(MAX_TIMEOUT)
}

/// The diagnostics objects a task requests (`…DiagnosticsState` set to `Requested`, TR-143).
pub(crate) fn requested_diagnostics(spec: &crate::task::TaskSpec) -> Vec<String> {
    let crate::task::TaskSpec::SetParameterValues(set) = spec else {
        return Vec::new();
    };
    set.parameter_values
        .iter()
        .filter_map(|v| crate::task::requested_diagnostic(&v.path, &v.value.text()))
        .map(str::to_owned)
        .collect()
}

/// After a task that requested diagnostics completed: waits up to [`SESSION_WAIT`] for the
/// CPE's `8 DIAGNOSTICS COMPLETE` session to read every result back (the session engine
/// refreshes the objects), then the results as `{path: value}`; `None` when they are not all
/// in by then.
pub(crate) async fn wait_for_diagnostics(
    state: &ApiState,
    mut events: broadcast::Receiver<Arc<Event>>,
    device: &DeviceId,
    objects: &[String],
) -> ApiResult<Option<Json>> {
    let deadline = Instant::now() + SESSION_WAIT;
    loop {
        let mut results = serde_json::Map::new();
        let mut all_in = true;
        for object in objects {
            for p in state.store.get_parameters(device, object).await? {
                let value = p.value.map(|v| v.as_text().into_owned());
                if value
                    .as_deref()
                    .is_some_and(|v| crate::task::requested_diagnostic(&p.path, v).is_some())
                {
                    all_in = false;
                }
                if let Some(v) = value {
                    results.insert(p.path, Json::String(v));
                }
            }
        }
        if all_in {
            return Ok(Some(Json::Object(results)));
        }
        // Until a session of the device ends (or events were lost): then look again.
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(RecvError::Closed)) => return Ok(None),
                Ok(Err(RecvError::Lagged(_))) => break,
                Ok(Ok(e)) if e.device == device.as_str() => {
                    if matches!(
                        e.kind,
                        EventKind::SessionEnd { .. } | EventKind::TaskDone { .. }
                    ) {
                        break;
                    }
                }
                Ok(Ok(_)) => {}
            }
        }
    }
}
