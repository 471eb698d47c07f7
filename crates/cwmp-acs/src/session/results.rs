//! What a CPE's answer to one of the ACS's requests means for the store: parameter rows to
//! write and the JSON kept as the task's result.

use cwmp::rpc::ParameterValueStruct;
use cwmp::{Body, Fault};
use serde_json::{Value as Json, json};

use crate::store::{FaultInfo, ParamBatch, ParamUpdate, Timestamp};

/// True when `response` is the response to `request` (`GetParameterValues` →
/// `GetParameterValuesResponse`, …).
pub(crate) fn answers(request: &Body, response: &Body) -> bool {
    response
        .name()
        .strip_suffix("Response")
        .is_some_and(|r| r == request.name())
}

/// The parameter rows that `response` (the answer to `request`) tells about, and its result
/// as JSON.
/// Rows recording the values of `list` (read from the CPE, or set and acknowledged by it).
fn value_updates(list: &[ParameterValueStruct]) -> Vec<ParamUpdate> {
    list.iter()
        .map(|p| ParamUpdate {
            path: p.name.clone(),
            value: Some(p.value.clone()),
            ..ParamUpdate::default()
        })
        .collect()
}

pub(crate) fn interpret(request: &Body, response: &Body, time: Timestamp) -> (ParamBatch, Json) {
    let mut batch = ParamBatch {
        time,
        ..ParamBatch::default()
    };
    let result = match (request, response) {
        (_, Body::GetParameterValuesResponse(r)) => {
            batch.updates = value_updates(&r.parameter_list);
            let values: Vec<Json> = r
                .parameter_list
                .iter()
                .map(|p| {
                    json!([
                        p.name,
                        p.value.as_text(),
                        p.value.xsi_type().map(|t| format!("xsd:{t}"))
                    ])
                })
                .collect();
            json!({ "parameterValues": values })
        }
        (_, Body::GetParameterNamesResponse(r)) => {
            batch.updates = r
                .parameter_list
                .iter()
                .map(|p| ParamUpdate {
                    path: p.name.clone(),
                    writable: Some(p.writable),
                    ..ParamUpdate::default()
                })
                .collect();
            let names: Vec<Json> = r
                .parameter_list
                .iter()
                .map(|p| json!([p.name, p.writable]))
                .collect();
            json!({ "parameterNames": names })
        }
        (_, Body::GetParameterAttributesResponse(r)) => {
            batch.updates = r
                .parameter_list
                .iter()
                .map(|p| ParamUpdate {
                    path: p.name.clone(),
                    notification: u8::try_from(p.notification.value()).ok(),
                    access_list: Some(p.access_list.clone()),
                    ..ParamUpdate::default()
                })
                .collect();
            let attrs: Vec<Json> = r
                .parameter_list
                .iter()
                .map(|p| json!([p.name, p.notification.value(), p.access_list]))
                .collect();
            json!({ "parameterAttributes": attrs })
        }
        (Body::SetParameterValues(req), Body::SetParameterValuesResponse(r)) => {
            batch.updates = value_updates(&req.parameter_list);
            json!({ "status": r.status.value() })
        }
        (Body::SetParameterAttributes(req), Body::SetParameterAttributesResponse(_)) => {
            // Partial paths set a whole subtree; only exact parameters are recorded here.
            batch.updates = req
                .parameter_list
                .iter()
                .filter(|a| !a.name.ends_with('.'))
                .map(|a| ParamUpdate {
                    path: a.name.clone(),
                    notification: a
                        .notification_change
                        .then(|| u8::try_from(a.notification.value()).ok())
                        .flatten(),
                    access_list: a.access_list_change.then(|| a.access_list.clone()),
                    ..ParamUpdate::default()
                })
                .collect();
            json!({})
        }
        (Body::AddObject(req), Body::AddObjectResponse(r)) => {
            // An instance the ACS could add is one it can delete: writable, as GenieACS shows it.
            batch.updates = vec![ParamUpdate {
                path: format!("{}{}.", req.object_name, r.instance_number),
                writable: Some(true),
                ..ParamUpdate::default()
            }];
            json!({ "instanceNumber": r.instance_number, "status": r.status.value() })
        }
        (Body::DeleteObject(req), Body::DeleteObjectResponse(r)) => {
            batch.delete_prefixes = vec![req.object_name.clone()];
            json!({ "status": r.status.value() })
        }
        (_, Body::DownloadResponse(r)) => json!({
            "status": r.status.value(),
            "startTime": r.start_time.to_string(),
            "completeTime": r.complete_time.to_string(),
        }),
        (_, Body::UploadResponse(r)) => json!({
            "status": r.status.value(),
            "startTime": r.start_time.to_string(),
            "completeTime": r.complete_time.to_string(),
        }),
        (_, Body::GetRPCMethodsResponse(r)) => json!({ "methodList": r.method_list }),
        (_, other) => serde_json::to_value(other).unwrap_or(Json::Null),
    };
    (batch, result)
}

/// The task fault recorded for a CWMP fault answer: code `cwmp.<n>` as GenieACS writes it.
pub(crate) fn fault_info(fault: &Fault) -> FaultInfo {
    let code = fault.code().map_or_else(
        || "cwmp.unknown".to_owned(),
        |c| format!("cwmp.{}", c.value()),
    );
    let message = fault
        .detail
        .as_ref()
        .and_then(|d| d.string.clone())
        .unwrap_or_else(|| fault.fault_string.clone());
    FaultInfo {
        code,
        message,
        detail: Some(fault_detail(fault)),
    }
}

/// A CPE fault as GenieACS records it in `detail`: `faultCode` and `faultString` as text, and
/// `setParameterValuesFault` with one entry per parameter.
fn fault_detail(fault: &Fault) -> Json {
    let Some(d) = &fault.detail else {
        return json!({ "faultCode": fault.kind.to_string(), "faultString": fault.fault_string });
    };
    let mut out = json!({
        "faultCode": d.code.value().to_string(),
        "faultString": d.string.clone().unwrap_or_default(),
    });
    if !d.set_parameter_values_faults.is_empty() {
        out["setParameterValuesFault"] = d
            .set_parameter_values_faults
            .iter()
            .map(|p| {
                json!({
                    "parameterName": p.parameter_name,
                    "faultCode": p.fault_code.value().to_string(),
                    "faultString": p.fault_string.clone().unwrap_or_default(),
                })
            })
            .collect();
    }
    out
}

/// A fault of the engine itself (not sent by the CPE), e.g. `invalid_task`.
pub(crate) fn engine_fault(code: &str, message: impl Into<String>) -> FaultInfo {
    FaultInfo {
        code: code.to_owned(),
        message: message.into(),
        detail: None,
    }
}

/// Merges the result of one step of a multi-step task into the task's result: lists (the
/// values of each batch of a refresh) are appended, other fields replaced by the later step.
pub(crate) fn merge(into: &mut Json, step: Json) {
    match (into, step) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                match (a.get_mut(&k), v) {
                    (Some(Json::Array(have)), Json::Array(more)) => have.extend(more),
                    (_, v) => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, step) => *slot = step,
    }
}
