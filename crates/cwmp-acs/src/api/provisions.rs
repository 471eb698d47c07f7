//! `/provisions/<name>` and `/virtual_parameters/<name>`, in GenieACS's shape
//! (`docs/api-reference.rst`): the body of a PUT is the script text; a script that does not
//! compile is refused with 400, the engine's message and its line and column. Listing gives
//! `[{"_id": name, "script": text}]` with `?query=` equality like the other small
//! collections. `POST …/<name>/dry_run?device=<id>` runs one pass against the stored device
//! and sends nothing to it (the editor page's "try").

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::doc_query::{DocQuery, QueryParam};
use super::extract::{QueryString, parse_json};
use super::{ApiError, ApiExtras, ApiResult, ApiState};
use crate::script::{self, ExtCache, Facts, OwnedInput, ScriptFault, Tree};
use crate::store::{DeviceId, ScriptKind, StoredScript, Timestamp};

/// Longest script text (bytes).
pub const MAX_SCRIPT_BYTES: usize = 256 * 1024;

/// Longest name.
const MAX_NAME: usize = 128;

fn what(kind: ScriptKind) -> &'static str {
    match kind {
        ScriptKind::Provision => "provision",
        ScriptKind::VirtualParameter => "virtual parameter",
    }
}

fn doc(s: &StoredScript) -> JsonValue {
    json!({"_id": s.name, "script": s.script})
}

fn fault_json(f: &ScriptFault) -> JsonValue {
    let mut v = json!({"code": f.code, "message": f.message});
    if let Some(l) = f.line {
        v["line"] = json!(l);
    }
    if let Some(c) = f.column {
        v["column"] = json!(c);
    }
    v
}

fn check_name(kind: ScriptKind, name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.chars().any(char::is_control)
        && (kind == ScriptKind::Provision || !name.contains('.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "a {} name is 1 to {MAX_NAME} characters without control characters{}",
            what(kind),
            if kind == ScriptKind::VirtualParameter {
                " or dots"
            } else {
                ""
            }
        )))
    }
}

async fn list(state: ApiState, kind: ScriptKind, q: QueryParam) -> ApiResult<Json<JsonValue>> {
    let query = DocQuery::parse(q.query.as_deref())?;
    let all = state.store.list_scripts(kind).await?;
    Ok(Json(JsonValue::Array(
        all.iter().map(doc).filter(|d| query.matches(d)).collect(),
    )))
}

async fn get_one(state: ApiState, kind: ScriptKind, name: &str) -> ApiResult<Json<JsonValue>> {
    match state.store.get_script(kind, name).await? {
        Some(s) => Ok(Json(doc(&s))),
        None => Err(ApiError::not_found(format!("no such {}", what(kind)))),
    }
}

/// Compiles off the async threads; `Err` is the 400 answer.
async fn compile(text: String, extras: &ApiExtras) -> Result<String, Response> {
    let limits = extras.scripts.limits();
    let checked =
        tokio::task::spawn_blocking(move || script::check(&text, &limits).map(|()| text)).await;
    match checked {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(f)) => Err((
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("script does not compile: {}", f.describe()), "fault": fault_json(&f)})),
        )
            .into_response()),
        Err(e) => Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("compiler thread: {e}")).into_response()),
    }
}

async fn put(
    state: ApiState,
    extras: ApiExtras,
    kind: ScriptKind,
    name: String,
    body: Bytes,
) -> Response {
    if let Err(e) = check_name(kind, &name) {
        return e.into_response();
    }
    if body.len() > MAX_SCRIPT_BYTES {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a script is at most {MAX_SCRIPT_BYTES} bytes"),
        )
        .into_response();
    }
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return ApiError::bad_request("the script is not UTF-8").into_response();
    };
    let text = match compile(text, &extras).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let stored = StoredScript {
        kind,
        name,
        script: text,
        updated: Timestamp::now(),
    };
    match state.store.put_script(stored).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn delete(state: ApiState, kind: ScriptKind, name: &str) -> ApiResult<StatusCode> {
    if state.store.delete_script(kind, name).await? {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found(format!("no such {}", what(kind))))
    }
}

/// `?device=` of a dry run.
#[derive(Debug, Deserialize)]
pub(crate) struct DryRunQuery {
    device: Option<String>,
}

/// Optional body of a dry run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunBody {
    #[serde(default)]
    args: Option<Vec<JsonValue>>,
    #[serde(default)]
    script: Option<String>,
}

