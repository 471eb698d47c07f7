//! `/presets/{name}` routes, in GenieACS's shape (`docs/api-reference.rst`, "Presets"):
//! `weight`, `channel`, `events` (`{"0 BOOTSTRAP": true}`, or a list of required events),
//! `precondition` (a JSON query or its JSON text), `schedule` (`"<seconds> <cron>"`) and
//! either GenieACS's `configurations` list or our typed `configuration`. Unknown keys are
//! refused, naming the key.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value as JsonValue, json};

use super::doc_query::{DocQuery, QueryParam, listing};
use super::{ApiError, ApiResult, ApiState, JsonBody, QueryString};
use crate::session::{PresetConfig, PresetSchedule};
use crate::store::Preset;

/// Most events a preset may name.
const MAX_EVENTS: usize = 32;

/// Longest channel or event name.
const MAX_NAME: usize = 128;

/// A preset as PUT.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PresetBody {
    /// The name again (GenieACS documents carry it); must match the path.
    #[serde(rename = "_id", default)]
    id: Option<String>,
    #[serde(default)]
    weight: Option<i32>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    events: Option<Events>,
    #[serde(default)]
    precondition: Option<JsonValue>,
    #[serde(default)]
    schedule: Option<String>,
    /// Ours: the typed desired state.
    #[serde(default)]
    configuration: Option<JsonValue>,
    /// GenieACS's list of `{type, …}` entries.
    #[serde(default)]
    configurations: Option<JsonValue>,
}

/// `events`: GenieACS's map, or a list of events that must all occur.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Events {
    Map(BTreeMap<String, bool>),
    List(Vec<String>),
}

fn preset_json(p: &Preset) -> JsonValue {
    let mut out = Map::new();
    out.insert("_id".into(), json!(p.name));
    out.insert("weight".into(), json!(p.weight));
    out.insert("channel".into(), json!(p.channel));
    out.insert("events".into(), json!(p.events));
    out.insert("precondition".into(), p.precondition.clone());
    if let Some(s) = &p.schedule {
        out.insert("schedule".into(), json!(s));
    }
    // Shown under the key it was given with.
    let key = if p.configuration.is_array() {
        "configurations"
    } else {
        "configuration"
    };
    out.insert(key.into(), p.configuration.clone());
    JsonValue::Object(out)
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

/// Checks a PUT preset and turns it into the stored one.
fn preset_of(name: String, body: PresetBody) -> Result<Preset, String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("a preset name is 1 to {MAX_NAME} bytes"));
    }
    if let Some(id) = &body.id
        && *id != name
    {
        return Err(format!(
            "_id {id:?} differs from the name in the path {name:?}"
        ));
    }
    let channel = body.channel.unwrap_or_else(|| "default".into());
    if channel.is_empty() || channel.len() > MAX_NAME {
        return Err(format!("channel is 1 to {MAX_NAME} bytes"));
    }
    let events = match body.events {
        None => BTreeMap::new(),
        Some(Events::Map(m)) => m,
        Some(Events::List(l)) => l.into_iter().map(|e| (e, true)).collect(),
    };
    if events.len() > MAX_EVENTS {
        return Err(format!("events names more than {MAX_EVENTS} events"));
    }
    if let Some(e) = events.keys().find(|e| e.is_empty() || e.len() > MAX_NAME) {
        return Err(format!("events: {e:?} is not an event code"));
    }
    let precondition = match body.precondition {
        None | Some(JsonValue::Null) => json!({}),
        Some(p) => p,
    };
    crate::query::parse_precondition(&precondition, &crate::query::Limits::default())
        .map_err(|e| format!("precondition: {e}"))?;
    if let Some(s) = &body.schedule {
        PresetSchedule::parse(s).map_err(|e| format!("schedule: {e}"))?;
    }
    let configuration = match (body.configuration, body.configurations) {
        (Some(_), Some(_)) => {
            return Err("give configuration (ours) or configurations (GenieACS), not both".into());
        }
        (Some(c), None) | (None, Some(c)) => c,
        (None, None) => json!([]),
    };
    PresetConfig::parse(&configuration).map_err(|e| format!("configuration: {e}"))?;
    Ok(Preset {
        name,
        weight: body.weight.unwrap_or(0),
        channel,
        precondition,
        events,
        schedule: body.schedule,
        configuration,
    })
}

/// `PUT /presets/{name}`: creates or replaces the preset (400 naming what is wrong).
pub(crate) async fn put_preset(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<PresetBody>,
) -> ApiResult<StatusCode> {
    let preset = preset_of(name, body).map_err(ApiError::bad_request)?;
    state.store.put_preset(preset).await?;
    Ok(StatusCode::OK)
}

/// `DELETE /presets/{name}`.
pub(crate) async fn delete_preset(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    // Idempotent, as GenieACS: a preset already gone is not an error.
    state.store.delete_preset(&name).await?;
    Ok(StatusCode::OK)
}

/// `GET /presets`: every preset, by weight then name.
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<QueryParam>,
) -> ApiResult<(HeaderMap, Json<JsonValue>)> {
    let query = DocQuery::parse(params.query.as_deref())?;
    let presets = state.store.list_presets().await?;
    Ok(listing(presets.iter().map(preset_json), &query))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: JsonValue) -> Result<PresetBody, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn genieacs_documented_preset_is_taken_as_it_is() {
        let b = body(json!({"weight": 0, "precondition": "{\"_tags\": \"test\"}",
            "configurations": [
                {"type": "value", "name": "InternetGatewayDevice.ManagementServer.PeriodicInformEnable", "value": "true"},
                {"type": "value", "name": "InternetGatewayDevice.ManagementServer.PeriodicInformInterval", "value": "300"}]}))
        .expect("shape");
        let p = preset_of("inform".into(), b).expect("valid");
        assert_eq!(p.channel, "default");
        assert_eq!(p.precondition, json!("{\"_tags\": \"test\"}"));
        let shown = preset_json(&p);
        assert_eq!(shown["configurations"].as_array().map(Vec::len), Some(2));
        assert_eq!(shown["_id"], "inform");
    }

    #[test]
    fn refusals_name_the_key() {
        let err = body(json!({"precondtion": "{}"})).expect_err("unknown key");
        assert!(err.contains("precondtion"), "{err}");
        for (b, needle) in [
            (json!({"_id": "other"}), "_id"),
            (json!({"precondition": "{\"_tags\": "}), "precondition"),
            (json!({"schedule": "soon"}), "schedule"),
            (
                json!({"configuration": {}, "configurations": []}),
                "not both",
            ),
            (
                json!({"configurations": [{"type": "value", "name": "A"}]}),
                "configuration",
            ),
            (json!({"channel": ""}), "channel"),
        ] {
            let err = preset_of("p".into(), body(b.clone()).expect("shape")).expect_err("refused");
            assert!(err.contains(needle), "{b}: {err}");
        }
    }

    #[test]
    fn events_as_a_map_or_a_list() {
        let p = preset_of(
            "p".into(),
            body(json!({"events": {"0 BOOTSTRAP": true, "1 BOOT": false}})).expect("shape"),
        )
        .expect("valid");
        assert_eq!(p.events.get("1 BOOT"), Some(&false));
        let p = preset_of(
            "p".into(),
            body(json!({"events": ["2 PERIODIC"]})).expect("shape"),
        )
        .expect("valid");
        assert_eq!(p.events.get("2 PERIODIC"), Some(&true));
    }
}
