//! [`TaskSpec`]: a task as the API takes it, in GenieACS's shapes (`docs/api-reference.rst`,
//! "Tasks"), parsed once when it is POSTed and stored in its canonical JSON form.
//!
//! Shapes (fields in camelCase; optional ones in brackets):
//! - `getParameterValues`: `parameterNames: [path]`
//! - `setParameterValues`: `parameterValues: [[path, value, [type]]]`, `[parameterKey]`; the
//!   value is a string, number or boolean; without a type the device's own type is used
//! - `getParameterNames`: `[parameterPath]`, `[nextLevel]`
//! - `refreshObject`: `objectName` (`""`: everything; with or without the trailing dot)
//! - `getParameterAttributes`: `parameterNames: [path]`
//! - `setParameterAttributes`: `parameterAttributes: [[path, notification|null, accessList|null]]`
//! - `addObject`: `objectName`, `[parameterValues]` (set on the new instance), `[parameterKey]`
//! - `deleteObject`: `objectName` (an instance), `[parameterKey]`
//! - `reboot`, `scheduleInform` (`delaySeconds`): `[commandKey]`; `factoryReset`,
//!   `getRPCMethods`, `getQueuedTransfers`, `getAllQueuedTransfers`
//! - `download`: `file` or `fileName` (a stored file), `upload` (a device's upload) or `url`;
//!   `[fileType, targetFileName, fileSize, username, password, delaySeconds, successURL,
//!   failureURL, commandKey]`
//! - `upload`: `[fileType, url, username, password, delaySeconds, commandKey]`
//! - `scheduleDownload`: as `download` with `timeWindows: [{windowStart, windowEnd,
//!   windowMode, [userMessage, maxRetries]}]` (one or two) instead of `delaySeconds`
//! - `cancelTransfer`: `commandKey`
//!
//! Fields the server owns (`_id`, `device`, `timestamp`, `status`, `retries`, `fault`) are
//! ignored on input; `expiry` (seconds from now) bounds the task's life. Any other unknown
//! field is refused, naming it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Longest parameter path (TR-069 §A.3.2.1: `string(256)`).
pub const MAX_PATH: usize = 256;
/// Longest ParameterKey or CommandKey (TR-069 §A.3.2.1, §A.3.2.9: `string(32)`).
pub const MAX_KEY: usize = 32;
/// Most paths or values in one task.
pub const MAX_ENTRIES: usize = 1024;
/// Longest URL, username or file name accepted (TR-069 §A.3.2.8: `string(256)` or 1024 for
/// URLs).
pub const MAX_URL: usize = 1024;

/// A task that cannot be carried out; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid task: {0}")]
pub struct InvalidTask(pub String);

fn bad<T>(msg: impl Into<String>) -> Result<T, InvalidTask> {
    Err(InvalidTask(msg.into()))
}

/// A parameter value as JSON gives it: GenieACS accepts strings, numbers and booleans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// A number, as written.
    Number(serde_json::Number),
    /// Text.
    Text(String),
}

impl Scalar {
    /// The value as TR-069 text (`true`/`false` for booleans).
    pub fn text(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }
}

/// One `[path, value, type?]` entry of `parameterValues`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Json>", into = "Vec<Json>")]
pub struct ValueSpec {
    /// Parameter path (relative to the new instance in `addObject`).
    pub path: String,
    /// Value.
    pub value: Scalar,
    /// `xsd:` type, when given.
    pub ty: Option<String>,
}

impl TryFrom<Vec<Json>> for ValueSpec {
    type Error = String;
    fn try_from(items: Vec<Json>) -> Result<ValueSpec, String> {
        let shape = "a parameter value is [path, value, type?]";
        let mut items = items.into_iter();
        let (Some(path), Some(value)) = (items.next(), items.next()) else {
            return Err(shape.into());
        };
        let ty = match items.next() {
            None | Some(Json::Null) => None,
            Some(Json::String(t)) => Some(t),
            Some(_) => return Err("a parameter type must be a string like \"xsd:int\"".into()),
        };
        if items.next().is_some() {
            return Err(shape.into());
        }
        let Json::String(path) = path else {
            return Err("a parameter path must be a string".into());
        };
        let value = serde_json::from_value(value)
            .map_err(|_| format!("{path}: the value must be a string, number or boolean"))?;
        Ok(ValueSpec { path, value, ty })
    }
}

