//! `/faults` routes; a fault's id is `<device>:<channel>` as in GenieACS.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value as JsonValue, json};

use super::doc_query::{DocQuery, QueryParam, listing};
use super::files::iso;
use super::{ApiError, ApiResult, ApiState, QueryString};
use crate::store::{DeviceId, FaultRecord};

fn fault_json(f: &FaultRecord) -> JsonValue {
    json!({
        "_id": f.id(),
        "device": f.device.as_str(),
        "channel": f.channel,
        "code": f.fault.code,
        "message": f.fault.message,
        "detail": f.fault.detail,
        "retries": f.retries,
        "timestamp": iso(f.timestamp),
    })
}

/// `GET /faults?query=` (equality on `_id`, `device`, `channel`, `code`, …).
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<QueryParam>,
) -> ApiResult<(HeaderMap, Json<JsonValue>)> {
    let query = DocQuery::parse(params.query.as_deref())?;
    let faults = state.store.list_faults(None).await?;
    Ok(listing(faults.iter().map(fault_json), &query))
}

/// `DELETE /faults/{device}:{channel}`. Device ids never contain `:` unescaped, so the
/// first `:` separates them.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let (device, channel) = id
        .split_once(':')
        .ok_or_else(|| ApiError::bad_request("a fault id is <device>:<channel>"))?;
    // Idempotent, as GenieACS: a fault already gone is not an error.
    state
        .store
        .delete_fault(&DeviceId::from_escaped(device), channel)
        .await?;
    Ok(StatusCode::OK)
}
