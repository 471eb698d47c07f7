//! Translation of a stored task (GenieACS NBI JSON shape) into the CWMP requests that carry
//! it out.
//!
//! Shapes (fields in camelCase, optional ones in brackets):
//! - `getParameterValues`: `parameterNames: [path]`
//! - `setParameterValues`: `parameterValues: [[path, value, [type]]]`, `[parameterKey]`;
//!   without a type, strings are `xsd:string`, booleans `xsd:boolean`, integers `xsd:int`
//!   (or `xsd:unsignedInt` above `i32::MAX`)
//! - `getParameterNames`: `parameterPath`, `[nextLevel]` (default false)
//! - `refreshObject`: `objectName` → GetParameterNames of the subtree, then its values
//! - `getParameterAttributes`: `parameterNames: [path]`
//! - `setParameterAttributes`: `parameterAttributes: [[path, notification|null, accessList|null]]`
//! - `addObject` / `deleteObject`: `objectName`, `[parameterKey]`
//! - `reboot`: `[commandKey]`; `factoryReset`; `getRPCMethods`
//! - `scheduleInform`: `delaySeconds`, `[commandKey]`
//! - `download`: `fileType`, `url`, `[username, password, fileSize, targetFileName,
//!   delaySeconds, successURL, failureURL, commandKey]`
//! - `upload`: `fileType`, `url`, `[username, password, delaySeconds, commandKey]`
//! - `scheduleDownload`: `fileType`, `url`, `timeWindows: [{windowStart, windowEnd,
//!   windowMode, [userMessage, maxRetries]}]` (one or two), `[username, password, fileSize,
//!   targetFileName, commandKey]`
//! - `cancelTransfer`: `commandKey`
//! - `getQueuedTransfers`, `getAllQueuedTransfers`
//!
//! Downloads and uploads may name a stored file or upload instead of a `url`
//! ([`crate::files::task_urls`] fills it in before the request is built).
//!
//! The command key of reboot, download, upload, scheduleDownload and scheduleInform
//! defaults to the task id (24 characters, within the 32 of TR-069), so the `M …` event or
//! TransferComplete that follows can be matched to the task.

use cwmp::rpc::*;
use cwmp::{Body, Value, XsdType};
use serde_json::Value as Json;

/// A task that cannot be turned into a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid task: {0}")]
pub struct InvalidTask(pub String);

type R<T> = Result<T, InvalidTask>;

fn bad(msg: impl Into<String>) -> InvalidTask {
    InvalidTask(msg.into())
}

fn str_field<'a>(p: &'a Json, key: &str) -> R<&'a str> {
    p.get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| bad(format!("{key} must be a string")))
}

fn opt_str(p: &Json, key: &str) -> R<String> {
    match p.get(key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(format!("{key} must be a string"))),
    }
}

fn opt_u32(p: &Json, key: &str) -> R<u32> {
    match p.get(key) {
        None | Some(Json::Null) => Ok(0),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad(format!("{key} must be an unsigned 32-bit integer"))),
    }
}

fn opt_bool(p: &Json, key: &str) -> R<bool> {
    match p.get(key) {
        None | Some(Json::Null) => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| bad(format!("{key} must be a boolean"))),
    }
}

fn string_list(p: &Json, key: &str) -> R<Vec<String>> {
    let list = p
        .get(key)
        .and_then(Json::as_array)
        .ok_or_else(|| bad(format!("{key} must be an array of strings")))?;
    let names = list
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad(format!("{key} must be an array of strings")))?;
    if names.is_empty() {
        return Err(bad(format!("{key} is empty")));
    }
    Ok(names)
}

fn time_windows(p: &Json) -> R<Vec<TimeWindowStruct>> {
    let list = p
        .get("timeWindows")
        .and_then(Json::as_array)
        .filter(|a| (1..=2).contains(&a.len()))
        .ok_or_else(|| bad("timeWindows must be an array of one or two windows"))?;
    list.iter()
        .map(|w| {
            let max_retries = match w.get("maxRetries") {
                None | Some(Json::Null) => -1,
                Some(v) => v
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| bad("maxRetries must be an integer"))?,
            };
            Ok(TimeWindowStruct {
                window_start: opt_u32(w, "windowStart")?,
                window_end: opt_u32(w, "windowEnd")?,
                window_mode: str_field(w, "windowMode")?.to_owned(),
                user_message: opt_str(w, "userMessage")?,
                max_retries,
            })
        })
        .collect()
}

fn command_key(p: &Json, task_id: &str) -> R<String> {
    match p.get("commandKey") {
        None | Some(Json::Null) => Ok(task_id.to_owned()),
        _ => opt_str(p, "commandKey"),
    }
}