impl From<ValueSpec> for Vec<Json> {
    fn from(v: ValueSpec) -> Vec<Json> {
        let value = serde_json::to_value(&v.value).unwrap_or(Json::Null);
        let mut out = vec![Json::String(v.path), value];
        if let Some(t) = v.ty {
            out.push(Json::String(t));
        }
        out
    }
}

/// One `[path, notification|null, accessList|null]` entry of `parameterAttributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeSpec(
    /// Path.
    pub String,
    /// New Notification (`None`: unchanged).
    pub Option<u32>,
    /// New AccessList (`None`: unchanged).
    pub Option<Vec<String>>,
);

/// One window of a `scheduleDownload` (TR-069 §A.4.1.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeWindowSpec {
    /// Seconds from now.
    #[serde(default)]
    pub window_start: u32,
    /// Seconds from now.
    #[serde(default)]
    pub window_end: u32,
    /// `1 At Any Time`, `2 Immediately`, `3 When Idle`, `4 Confirmation Needed`.
    pub window_mode: String,
    /// Shown to the user with `4 Confirmation Needed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message: Option<String>,
    /// `-1`: the CPE's own policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<i32>,
}

/// What a download or upload moves and how (shared by `download`, `scheduleDownload` and
/// `upload`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferSpec {
    /// TR-069 FileType (`1 Firmware Upgrade Image`, …); for a stored file, its own type by
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    /// A stored file (`PUT /files/<name>`), as GenieACS's UI sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A stored file, as GenieACS's NBI names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// One of the device's earlier uploads (`GET /devices/<id>/uploads`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
    /// A URL given outright.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Credentials for `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Credentials for `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Size in bytes (a stored file's own by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u32>,
    /// Name the CPE gives the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_file_name: Option<String>,
    /// Seconds the CPE waits before starting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<u32>,
    /// Where the CPE's browser goes after a successful download.
    #[serde(
        default,
        rename = "successURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub success_url: Option<String>,
    /// Where the CPE's browser goes after a failed download.
    #[serde(
        default,
        rename = "failureURL",
        skip_serializing_if = "Option::is_none"
    )]
    pub failure_url: Option<String>,
    /// CommandKey (default: the task id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_key: Option<String>,
    /// `scheduleDownload` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_windows: Vec<TimeWindowSpec>,
}

impl TransferSpec {
    /// The stored file named by `file` or `fileName`.
    pub fn stored_file(&self) -> Option<&str> {
        self.file.as_deref().or(self.file_name.as_deref())
    }
}

/// `parameterNames` of `getParameterValues` and `getParameterAttributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Names {
    /// Paths (objects end in `.`).
    pub parameter_names: Vec<String>,
}

/// `setParameterValues`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetValues {
    /// `[path, value, type?]`.
    pub parameter_values: Vec<ValueSpec>,
    /// ParameterKey (default: the task id, so that a crash cannot make it run twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_key: Option<String>,
}

/// `getParameterNames`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamesOf {
    /// Path (`""`: the whole tree).
    #[serde(default)]
    pub parameter_path: String,
    /// Only the next level.
    #[serde(default)]
    pub next_level: bool,
}

/// `refreshObject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Refresh {
    /// Object or parameter path (`""`: everything).
    pub object_name: String,
}

/// `setParameterAttributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetAttributes {
    /// `[path, notification|null, accessList|null]`.
    pub parameter_attributes: Vec<AttributeSpec>,
}

/// `addObject`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddInstance {
    /// The multi-instance object (stored with its trailing dot).
    pub object_name: String,
    /// Values set on the new instance, paths relative to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter_values: Vec<ValueSpec>,
    /// ParameterKey (default: the task id, so that a crash cannot make it run twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_key: Option<String>,
}

/// `deleteObject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteInstance {
    /// The instance (stored with its trailing dot).
    pub object_name: String,
    /// ParameterKey (default: the task id, so that a crash cannot make it run twice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_key: Option<String>,
}

/// `reboot` and `scheduleInform`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Command {
    /// Seconds until the Inform (`scheduleInform` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<u32>,
    /// CommandKey (default: the task id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_key: Option<String>,
}

