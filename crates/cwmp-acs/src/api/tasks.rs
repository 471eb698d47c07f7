//! `/tasks` and `POST /devices/{id}/tasks`.

use std::time::Instant;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::devices::parse_query;
use super::task_wait::{self, Waited};
use super::{ApiError, ApiExtras, ApiResult, ApiState, JsonBody, QueryString, cr};
use crate::metrics::CrOutcome;
use crate::session::task_requests;
use crate::store::{DeviceId, NewTask, Task, TaskFilter, TaskStatus};

/// A task as GenieACS shows it: its JSON fields plus `_id`, `device`, `timestamp`, and ours
/// (`status`, `result`, `fault`, `retries`, `expiry`).
pub(crate) fn task_json(t: &Task) -> JsonValue {
    let mut obj = match &t.payload {
        JsonValue::Object(m) => m.clone(),
        _ => Map::new(),
    };
    obj.insert("_id".into(), json!(t.id));
    obj.insert("device".into(), json!(t.device.as_str()));
    obj.insert("name".into(), json!(t.name));
    obj.insert("timestamp".into(), json!(t.created.as_millis()));
    obj.insert("status".into(), json!(t.status));
    obj.insert("retries".into(), json!(t.attempts));
    if let Some(r) = &t.result {
        obj.insert("result".into(), r.clone());
    }
    if let Some(f) = &t.fault {
        obj.insert("fault".into(), json!(f));
    }
    if let Some(e) = t.expiry {
        obj.insert("expiry".into(), json!(e.as_millis()));
    }
    JsonValue::Object(obj)
}

/// `?connection_request&timeout=`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateParams {
    connection_request: Option<String>,
    /// How long to wait for the task after a Connection Request (ms).
    timeout: Option<u64>,
}

/// Checks a task the way the session engine will translate it; `Err` is the 400 message.
pub fn validate_task(body: &JsonValue) -> Result<String, String> {
    let obj = body.as_object().ok_or("a task must be a JSON object")?;
    let name = obj
        .get("name")
        .and_then(JsonValue::as_str)
        .ok_or("a task needs a \"name\" string")?;
    // The id only fills default command keys.
    task_requests("000000000000000000000000", name, body).map_err(|e| e.to_string())?;
    Ok(name.to_owned())
}

/// `POST /devices/{id}/tasks`: 202 with the task. With `?connection_request` (GenieACS), a
/// Connection Request is sent (its result added as `connectionRequest: {ok, status |
/// error}`) and, when it succeeded, the task awaited for `timeout` ms: 200 with the task
/// when it completed, 202 when it is still pending or faulted. A second Connection Request
/// to a device within the rate-limit interval is refused with 429 and `Retry-After`, before
/// anything is queued.
pub(crate) async fn create(
    State(state): State<ApiState>,
    Extension(extras): Extension<ApiExtras>,
    Path(id): Path<String>,
    QueryString(params): QueryString<CreateParams>,
    JsonBody(body): JsonBody<JsonValue>,
) -> ApiResult<Response> {
    let device = DeviceId::from_escaped(id);
    let checked = super::files::resolved_task(&extras, &device, &body).await?;
    let name = validate_task(&checked).map_err(ApiError::bad_request)?;
    let with_cr = params.connection_request.is_some();
    if with_cr && let Err(wait) = extras.cr_limit.try_take(&device, Instant::now()) {
        extras.metrics.connection_request(CrOutcome::RateLimited);
        let secs = wait.as_secs_f64().ceil().max(1.0).to_string();
        let message = format!("connection request rate limit: retry in {secs} s");
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, secs)],
            Json(json!({ "error": message })),
        )
            .into_response());
    }
    let mut payload = body;
    if let JsonValue::Object(m) = &mut payload {
        for key in ["_id", "device", "timestamp", "status"] {
            m.remove(key);
        }
    }
    let task = state
        .store
        .create_task(NewTask {
            device: device.clone(),
            name,
            payload,
            expiry: None,
        })
        .await?;
    if !with_cr {
        return Ok((StatusCode::ACCEPTED, Json(task_json(&task))).into_response());
    }
    // Subscribed before the request goes out, so that a quick session is not missed.
    let events = extras.events.subscribe();
    let cr = cr::send_and_record(&state, &extras, &device).await?;
    let (status, shown) = if cr["ok"] == json!(true) {
        let timeout = task_wait::timeout_of(params.timeout);
        match task_wait::wait_for_task(&state, events, &device, &task.id, timeout).await? {
            Waited::Done(t) => (StatusCode::OK, t),
            Waited::Faulted(t) | Waited::Pending(Some(t)) => (StatusCode::ACCEPTED, t),
            Waited::Pending(None) => (StatusCode::ACCEPTED, task),
        }
    } else {
        (StatusCode::ACCEPTED, task)
    };
    let mut out = task_json(&shown);
    if let JsonValue::Object(m) = &mut out {
        m.insert("connectionRequest".into(), cr);
    }
    Ok((status, Json(out)).into_response())
}

/// `?query=&skip=&limit=` for tasks; the query supports equality on `_id`, `device` and
/// `status`.
#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    query: Option<String>,
    skip: Option<u64>,
    limit: Option<u64>,
}

/// `GET /tasks`.
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<ListParams>,
) -> ApiResult<Json<JsonValue>> {
    let q = parse_query(params.query.as_deref())?;
    let obj = q
        .as_object()
        .ok_or_else(|| ApiError::bad_request("a query must be a JSON object"))?;
    let mut filter = TaskFilter {
        skip: params.skip.unwrap_or(0),
        limit: params.limit,
        ..TaskFilter::default()
    };
    let mut only_id = None;
    for (key, v) in obj {
        let text = v.as_str().ok_or_else(|| {
            ApiError::bad_request(format!("{key}: only string equality is supported"))
        })?;
        match key.as_str() {
            "_id" => only_id = Some(text.to_owned()),
            "device" => filter.device = Some(DeviceId::from_escaped(text)),
            "status" => {
                filter.status = Some(
                    TaskStatus::parse(text)
                        .ok_or_else(|| ApiError::bad_request(format!("unknown status {text}")))?,
                );
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "field {other} is not supported"
                )));
            }
        }
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
    Ok(Json(JsonValue::Array(
        tasks.iter().map(task_json).collect(),
    )))
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
