//! `/devices` routes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, QueryString, total_headers};
use crate::query::{self, Limits};
use crate::store::{Device, DeviceFilter, DeviceId, DeviceQuery, Parameter};

/// Most devices one `GET /devices` returns (also the default `limit`).
pub const MAX_DEVICE_PAGE: u64 = 1000;

/// Longest `query`, `sort` or `projection` parameter accepted (bytes).
const MAX_PARAM_BYTES: usize = 16 * 1024;

/// Most paths in a `projection`.
const MAX_PROJECTION_PATHS: usize = 64;

/// `?query=&projection=&sort=&skip=&limit=` as GenieACS.
#[derive(Debug, Deserialize)]
pub(crate) struct ListParams {
    query: Option<String>,
    projection: Option<String>,
    sort: Option<String>,
    skip: Option<u64>,
    limit: Option<u64>,
}

/// Parses the JSON of parameter `name` (absent or empty: `{}`).
pub(crate) fn parse_json_param(name: &str, text: Option<&str>) -> ApiResult<JsonValue> {
    match text.map(str::trim) {
        None | Some("") => Ok(json!({})),
        Some(t) if t.len() > MAX_PARAM_BYTES => Err(ApiError::bad_request(format!(
            "{name} is longer than {MAX_PARAM_BYTES} bytes"
        ))),
        Some(t) => serde_json::from_str(t)
            .map_err(|e| ApiError::bad_request(format!("{name} is not valid JSON: {e}"))),
    }
}

/// Parses the `query` parameter (absent or empty: everything).
pub(crate) fn parse_query(text: Option<&str>) -> ApiResult<JsonValue> {
    parse_json_param("query", text)
}

/// What `projection=a,b.c` keeps: top-level fields (`_id`, `_tags`, …) and parameter
/// subtrees. `None`: everything.
struct Projection(Option<Vec<String>>);

impl Projection {
    fn parse(text: Option<&str>) -> ApiResult<Projection> {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Projection(None));
        };
        if text.len() > MAX_PARAM_BYTES {
            return Err(ApiError::bad_request("projection is too long"));
        }
        let paths: Vec<String> = text
            .split(',')
            .map(|p| p.trim().trim_end_matches('.').to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        if paths.len() > MAX_PROJECTION_PATHS {
            return Err(ApiError::bad_request(format!(
                "projection names more than {MAX_PROJECTION_PATHS} paths"
            )));
        }
        Ok(Projection(Some(paths)))
    }

    /// Parameter prefixes to load (`[""]`: all).
    fn prefixes(&self) -> Vec<String> {
        match &self.0 {
            None => vec![String::new()],
            Some(paths) => paths
                .iter()
                .filter(|p| !p.starts_with('_'))
                .cloned()
                .collect(),
        }
    }

    /// Keeps `params` under a projected path (exact, or its subtree).
    fn keep_param(&self, path: &str) -> bool {
        match &self.0 {
            None => true,
            Some(paths) => paths.iter().any(|p| {
                path.strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }),
        }
    }

    /// Removes top-level fields not asked for (`_id` is always kept, as in MongoDB).
    fn trim(&self, doc: &mut JsonValue) {
        let (Some(paths), JsonValue::Object(map)) = (&self.0, doc) else {
            return;
        };
        map.retain(|k, _| {
            k == "_id"
                || paths
                    .iter()
                    .any(|p| p == k || p.split('.').next() == Some(k.as_str()))
        });
    }
}

fn ms(t: crate::store::Timestamp) -> JsonValue {
    json!(t.as_millis())
}

/// A value in the JSON type of its xsd type, as GenieACS stores it: booleans and integers
/// as JSON booleans and numbers, everything else as text.
fn value_json(v: &cwmp::Value) -> JsonValue {
    use cwmp::Value as V;
    match v {
        V::Boolean(b) => json!(b),
        V::Int(n) => json!(n),
        V::UnsignedInt(n) => json!(n),
        V::Long(n) => json!(n),
        V::UnsignedLong(n) => json!(n),
        other => json!(other.as_text()),
    }
}

/// A time as GenieACS's documents show it (a JSON-serialised date: ISO 8601, UTC).
fn date(t: crate::store::Timestamp) -> JsonValue {
    json!(super::files::iso(t))
}

/// A device as GenieACS shows it: identity fields with `_`, `_registered` and `_lastInform`
/// as ISO 8601 dates, and the parameter tree nested by path segments: leaves with
/// `{"_object": false, "_value" (typed), "_type" (xsd:…), "_writable", "_timestamp"}`, objects
/// with `_object: true`.
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
    root.insert("_registered".into(), date(d.created));
    if let Some(t) = d.last_inform {
        root.insert("_lastInform".into(), date(t));
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
    if let Some(fw) = &d.firmware {
        root.insert(
            "_firmware".into(),
            json!({ "target": fw.target, "status": fw.status.as_str(), "time": ms(fw.time) }),
        );
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
        node.insert("_object".into(), json!(p.path.ends_with('.')));
        if let Some(v) = &p.value {
            node.insert("_value".into(), value_json(v));
            if let Some(t) = v.xsi_type() {
                node.insert("_type".into(), json!(format!("xsd:{t}")));
            }
        }
        if let Some(w) = p.writable {
            node.insert("_writable".into(), json!(w));
        }
        node.insert("_timestamp".into(), date(p.updated));
    }
    JsonValue::Object(root)
}

/// `GET /devices`: matching devices as GenieACS documents, `total` (and `X-Total-Count`)
/// telling how many match in all.
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<ListParams>,
) -> ApiResult<(HeaderMap, Json<JsonValue>)> {
    let bad = |e: query::QueryError| ApiError::bad_request(e.to_string());
    // JSON (`{…}`) or a GenieACS expression; blank is every device.
    let q = query::parse_text(params.query.as_deref().unwrap_or(""), &Limits::default())
        .map_err(bad)?;
    let sort = parse_json_param("sort", params.sort.as_deref())?;
    let sort = query::parse_sort(&sort).map_err(bad)?;
    let projection = Projection::parse(params.projection.as_deref())?;
    let limit = params.limit.unwrap_or(MAX_DEVICE_PAGE);
    if limit > MAX_DEVICE_PAGE {
        return Err(ApiError::bad_request(format!(
            "limit is at most {MAX_DEVICE_PAGE}"
        )));
    }
    let dq = DeviceQuery {
        filters: vec![DeviceFilter::Matches(q)],
        sort,
        skip: params.skip.unwrap_or(0),
        limit: Some(limit),
    };
    let total = state.store.count_devices(&dq).await?;
    let devices = state.store.find_devices(&dq).await?;
    let mut out = Vec::with_capacity(devices.len());
    for d in &devices {
        let mut params = Vec::new();
        for prefix in projection.prefixes() {
            params.extend(state.store.get_parameters(&d.id, &prefix).await?);
        }
        params.retain(|p| projection.keep_param(&p.path));
        params.sort_by(|a, b| a.path.cmp(&b.path));
        params.dedup_by(|a, b| a.path == b.path);
        let mut doc = device_json(d, &params);
        projection.trim(&mut doc);
        out.push(doc);
    }
    Ok((total_headers(total), Json(JsonValue::Array(out))))
}

/// `DELETE /devices/{id}`.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    // Idempotent, as GenieACS: a device already gone is not an error.
    state
        .store
        .delete_device(&DeviceId::from_escaped(id))
        .await?;
    Ok(StatusCode::OK)
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