/// The typed value of one `[path, value, type]` entry.
pub(crate) fn typed_value(value: &Json, ty: Option<&str>) -> R<Value> {
    let text = match value {
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        _ => return Err(bad("a parameter value must be a string, number or boolean")),
    };
    if let Some(ty) = ty {
        let local = ty.rsplit_once(':').map_or(ty, |(_, l)| l);
        let Some(xsd) = XsdType::from_wire_name(local) else {
            return Ok(Value::from_wire(Some(ty), &text));
        };
        return Value::parse(xsd, &text).map_err(|e| bad(format!("{text:?}: {}", e.reason)));
    }
    Ok(match value {
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).map_or_else(
                |_| u32::try_from(i).map_or(Value::Long(i), Value::UnsignedInt),
                Value::Int,
            ),
            None => Value::String(text),
        },
        _ => Value::String(text),
    })
}

fn parameter_values(p: &Json) -> R<Vec<ParameterValueStruct>> {
    let list = p
        .get("parameterValues")
        .and_then(Json::as_array)
        .ok_or_else(|| bad("parameterValues must be an array"))?;
    if list.is_empty() {
        return Err(bad("parameterValues is empty"));
    }
    list.iter()
        .map(|entry| {
            let items = entry
                .as_array()
                .filter(|a| (2..=3).contains(&a.len()))
                .ok_or_else(|| bad("each parameterValues entry is [path, value, type?]"))?;
            let name = items[0]
                .as_str()
                .ok_or_else(|| bad("a parameter path must be a string"))?;
            let ty = match items.get(2) {
                None | Some(Json::Null) => None,
                Some(Json::String(t)) => Some(t.as_str()),
                Some(_) => return Err(bad("a parameter type must be a string")),
            };
            Ok(ParameterValueStruct {
                name: name.to_owned(),
                value: typed_value(&items[1], ty)?,
            })
        })
        .collect()
}

fn parameter_attributes(p: &Json) -> R<Vec<SetParameterAttributesStruct>> {
    let list = p
        .get("parameterAttributes")
        .and_then(Json::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("parameterAttributes must be a non-empty array"))?;
    list.iter()
        .map(|entry| {
            let items = entry.as_array().filter(|a| a.len() == 3).ok_or_else(|| {
                bad("each parameterAttributes entry is [path, notification, accessList]")
            })?;
            let name = items[0]
                .as_str()
                .ok_or_else(|| bad("a parameter path must be a string"))?;
            let notification = match &items[1] {
                Json::Null => None,
                v => Some(
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| bad("notification must be an integer"))?,
                ),
            };
            let access_list = match &items[2] {
                Json::Null => None,
                Json::Array(a) => Some(
                    a.iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| bad("accessList must be an array of strings"))?,
                ),
                _ => return Err(bad("accessList must be an array of strings or null")),
            };
            Ok(SetParameterAttributesStruct {
                name: name.to_owned(),
                notification_change: notification.is_some(),
                notification: Notification::from_value(notification.unwrap_or(0)),
                access_list_change: access_list.is_some(),
                access_list: access_list.unwrap_or_default(),
            })
        })
        .collect()
}