async fn dry_run(
    state: ApiState,
    extras: ApiExtras,
    kind: ScriptKind,
    name: String,
    q: DryRunQuery,
    body: Bytes,
) -> ApiResult<Json<JsonValue>> {
    let body: DryRunBody = if body.iter().all(u8::is_ascii_whitespace) {
        DryRunBody::default()
    } else {
        parse_json(&body)?
    };
    let device = q
        .device
        .ok_or_else(|| ApiError::bad_request("device: the query needs ?device=<id>"))?;
    if device.is_empty() || device.len() > 1024 {
        return Err(ApiError::bad_request("device: an id of 1 to 1024 bytes"));
    }
    let device = DeviceId::from_escaped(device);
    let text = match body.script {
        Some(s) if s.len() > MAX_SCRIPT_BYTES => {
            return Err(ApiError::bad_request(format!(
                "script: at most {MAX_SCRIPT_BYTES} bytes"
            )));
        }
        Some(s) => s,
        None => {
            state
                .store
                .get_script(kind, &name)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no such {}", what(kind))))?
                .script
        }
    };
    let args = match body.args {
        Some(a) if a.len() > crate::session::MAX_PROVISION_ARGS => {
            return Err(ApiError::bad_request(format!(
                "args: at most {} entries",
                crate::session::MAX_PROVISION_ARGS
            )));
        }
        Some(a) => a,
        None if kind == ScriptKind::VirtualParameter => vec![json!({}), json!({})],
        None => Vec::new(),
    };
    let record = state
        .store
        .get_device(&device)
        .await?
        .ok_or_else(|| ApiError::not_found("no such device"))?;
    let params = state.store.get_parameters(&device, "").await?;
    let tree = Tree::new(&record, &params).shared();
    let out = script::run_blocking(OwnedInput {
        script: text.into(),
        args: JsonValue::Array(args),
        now: Timestamp::now().as_millis(),
        device_id: device.as_str().to_owned(),
        tree: tree.clone(),
        facts: std::sync::Arc::new(Facts::default()),
        limits: extras.scripts.limits(),
        ext: ExtCache::new(extras.scripts.ext()),
    })
    .await;
    let writes = out.writes(&tree);
    Ok(Json(json!({
        "declarations": out.declarations.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
        "logs": out.logs,
        "fault": out.fault.as_ref().map(fault_json),
        "done": out.done,
        "reads": out.needs,
        "writes": writes,
        "returnValue": out.return_value,
    })))
}

macro_rules! handlers {
    ($kind:expr, $list:ident, $get:ident, $put:ident, $delete:ident, $dry:ident) => {
        /// `GET` of the collection.
        pub(crate) async fn $list(
            State(state): State<ApiState>,
            QueryString(q): QueryString<QueryParam>,
        ) -> ApiResult<Json<JsonValue>> {
            list(state, $kind, q).await
        }
        /// `GET` of one script.
        pub(crate) async fn $get(
            State(state): State<ApiState>,
            Path(name): Path<String>,
        ) -> ApiResult<Json<JsonValue>> {
            get_one(state, $kind, &name).await
        }
        /// `PUT` of one script (the body is the text).
        pub(crate) async fn $put(
            State(state): State<ApiState>,
            Extension(extras): Extension<ApiExtras>,
            Path(name): Path<String>,
            body: Bytes,
        ) -> Response {
            put(state, extras, $kind, name, body).await
        }
        /// `DELETE` of one script.
        pub(crate) async fn $delete(
            State(state): State<ApiState>,
            Path(name): Path<String>,
        ) -> ApiResult<StatusCode> {
            delete(state, $kind, &name).await
        }
        /// `POST …/dry_run?device=`.
        pub(crate) async fn $dry(
            State(state): State<ApiState>,
            Extension(extras): Extension<ApiExtras>,
            Path(name): Path<String>,
            QueryString(q): QueryString<DryRunQuery>,
            body: Bytes,
        ) -> ApiResult<Json<JsonValue>> {
            dry_run(state, extras, $kind, name, q, body).await
        }
    };
}

handlers!(
    ScriptKind::Provision,
    list_provisions,
    get_provision,
    put_provision,
    delete_provision,
    dry_run_provision
);
handlers!(
    ScriptKind::VirtualParameter,
    list_virtual_parameters,
    get_virtual_parameter,
    put_virtual_parameter,
    delete_virtual_parameter,
    dry_run_virtual_parameter
);
