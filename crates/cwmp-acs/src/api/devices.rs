//! `/devices` routes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, query};
use crate::store::{Device, DeviceId, DeviceQuery, Parameter};

/// `?query=&skip=&limit=` as GenieACS.
#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    query: Option<String>,
    skip: Option<u64>,
    limit: Option<u64>,
}

/// Parses the `query` parameter (absent or empty: everything).
pub(crate) fn parse_query(text: Option<&str>) -> ApiResult<JsonValue> {
    match text.map(str::trim) {
        None | Some("") => Ok(json!({})),
        Some(t) => serde_json::from_str(t)
            .map_err(|e| ApiError::bad_request(format!("query is not valid JSON: {e}"))),
    }
}

fn ms(t: crate::store::Timestamp) -> JsonValue {
    json!(t.as_millis())
}

/// A device as GenieACS shows it: identity fields with `_` and the parameter tree nested
/// by path segments (`{"_value", "_type", "_writable", "_timestamp"}` at the leaves).
fn device_json(d: &Device, params: &[Parameter]) -> JsonValue {
    let mut root = Map::new();
    root.insert("_id".into(), json!(d.id.as_str()));
    root.insert(
        "_deviceId".into(),
        json!({
            "_Manufacturer": d.identity.manufacturer,
            "_OUI": d.identity.oui,
            "_ProductClass": d.identity.product_class,
            "_SerialNumber": d.identity.serial_number,
        }),
    );
    root.insert("_registered".into(), ms(d.created));
    if let Some(t) = d.last_inform {
        root.insert("_lastInform".into(), ms(t));
    }
    root.insert("_tags".into(), json!(d.tags));
    if let Some(ip) = &d.ip {
        root.insert("_ip".into(), json!(ip));
    }
    if let Some(cr) = &d.last_connection_request {
        let mut v = json!({ "time": cr.time.as_millis(), "ok": cr.error.is_none() });
        if let Some(e) = &cr.error {
            v["error"] = json!(e);
        }
        root.insert("_lastConnectionRequest".into(), v);
    }
    for p in params {
        let segments: Vec<&str> = p.path.trim_end_matches('.').split('.').collect();
        let mut node = &mut root;
        for seg in segments {
            let entry = node
                .entry(seg.to_owned())
                .or_insert_with(|| JsonValue::Object(Map::new()));
            if !entry.is_object() {
                *entry = JsonValue::Object(Map::new());
            }
            let JsonValue::Object(next) = entry else {
                unreachable!("made an object above")
            };
            node = next;
        }
        if p.path.ends_with('.') {
            node.insert("_object".into(), json!(true));
        }
        if let Some(v) = &p.value {
            node.insert("_value".into(), json!(v.as_text()));
            if let Some(t) = v.xsi_type() {
                node.insert("_type".into(), json!(t));
            }
        }
        if let Some(w) = p.writable {
            node.insert("_writable".into(), json!(w));
        }
        node.insert("_timestamp".into(), ms(p.updated));
    }
    JsonValue::Object(root)
}

/// `GET /devices`.
pub(crate) async fn list(
    State(state): State<ApiState>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<JsonValue>> {
    let q = parse_query(params.query.as_deref())?;
    let filters = query::translate(&q).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let devices = state
        .store
        .find_devices(&DeviceQuery {
            filters,
            skip: params.skip.unwrap_or(0),
            limit: params.limit,
        })
        .await?;
    let mut out = Vec::with_capacity(devices.len());
    for d in &devices {
        let params = state.store.get_parameters(&d.id, "").await?;
        out.push(device_json(d, &params));
    }
    Ok(Json(JsonValue::Array(out)))
}

/// `DELETE /devices/{id}`.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state
        .store
        .delete_device(&DeviceId::from_escaped(id))
        .await?
    {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found("no such device"))
    }
}

/// `POST /devices/{id}/tags/{tag}`.
pub(crate) async fn add_tag(
    State(state): State<ApiState>,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .add_tag(&DeviceId::from_escaped(id), &tag)
        .await?;
    Ok(StatusCode::OK)
}

/// `DELETE /devices/{id}/tags/{tag}`.
pub(crate) async fn remove_tag(
    State(state): State<ApiState>,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    state
        .store
        .remove_tag(&DeviceId::from_escaped(id), &tag)
        .await?;
    Ok(StatusCode::OK)
}