/// `cancelTransfer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cancel {
    /// The transfer's CommandKey.
    pub command_key: String,
}

/// A task without arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// A task, by GenieACS's `name`. Each variant's fields are a struct of their own, which
/// refuses fields it does not know (serde ignores them in an internally tagged enum's
/// struct variants).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "camelCase")]
pub enum TaskSpec {
    /// GetParameterValues.
    GetParameterValues(Names),
    /// SetParameterValues.
    SetParameterValues(SetValues),
    /// GetParameterNames.
    GetParameterNames(NamesOf),
    /// Re-reads a subtree: its names, then its values.
    RefreshObject(Refresh),
    /// GetParameterAttributes.
    GetParameterAttributes(Names),
    /// SetParameterAttributes.
    SetParameterAttributes(SetAttributes),
    /// AddObject, then the new instance's values.
    AddObject(AddInstance),
    /// DeleteObject.
    DeleteObject(DeleteInstance),
    /// Reboot.
    Reboot(Command),
    /// FactoryReset.
    FactoryReset(NoArgs),
    /// GetRPCMethods.
    #[serde(rename = "getRPCMethods")]
    GetRpcMethods(NoArgs),
    /// GetQueuedTransfers.
    GetQueuedTransfers(NoArgs),
    /// GetAllQueuedTransfers.
    GetAllQueuedTransfers(NoArgs),
    /// ScheduleInform.
    ScheduleInform(Command),
    /// Download.
    Download(TransferSpec),
    /// ScheduleDownload (CWMP 1.2).
    ScheduleDownload(TransferSpec),
    /// Upload.
    Upload(TransferSpec),
    /// CancelTransfer (CWMP 1.2).
    CancelTransfer(Cancel),
}

/// Keys of a task document the server owns: ignored when a client sends them back.
const SERVER_KEYS: [&str; 7] = [
    "_id",
    "device",
    "timestamp",
    "status",
    "retries",
    "fault",
    "result",
];

/// A POSTed task: what to do, and for how long it may wait.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    /// The task.
    pub spec: TaskSpec,
    /// `expiry`: seconds from now after which it is dropped unrun.
    pub expiry_secs: Option<u64>,
}

impl TaskSpec {
    /// Parses a task as a client sends it, refusing unknown fields and values outside the
    /// protocol's limits with a message that names the field.
    pub fn from_request(body: Json) -> Result<TaskRequest, InvalidTask> {
        let Json::Object(mut obj) = body else {
            return bad("a task must be a JSON object");
        };
        for key in SERVER_KEYS {
            obj.remove(key);
        }
        let expiry_secs = match obj.remove("expiry") {
            None | Some(Json::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .ok_or_else(|| InvalidTask("expiry must be a number of seconds".into()))?,
            ),
        };
        match obj.get("name") {
            Some(Json::String(_)) => {}
            Some(_) => return bad("name must be a string"),
            None => return bad("a task needs a \"name\""),
        }
        let spec: TaskSpec =
            serde_json::from_value(Json::Object(obj)).map_err(|e| InvalidTask(e.to_string()))?;
        let spec = spec.normalized();
        spec.check()?;
        Ok(TaskRequest { spec, expiry_secs })
    }

    /// [`TaskSpec::from_request`] without the request's envelope (`expiry`).
    pub fn from_json(body: Json) -> Result<TaskSpec, InvalidTask> {
        TaskSpec::from_request(body).map(|r| r.spec)
    }

    /// Parses a stored task (its canonical form, or an older one).
    pub fn from_stored(payload: &Json) -> Result<TaskSpec, InvalidTask> {
        let mut obj = match payload {
            Json::Object(m) => m.clone(),
            _ => Map::new(),
        };
        for key in SERVER_KEYS {
            obj.remove(key);
        }
        obj.remove("expiry");
        serde_json::from_value(Json::Object(obj)).map_err(|e| InvalidTask(e.to_string()))
    }

