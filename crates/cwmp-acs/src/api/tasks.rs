//! `/tasks` and `POST /devices/{id}/tasks`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::devices::parse_query;
use super::{ApiError, ApiResult, ApiState};
use crate::conn_request::CrCredentials;
use crate::conn_request_udp::{self, CrSent};
use crate::session::task_requests;
use crate::store::{DeviceId, FaultInfo, NewFault, NewTask, Task, TaskFilter, TaskStatus};

/// Fault channel where a failed Connection Request is recorded (cleared on success).
pub const CONNECTION_REQUEST_CHANNEL: &str = "connection_request";

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
    /// Accepted for compatibility; waiting for the task is not implemented yet.
    #[allow(dead_code)]
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

/// `POST /devices/{id}/tasks`: 202 with the task; with `?connection_request`, the result of
/// the Connection Request is added as `connectionRequest: {ok, status | error}`.
pub(crate) async fn create(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(params): Query<CreateParams>,
    Json(body): Json<JsonValue>,
) -> ApiResult<(StatusCode, Json<JsonValue>)> {
    let name = validate_task(&body).map_err(ApiError::bad_request)?;
    let device = DeviceId::from_escaped(id);
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
    let mut out = task_json(&task);
    if params.connection_request.is_some() {
        let cr = connection_request(&state, &device).await?;
        if let JsonValue::Object(m) = &mut out {
            m.insert("connectionRequest".into(), cr);
        }
    }
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// Sends a Connection Request to the device and records the outcome as a fault on
/// [`CONNECTION_REQUEST_CHANNEL`] (cleared on success).
async fn connection_request(state: &ApiState, device: &DeviceId) -> ApiResult<JsonValue> {
    let Some(dev) = state.store.get_device(device).await? else {
        return Err(ApiError::not_found("no such device"));
    };
    let creds = state.store.get_credentials(device).await?.and_then(|c| {
        Some(CrCredentials {
            username: c.cr_username?,
            password: c.cr_password.unwrap_or_default(),
        })
    });
    let mut behind_nat = false;
    for root in ["Device.", "InternetGatewayDevice."] {
        let nat = format!("{root}ManagementServer.NATDetected");
        let params = state.store.get_parameters(device, &nat).await?;
        behind_nat |= params
            .iter()
            .any(|p| p.path == nat && p.value.as_ref().is_some_and(|v| v.as_text() == "true"));
    }
    let result = conn_request_udp::send_best(
        dev.connection_request_url.as_deref(),
        dev.udp_connection_request_address.as_deref(),
        behind_nat,
        creds.as_ref(),
        state.connection_request_timeout,
    )
    .await;
    match result {
        Ok(sent) => {
            state
                .store
                .delete_fault(device, CONNECTION_REQUEST_CHANNEL)
                .await?;
            Ok(match sent {
                CrSent::Http(status) => json!({ "ok": true, "status": status }),
                CrSent::Udp => json!({ "ok": true, "udp": true }),
            })
        }
        Err(e) => {
            tracing::info!(%device, error = %e, "connection request failed");
            state
                .store
                .record_fault(NewFault {
                    device: device.clone(),
                    channel: CONNECTION_REQUEST_CHANNEL.into(),
                    fault: FaultInfo {
                        code: "connection_request".into(),
                        message: e.to_string(),
                        detail: None,
                    },
                })
                .await?;
            Ok(json!({ "ok": false, "error": e.to_string() }))
        }
    }
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
    Query(params): Query<ListParams>,
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
