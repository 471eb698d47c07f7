//! `/presets/{name}` routes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, JsonBody};
use crate::store::Preset;

fn preset_json(p: &Preset) -> JsonValue {
    json!({
        "_id": p.name,
        "weight": p.weight,
        "precondition": p.precondition,
        "events": p.events,
        "configuration": p.configuration,
    })
}

/// `GET /presets/{name}`.
pub(crate) async fn get_preset(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<Json<JsonValue>> {
    match state.store.get_preset(&name).await? {
        Some(p) => Ok(Json(preset_json(&p))),
        None => Err(ApiError::not_found("no such preset")),
    }
}

/// `PUT /presets/{name}`: body `{weight, precondition, events, configuration}`; the
/// precondition may be given as a JSON string, as GenieACS stores it.
pub(crate) async fn put_preset(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<JsonValue>,
) -> ApiResult<StatusCode> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("a preset must be a JSON object"))?;
    let weight = match obj.get("weight") {
        None | Some(JsonValue::Null) => 0,
        Some(w) => w
            .as_i64()
            .and_then(|w| i32::try_from(w).ok())
            .ok_or_else(|| ApiError::bad_request("weight must be an integer"))?,
    };
    let precondition = match obj.get("precondition") {
        None | Some(JsonValue::Null) => json!({}),
        Some(JsonValue::String(s)) if s.trim().is_empty() => json!({}),
        Some(JsonValue::String(s)) => serde_json::from_str(s)
            .map_err(|e| ApiError::bad_request(format!("precondition is not JSON: {e}")))?,
        Some(v) => v.clone(),
    };
    crate::query::parse(&precondition, &crate::query::Limits::default())
        .map_err(|e| ApiError::bad_request(format!("precondition: {e}")))?;
    let events = match obj.get("events") {
        None | Some(JsonValue::Null) => Vec::new(),
        Some(JsonValue::Array(a)) => a
            .iter()
            .map(|e| e.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::bad_request("events must be an array of strings"))?,
        // GenieACS form: {"0 BOOTSTRAP": true, "1 BOOT": false}
        Some(JsonValue::Object(m)) => m
            .iter()
            .filter(|(_, on)| on.as_bool() == Some(true))
            .map(|(k, _)| k.clone())
            .collect(),
        Some(_) => return Err(ApiError::bad_request("events must be an array or object")),
    };
    let configuration = obj.get("configuration").cloned().unwrap_or(json!({}));
    crate::session::PresetConfig::parse(&configuration)
        .map_err(|e| ApiError::bad_request(format!("configuration: {e}")))?;
    state
        .store
        .put_preset(Preset {
            name,
            weight,
            precondition,
            events,
            configuration,
        })
        .await?;
    Ok(StatusCode::OK)
}

/// `DELETE /presets/{name}`.
pub(crate) async fn delete_preset(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if state.store.delete_preset(&name).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found("no such preset"))
    }
}

/// `GET /presets`: every preset, by name.
pub(crate) async fn list(State(state): State<ApiState>) -> ApiResult<Json<JsonValue>> {
    let presets = state.store.list_presets().await?;
    Ok(Json(JsonValue::Array(
        presets.iter().map(preset_json).collect(),
    )))
}