    /// The canonical JSON stored and shown (with `name`).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// GenieACS's name of the task (`getParameterValues`, …).
    pub fn name(&self) -> &'static str {
        match self {
            TaskSpec::GetParameterValues(_) => "getParameterValues",
            TaskSpec::SetParameterValues(_) => "setParameterValues",
            TaskSpec::GetParameterNames(_) => "getParameterNames",
            TaskSpec::RefreshObject(_) => "refreshObject",
            TaskSpec::GetParameterAttributes(_) => "getParameterAttributes",
            TaskSpec::SetParameterAttributes(_) => "setParameterAttributes",
            TaskSpec::AddObject(_) => "addObject",
            TaskSpec::DeleteObject(_) => "deleteObject",
            TaskSpec::Reboot(_) => "reboot",
            TaskSpec::FactoryReset(_) => "factoryReset",
            TaskSpec::GetRpcMethods(_) => "getRPCMethods",
            TaskSpec::GetQueuedTransfers(_) => "getQueuedTransfers",
            TaskSpec::GetAllQueuedTransfers(_) => "getAllQueuedTransfers",
            TaskSpec::ScheduleInform(_) => "scheduleInform",
            TaskSpec::Download(_) => "download",
            TaskSpec::ScheduleDownload(_) => "scheduleDownload",
            TaskSpec::Upload(_) => "upload",
            TaskSpec::CancelTransfer(_) => "cancelTransfer",
        }
    }

    /// Object paths with their trailing dot, as AddObject and DeleteObject need them
    /// (GenieACS's paths have none: `Device.NAT.PortMapping`).
    fn normalized(mut self) -> TaskSpec {
        if let TaskSpec::AddObject(AddInstance { object_name, .. })
        | TaskSpec::DeleteObject(DeleteInstance { object_name, .. }) = &mut self
            && !object_name.is_empty()
            && !object_name.ends_with('.')
        {
            object_name.push('.');
        }
        self
    }

    /// Checks the limits of TR-069 and of this server.
    fn check(&self) -> Result<(), InvalidTask> {
        match self {
            TaskSpec::GetParameterValues(Names { parameter_names })
            | TaskSpec::GetParameterAttributes(Names { parameter_names }) => {
                entries("parameterNames", parameter_names.len())?;
                for p in parameter_names {
                    path("parameterNames", p, true)?;
                }
            }
            TaskSpec::SetParameterValues(SetValues {
                parameter_values,
                parameter_key,
            }) => {
                entries("parameterValues", parameter_values.len())?;
                values("parameterValues", parameter_values, false)?;
                key("parameterKey", parameter_key.as_deref())?;
            }
            TaskSpec::GetParameterNames(NamesOf { parameter_path, .. }) => {
                path("parameterPath", parameter_path, true)?;
            }
            TaskSpec::RefreshObject(Refresh { object_name }) => {
                path("objectName", object_name, true)?;
            }
            TaskSpec::SetParameterAttributes(SetAttributes {
                parameter_attributes,
            }) => {
                entries("parameterAttributes", parameter_attributes.len())?;
                for AttributeSpec(p, notification, access) in parameter_attributes {
                    path("parameterAttributes", p, true)?;
                    if notification.is_some_and(|n| n > 6) {
                        return bad(format!("parameterAttributes: {p}: notification is 0..6"));
                    }
                    if access.as_ref().is_some_and(|a| a.len() > 64) {
                        return bad(format!("parameterAttributes: {p}: accessList is too long"));
                    }
                }
            }
            TaskSpec::AddObject(AddInstance {
                object_name,
                parameter_values,
                parameter_key,
            }) => {
                path("objectName", object_name, false)?;
                if parameter_values.len() > MAX_ENTRIES {
                    return bad(format!(
                        "parameterValues has more than {MAX_ENTRIES} entries"
                    ));
                }
                values("parameterValues", parameter_values, true)?;
                key("parameterKey", parameter_key.as_deref())?;
            }
            TaskSpec::DeleteObject(DeleteInstance {
                object_name,
                parameter_key,
            }) => {
                path("objectName", object_name, false)?;
                key("parameterKey", parameter_key.as_deref())?;
            }
            TaskSpec::Reboot(c) | TaskSpec::ScheduleInform(c) => {
                key("commandKey", c.command_key.as_deref())?;
                if matches!(self, TaskSpec::Reboot(_)) && c.delay_seconds.is_some() {
                    return bad("delaySeconds belongs to scheduleInform");
                }
            }
            TaskSpec::CancelTransfer(Cancel { command_key }) => {
                key("commandKey", Some(command_key))?;
            }
            TaskSpec::Download(t) | TaskSpec::ScheduleDownload(t) => {
                transfer(t)?;
                let sources = [&t.url, &t.file, &t.file_name, &t.upload]
                    .iter()
                    .filter(|s| s.is_some())
                    .count();
                if sources != 1 {
                    return bad("a download names exactly one of url, file, fileName or upload");
                }
                if t.url.is_some() && t.file_type.is_none() {
                    return bad("fileType is required with url");
                }
                let schedule = matches!(self, TaskSpec::ScheduleDownload(_));
                if schedule && !(1..=2).contains(&t.time_windows.len()) {
                    return bad("timeWindows must hold one or two windows");
                }
                if !schedule && !t.time_windows.is_empty() {
                    return bad("timeWindows belongs to scheduleDownload");
                }
            }
            TaskSpec::Upload(t) => {
                transfer(t)?;
                if t.file_type.is_none() {
                    return bad("an upload needs fileType (e.g. \"1 Vendor Configuration File\")");
                }
                if t.file.is_some() || t.file_name.is_some() || t.upload.is_some() {
                    return bad("an upload takes url or nothing (the ACS's own upload URL)");
                }
                if !t.time_windows.is_empty() {
                    return bad("timeWindows belongs to scheduleDownload");
                }
            }
            TaskSpec::FactoryReset(_)
            | TaskSpec::GetRpcMethods(_)
            | TaskSpec::GetQueuedTransfers(_)
            | TaskSpec::GetAllQueuedTransfers(_) => {}
        }
        Ok(())
    }
}

