//! `/tasks` and `POST /devices/{id}/tasks`.

use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::doc_query::DocQuery;
use super::files::iso;
use super::task_wait::{self, Waited};
use super::{ApiError, ApiExtras, ApiResult, ApiState, QueryString, cr, parse_json};
use crate::metrics::CrOutcome;
use crate::store::{DeviceId, NewTask, Task, TaskFilter, TaskStatus, Timestamp};
use crate::task::TaskSpec;

/// A task as GenieACS shows it: its fields plus `_id`, `device`, `timestamp` (ISO 8601, as
/// GenieACS's JSON dates), `retries` and, once faulted, `fault`; ours besides: `status`,
/// `expiry`, and `result` while a transfer waits for its TransferComplete.
pub(crate) fn task_json(t: &Task) -> JsonValue {
    let mut obj = match &t.payload {
        JsonValue::Object(m) => m.clone(),
        _ => Map::new(),
    };
    obj.insert("_id".into(), json!(t.id));
    obj.insert("device".into(), json!(t.device.as_str()));
    obj.insert("name".into(), json!(t.name));
    obj.insert("timestamp".into(), json!(iso(t.created)));
    obj.insert("status".into(), json!(t.status));
    obj.insert("retries".into(), json!(t.attempts));
    if let Some(r) = &t.result {
        obj.insert("result".into(), r.clone());
    }
    if let Some(f) = &t.fault {
        obj.insert("fault".into(), json!(f));
    }
    if let Some(e) = t.expiry {
        obj.insert("expiry".into(), json!(iso(e)));
    }
    JsonValue::Object(obj)
}

/// `?connection_request&timeout=`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateParams {
    connection_request: Option<String>,
    /// How long to wait for the device's session to start after a Connection Request (ms).
    timeout: Option<u64>,
}

/// `POST /devices/{id}/tasks`: the task is queued and answered with 202 (GenieACS: "queued
/// to be executed at the next inform"). With `?connection_request` a Connection Request is
/// sent — unless one went to the device less than the rate-limit interval ago: the task is
/// then queued all the same and runs in the session in progress or the next — and the task
/// is awaited as GenieACS does (up to `timeout` ms for the session to start, then for the
/// task): 200 with the task and its `result` when it completed, 202 when it is still
/// queued, faulted (with its `fault`) or the request failed (`connectionRequest` says how
/// it went). A task that requests diagnostics (a `…DiagnosticsState` set to `Requested`)
/// also waits for their results, read back in the CPE's `8 DIAGNOSTICS COMPLETE` session, and
/// answers them in `result.diagnostics`. With no body, `?connection_request` only sends the
/// Connection Request: 200, or 504 when it failed.
pub(crate) async fn create(
    State(state): State<ApiState>,
    Extension(extras): Extension<ApiExtras>,
    Path(id): Path<String>,
    QueryString(params): QueryString<CreateParams>,
    body: Bytes,
) -> ApiResult<Response> {
    let device = DeviceId::from_escaped(id);
    let with_cr = params.connection_request.is_some();
    if with_cr && body.iter().all(u8::is_ascii_whitespace) {
        return connection_request_only(&state, &extras, &device).await;
    }
    let request = TaskSpec::from_request(parse_json(&body)?)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let diagnostics = task_wait::requested_diagnostics(&request.spec);
    super::files::check_task_files(&extras, &device, &request.spec).await?;
    let expiry = request
        .expiry_secs
        .map(|s| Timestamp::now().plus(Duration::from_secs(s)));
    // Subscribed before the task exists, so that a quick session is not missed.
    let events = extras.events.subscribe();
    let later_events = (!diagnostics.is_empty()).then(|| extras.events.subscribe());
    let task = state
        .store
        .create_task(NewTask {
            device: device.clone(),
            spec: request.spec,
            expiry,
        })
        .await?;
    if !with_cr {
        return Ok((StatusCode::ACCEPTED, Json(task_json(&task))).into_response());
    }
    let cr = request_for(&state, &extras, &device, &task.id).await?;
    let (status, mut out) = if cr["ok"] == json!(true) {
        let online = task_wait::timeout_of(params.timeout);
        match task_wait::wait_for_task(&state, events, &device, &task.id, online).await? {
            Waited::Done(result) => {
                let mut out = task_json(&task);
                out["status"] = json!("done");
                if let Some(r) = result {
                    out["result"] = r;
                }
                if let Some(later_events) = later_events {
                    // A diagnostic runs after the session: wait for its results too.
                    let read = task_wait::wait_for_diagnostics(
                        &state,
                        later_events,
                        &device,
                        &diagnostics,
                    )
                    .await?;
                    match read {
                        Some(results) => {
                            out["result"]["diagnostics"] = results;
                            (StatusCode::OK, out)
                        }
                        None => (StatusCode::ACCEPTED, out),
                    }
                } else {
                    (StatusCode::OK, out)
                }
            }
            Waited::Faulted(t) | Waited::Pending(t) => (StatusCode::ACCEPTED, task_json(&t)),
        }
    } else {
        (StatusCode::ACCEPTED, task_json(&task))
    };
    if let JsonValue::Object(m) = &mut out {
        m.insert("connectionRequest".into(), cr);
    }
    Ok((status, Json(out)).into_response())
}