/// The requests that carry out task `name` with `payload`, in order (most tasks need one,
/// `refreshObject` two).
pub fn task_requests(task_id: &str, name: &str, payload: &Json) -> R<Vec<Body>> {
    let p = payload;
    let one = |b: Body| Ok(vec![b]);
    match name {
        "getParameterValues" => one(GetParameterValues {
            parameter_names: string_list(p, "parameterNames")?,
        }
        .into()),
        "setParameterValues" => one(SetParameterValues {
            parameter_list: parameter_values(p)?,
            parameter_key: opt_str(p, "parameterKey")?,
        }
        .into()),
        "getParameterNames" => one(GetParameterNames {
            parameter_path: opt_str(p, "parameterPath")?,
            next_level: opt_bool(p, "nextLevel")?,
        }
        .into()),
        "refreshObject" => {
            let path = str_field(p, "objectName")?.to_owned();
            Ok(vec![
                GetParameterNames {
                    parameter_path: path.clone(),
                    next_level: false,
                }
                .into(),
                GetParameterValues {
                    parameter_names: vec![path],
                }
                .into(),
            ])
        }
        "getParameterAttributes" => one(GetParameterAttributes {
            parameter_names: string_list(p, "parameterNames")?,
        }
        .into()),
        "setParameterAttributes" => one(SetParameterAttributes {
            parameter_list: parameter_attributes(p)?,
        }
        .into()),
        "addObject" => one(AddObject {
            object_name: str_field(p, "objectName")?.to_owned(),
            parameter_key: opt_str(p, "parameterKey")?,
        }
        .into()),
        "deleteObject" => one(DeleteObject {
            object_name: str_field(p, "objectName")?.to_owned(),
            parameter_key: opt_str(p, "parameterKey")?,
        }
        .into()),
        "reboot" => one(Reboot {
            command_key: command_key(p, task_id)?,
        }
        .into()),
        "factoryReset" => one(FactoryReset {}.into()),
        "getRPCMethods" => one(GetRPCMethods {}.into()),
        "getQueuedTransfers" => one(GetQueuedTransfers {}.into()),
        "getAllQueuedTransfers" => one(GetAllQueuedTransfers {}.into()),
        "scheduleInform" => one(ScheduleInform {
            delay_seconds: opt_u32(p, "delaySeconds")?,
            command_key: command_key(p, task_id)?,
        }
        .into()),
        "download" => one(Download {
            command_key: command_key(p, task_id)?,
            file_type: str_field(p, "fileType")?.to_owned(),
            url: str_field(p, "url")?.to_owned(),
            username: opt_str(p, "username")?,
            password: opt_str(p, "password")?,
            file_size: opt_u32(p, "fileSize")?,
            target_file_name: opt_str(p, "targetFileName")?,
            delay_seconds: opt_u32(p, "delaySeconds")?,
            success_url: opt_str(p, "successURL")?,
            failure_url: opt_str(p, "failureURL")?,
        }
        .into()),
        "upload" => one(Upload {
            command_key: command_key(p, task_id)?,
            file_type: str_field(p, "fileType")?.to_owned(),
            url: str_field(p, "url")?.to_owned(),
            username: opt_str(p, "username")?,
            password: opt_str(p, "password")?,
            delay_seconds: opt_u32(p, "delaySeconds")?,
        }
        .into()),
        "scheduleDownload" => one(ScheduleDownload {
            command_key: command_key(p, task_id)?,
            file_type: str_field(p, "fileType")?.to_owned(),
            url: str_field(p, "url")?.to_owned(),
            username: opt_str(p, "username")?,
            password: opt_str(p, "password")?,
            file_size: opt_u32(p, "fileSize")?,
            target_file_name: opt_str(p, "targetFileName")?,
            time_window_list: time_windows(p)?,
        }
        .into()),
        "cancelTransfer" => one(CancelTransfer {
            command_key: str_field(p, "commandKey")?.to_owned(),
        }
        .into()),
        other => Err(bad(format!("unknown task {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_parameter_values_with_and_without_types() {
        let p = json!({"parameterValues": [
            ["Device.A", "v", "xsd:string"],
            ["Device.B", 30, "xsd:unsignedInt"],
            ["Device.C", true],
            ["Device.D", -4],
        ]});
        let reqs = task_requests("t", "setParameterValues", &p).expect("ok");
        let Body::SetParameterValues(spv) = &reqs[0] else {
            panic!("not SPV")
        };
        let values: Vec<_> = spv.parameter_list.iter().map(|v| &v.value).collect();
        assert_eq!(
            values,
            [
                &Value::string("v"),
                &Value::UnsignedInt(30),
                &Value::Boolean(true),
                &Value::Int(-4)
            ]
        );
    }

    #[test]
    fn bad_payloads_are_rejected() {
        for (name, p) in [
            ("getParameterValues", json!({})),
            ("getParameterValues", json!({"parameterNames": []})),
            ("setParameterValues", json!({"parameterValues": [["A"]]})),
            (
                "setParameterValues",
                json!({"parameterValues": [["A", "x", "xsd:int"]]}),
            ),
            ("addObject", json!({"objectName": 3})),
            ("scheduleInform", json!({"delaySeconds": -1})),
            ("frobnicate", json!({})),
        ] {
            assert!(task_requests("t", name, &p).is_err(), "{name} {p}");
        }
    }

    #[test]
    fn command_key_defaults_to_task_id() {
        let reqs = task_requests("abc", "reboot", &json!({})).expect("ok");
        assert_eq!(
            reqs,
            vec![Body::Reboot(Reboot {
                command_key: "abc".into()
            })]
        );
        let reqs =
            task_requests("abc", "refreshObject", &json!({"objectName": "Device.X."})).expect("ok");
        assert_eq!(reqs.len(), 2);
    }

    #[test]
    fn schedule_download_and_cancel_transfer() {
        let p = json!({"fileType": "1 Firmware Upgrade Image", "url": "http://f/x",
            "timeWindows": [{"windowStart": 0, "windowEnd": 3600,
                "windowMode": "1 At Any Time"}]});
        let reqs = task_requests("abc", "scheduleDownload", &p).expect("ok");
        let Body::ScheduleDownload(sd) = &reqs[0] else {
            panic!("not ScheduleDownload")
        };
        assert_eq!(sd.command_key, "abc");
        assert_eq!(sd.time_window_list.len(), 1);
        assert_eq!(sd.time_window_list[0].window_end, 3600);
        assert_eq!(sd.time_window_list[0].max_retries, -1);
        let none = json!({"fileType": "1 Firmware Upgrade Image", "url": "u", "timeWindows": []});
        assert!(task_requests("abc", "scheduleDownload", &none).is_err());
        let reqs = task_requests("t", "cancelTransfer", &json!({"commandKey": "k"})).expect("ok");
        assert_eq!(
            reqs,
            vec![Body::CancelTransfer(CancelTransfer {
                command_key: "k".into()
            })]
        );
        assert!(task_requests("t", "cancelTransfer", &json!({})).is_err());
    }
}