fn entries(field: &str, n: usize) -> Result<(), InvalidTask> {
    match n {
        0 => bad(format!("{field} is empty")),
        n if n > MAX_ENTRIES => bad(format!("{field} has more than {MAX_ENTRIES} entries")),
        _ => Ok(()),
    }
}

fn path(field: &str, p: &str, empty_ok: bool) -> Result<(), InvalidTask> {
    if p.is_empty() && !empty_ok {
        return bad(format!("{field} is empty"));
    }
    if p.len() > MAX_PATH {
        return bad(format!("{field}: a path is at most {MAX_PATH} characters"));
    }
    if p.starts_with('.') || p.contains("..") || p.chars().any(char::is_whitespace) {
        return bad(format!("{field}: {p:?} is not a parameter path"));
    }
    Ok(())
}

fn values(field: &str, list: &[ValueSpec], relative: bool) -> Result<(), InvalidTask> {
    for v in list {
        path(field, &v.path, false)?;
        if v.path.ends_with('.') {
            return bad(format!("{field}: {} is an object, not a parameter", v.path));
        }
        if relative
            && (v.path.starts_with("Device.") || v.path.starts_with("InternetGatewayDevice."))
        {
            return bad(format!(
                "{field}: {} must be relative to the new instance",
                v.path
            ));
        }
        if let Some(ty) = &v.ty
            && crate::task::xsd_type(ty).is_none()
        {
            return bad(format!("{field}: {}: unknown type {ty:?}", v.path));
        }
    }
    Ok(())
}

fn key(field: &str, k: Option<&str>) -> Result<(), InvalidTask> {
    match k {
        Some(k) if k.chars().count() > MAX_KEY => {
            bad(format!("{field} is at most {MAX_KEY} characters"))
        }
        _ => Ok(()),
    }
}

fn transfer(t: &TransferSpec) -> Result<(), InvalidTask> {
    key("commandKey", t.command_key.as_deref())?;
    for (field, v) in [
        ("fileType", &t.file_type),
        ("file", &t.file),
        ("fileName", &t.file_name),
        ("upload", &t.upload),
        ("url", &t.url),
        ("username", &t.username),
        ("password", &t.password),
        ("targetFileName", &t.target_file_name),
        ("successURL", &t.success_url),
        ("failureURL", &t.failure_url),
    ] {
        if let Some(v) = v {
            if v.len() > MAX_URL {
                return bad(format!("{field} is at most {MAX_URL} characters"));
            }
            if v.is_empty() && !matches!(field, "username" | "password" | "targetFileName") {
                return bad(format!("{field} is empty"));
            }
        }
    }
    for w in &t.time_windows {
        if w.window_end < w.window_start {
            return bad("timeWindows: windowEnd is before windowStart");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