/// The Connection Request for a new task. A device asked less than the rate-limit interval
/// ago (a script's second task, a second click) gets no second request at once: after the
/// interval, a task still pending (the session in progress did not take it) gets its own
/// request; one already running needs none.
async fn request_for(
    state: &ApiState,
    extras: &ApiExtras,
    device: &DeviceId,
    task: &str,
) -> ApiResult<JsonValue> {
    let wait = match extras.cr_limit.try_take(device, Instant::now()) {
        Ok(()) => return cr::send_and_record(state, extras, device).await,
        Err(wait) => wait,
    };
    extras.metrics.connection_request(CrOutcome::RateLimited);
    tokio::time::sleep(wait.min(cr::DEFAULT_MIN_INTERVAL)).await;
    let pending = state
        .store
        .get_task(task)
        .await?
        .is_some_and(|t| t.status == TaskStatus::Pending);
    if pending && extras.cr_limit.try_take(device, Instant::now()).is_ok() {
        return cr::send_and_record(state, extras, device).await;
    }
    Ok(
        json!({ "ok": true, "skipped": "the device was asked for a session moments ago; \
        the task runs in that session" }),
    )
}

/// `POST /devices/{id}/tasks?connection_request` with no task: the Connection Request alone
/// (GenieACS: 200, or 504 with the reason).
async fn connection_request_only(
    state: &ApiState,
    extras: &ApiExtras,
    device: &DeviceId,
) -> ApiResult<Response> {
    // One request per device per interval: a second one waits for its turn.
    if let Err(wait) = extras.cr_limit.try_take(device, Instant::now()) {
        extras.metrics.connection_request(CrOutcome::RateLimited);
        tokio::time::sleep(wait.min(cr::DEFAULT_MIN_INTERVAL)).await;
        if extras.cr_limit.try_take(device, Instant::now()).is_err() {
            let cr =
                json!({ "ok": true, "skipped": "the device was asked for a session moments ago" });
            return Ok((StatusCode::OK, Json(json!({ "connectionRequest": cr }))).into_response());
        }
    }
    let cr = cr::send_and_record(state, extras, device).await?;
    let status = if cr["ok"] == json!(true) {
        StatusCode::OK
    } else {
        StatusCode::GATEWAY_TIMEOUT
    };
    Ok((status, Json(json!({ "connectionRequest": cr }))).into_response())
}

/// Most tasks one `GET /tasks` returns (also the default `limit`): a listing is bounded,
/// whatever the size of the queue.
pub const MAX_TASK_PAGE: u64 = 1000;

/// `?query=&skip=&limit=` for tasks: equality on any field of the task documents
/// (`{"name": "reboot"}`, `{"fault.code": "cwmp.9003"}`); `_id`, `device` and `status` are
/// filtered in the store.
#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    query: Option<String>,
    skip: Option<u64>,
    limit: Option<u64>,
}

/// Most tasks a query on other fields than `_id`, `device` and `status` reads from the store.
const MAX_SCANNED: u64 = 100_000;

/// `GET /tasks`.
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<ListParams>,
) -> ApiResult<Json<JsonValue>> {
    let mut query = DocQuery::parse(params.query.as_deref())?;
    let text = |key: &str, v: JsonValue| match v {
        JsonValue::String(s) => Ok(s),
        _ => Err(ApiError::bad_request(format!(
            "{key}: a string is expected"
        ))),
    };
    let mut filter = TaskFilter::default();
    let only_id = query.take("_id").map(|v| text("_id", v)).transpose()?;
    if let Some(d) = query.take("device") {
        filter.device = Some(DeviceId::from_escaped(&text("device", d)?));
    }
    if let Some(s) = query.take("status") {
        let s = text("status", s)?;
        filter.status = Some(
            TaskStatus::parse(&s)
                .ok_or_else(|| ApiError::bad_request(format!("status: unknown status {s}")))?,
        );
    }
    let limit = params.limit.unwrap_or(MAX_TASK_PAGE);
    if limit > MAX_TASK_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit is at most {MAX_TASK_PAGE}"
        )));
    }
    let (skip, limit) = (params.skip.unwrap_or(0), Some(limit));
    let in_memory = !query.is_empty();
    if in_memory {
        filter.limit = Some(MAX_SCANNED);
    } else {
        (filter.skip, filter.limit) = (skip, limit);
    }
    let tasks = match only_id {
        Some(id) => state
            .store
            .get_task(&id)
            .await?
            .into_iter()
            .filter(|t| {
                filter.device.as_ref().is_none_or(|d| *d == t.device)
                    && filter.status.is_none_or(|s| s == t.status)
            })
            .collect(),
        None => state.store.list_tasks(&filter).await?,
    };
    let docs = tasks.iter().map(task_json);
    Ok(Json(JsonValue::Array(if in_memory {
        docs.filter(|d| query.matches(d))
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)))
            .collect()
    } else {
        docs.collect()
    })))
}

/// `POST /tasks/{id}/retry`: a faulted task runs again at the next session.
pub(crate) async fn retry(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.store.retry_task(&id).await? {
        return Ok(StatusCode::OK);
    }
    match state.store.get_task(&id).await? {
        None => Err(ApiError::not_found("no such task")),
        Some(t) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("task is {}, not faulted", t.status.as_str()),
        )),
    }
}

/// `DELETE /tasks/{id}`.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.store.delete_task(&id).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found("no such task"))
    }
}
