//! `GET /devices/{id}/sessions`: the device's last CWMP sessions, newest first — what an
//! operator looks at first when a device misbehaves (did it come in, with which events,
//! how did the session end).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, QueryString};
use crate::store::{DeviceId, SESSIONS_KEPT, SessionRecord};

/// `?limit=`: at most this many sessions (default and most: all the store keeps).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    limit: Option<u32>,
}

fn session_json(s: &SessionRecord) -> JsonValue {
    json!({
        "started": s.started.as_millis(),
        "ended": s.ended.as_millis(),
        "durationMs": s.ended.as_millis().saturating_sub(s.started.as_millis()),
        "events": s.events.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        "rpcs": s.rpc_count,
        "outcome": s.outcome,
    })
}

/// `GET /devices/{id}/sessions`; 404 for a device the ACS does not know.
pub(crate) async fn list(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    QueryString(params): QueryString<ListParams>,
) -> ApiResult<Json<JsonValue>> {
    let limit = params.limit.unwrap_or(SESSIONS_KEPT);
    if !(1..=SESSIONS_KEPT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit is from 1 to {SESSIONS_KEPT}"
        )));
    }
    let device = DeviceId::from_escaped(id);
    let sessions = state.store.list_sessions(&device, u64::from(limit)).await?;
    // A history exists only with its device: the device is looked up only without one.
    if sessions.is_empty() && state.store.get_device(&device).await?.is_none() {
        return Err(ApiError::not_found("no such device"));
    }
    Ok(Json(JsonValue::Array(
        sessions.iter().map(session_json).collect(),
    )))
}
