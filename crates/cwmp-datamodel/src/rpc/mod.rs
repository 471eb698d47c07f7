//! The adapter between the wire ([`cwmp`]) and a [`Tree`]: a CPE agent or a simulator answers
//! every data-model RPC the ACS sends with one call to [`answer`], and fills its Inform with
//! [`fill_inform`].
//!
//! ```no_run
//! use cwmp::{Envelope, Header};
//! use cwmp_datamodel::{NoBackend, Tree, rpc};
//! # fn session(tree: &mut Tree, received: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let request = Envelope::parse(received)?;
//! match rpc::answer(tree, &mut NoBackend, &request.body) {
//!     Some(body) => {
//!         let header = Header { id: request.header.id.clone(), ..Header::default() };
//!         let reply = Envelope::new(request.version, header, body).to_xml()?;
//!         // send `reply`
//!     }
//!     None => { /* Reboot, Download, a response, a fault…: the agent's own business */ }
//! }
//! # Ok(()) }
//! ```
//!
//! The conversions between the tree's types and the wire's live here, one place each:
//! [`ApplyStatus`](crate::ApplyStatus) ⇄ [`Status`] (in [`crate::backend`]), [`AddObjectResult`] →
//! [`AddObjectResponse`], [`Fault`] → [`cwmp::Fault`] and [`ParameterFault`] →
//! [`SetParameterValuesFault`]. The stored notification and access list are converted to
//! [`Notification`](cwmp::rpc::Notification) and `AccessList` by the attribute operations
//! themselves, which take and return the `cwmp::rpc` structs.

use cwmp::rpc::{
    AddObjectResponse, DeleteObjectResponse, EventStruct, GetParameterAttributesResponse,
    GetParameterNamesResponse, GetParameterValuesResponse, GetRPCMethodsResponse, Inform,
    ParameterValueStruct, SetParameterAttributesResponse, SetParameterValuesResponse, Status,
};
use cwmp::{Body, CwmpFault, EventCode, FaultCode, SetParameterValuesFault, Value, XsdType};

use crate::backend::Backend;
use crate::ops::{AddObjectResult, Fault, ParameterFault};
use crate::tree::Tree;

#[cfg(test)]
mod tests;

/// The methods [`answer`] handles, GetRPCMethods included.
pub const DATA_MODEL_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
];

/// The methods every CPE must support (TR-069 Table 5): [`DATA_MODEL_METHODS`] plus `Reboot`
/// and `Download`, which the agent handles itself. The list [`answer`] reports to
/// GetRPCMethods; an agent that supports more (`FactoryReset`, `Upload`, `ScheduleInform`…)
/// extends it and calls [`answer_with_methods`].
pub const REQUIRED_CPE_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
];

/// The most characters a `FaultString` may have (the writer refuses longer ones).
pub const MAX_FAULT_STRING: usize = 256;

/// The most characters of a `ParameterName` in a `SetParameterValuesFault`.
const MAX_NAME: usize = 256;

/// Answers a request from the ACS with [`REQUIRED_CPE_METHODS`] as the GetRPCMethods list;
/// see [`answer_with_methods`].
pub fn answer(tree: &mut Tree, backend: &mut dyn Backend, request: &Body) -> Option<Body> {
    answer_with_methods(tree, backend, request, REQUIRED_CPE_METHODS)
}

/// Answers a data-model request from the ACS: GetRPCMethods (with `methods`, which must not
/// be empty and whose names have at most 64 characters), Get/SetParameterValues,
/// GetParameterNames, Set/GetParameterAttributes, AddObject and DeleteObject. The result is
/// the response body, or a `Body::Fault` with the CWMP fault (a failed SetParameterValues is
/// fault 9003 with one `SetParameterValuesFault` per failing parameter); on a fault nothing
/// is set, added or deleted. FaultStrings are cut to [`MAX_FAULT_STRING`] characters. A
/// value the writer would refuse (text invalid for its type, read from a live backend) makes
/// GetParameterValues fault 9002. Notifications 3–6 (lightweight, allowed only by
/// [`ModelOptions::allow_lightweight_notification`](crate::ModelOptions)) can be written in
/// CWMP 1.4 only.
///
/// `None` for everything else, for the caller to handle: the other CPE methods (Reboot,
/// FactoryReset, Download, Upload, ScheduleInform, transfers, deployment units, vouchers,
/// options), the ACS's methods (Inform, TransferComplete…), `…Response` messages and faults.
/// Answering an unsupported request with fault 9000 is the caller's decision.
pub fn answer_with_methods(
    tree: &mut Tree,
    backend: &mut dyn Backend,
    request: &Body,
    methods: &[&str],
) -> Option<Body> {
    let result: Result<Body, Fault> = match request {
        Body::GetRPCMethods(_) => Ok(GetRPCMethodsResponse {
            method_list: methods.iter().map(|m| (*m).to_owned()).collect(),
        }
        .into()),
        Body::GetParameterValues(r) => tree
            .get_parameter_values(&r.parameter_names, &*backend)
            .and_then(writable_values)
            .map(|parameter_list| GetParameterValuesResponse { parameter_list }.into()),
        Body::SetParameterValues(r) => tree
            .set_parameter_values(&r.parameter_list, &r.parameter_key, backend)
            .map(|status| {
                SetParameterValuesResponse {
                    status: status.into(),
                }
                .into()
            }),
        Body::GetParameterNames(r) => tree
            .get_parameter_names(&r.parameter_path, r.next_level)
            .map(|parameter_list| GetParameterNamesResponse { parameter_list }.into()),
        Body::SetParameterAttributes(r) => tree
            .set_parameter_attributes(&r.parameter_list)
            .map(|()| SetParameterAttributesResponse {}.into()),
        Body::GetParameterAttributes(r) => tree
            .get_parameter_attributes(&r.parameter_names)
            .map(|parameter_list| GetParameterAttributesResponse { parameter_list }.into()),
        Body::AddObject(r) => tree
            .add_object(&r.object_name, &r.parameter_key, backend)
            .map(|added| AddObjectResponse::from(added).into()),
        Body::DeleteObject(r) => tree
            .delete_object(&r.object_name, &r.parameter_key, backend)
            .map(|status| {
                DeleteObjectResponse {
                    status: status.into(),
                }
                .into()
            }),
        _ => return None,
    };
    Some(result.unwrap_or_else(|fault| Body::Fault(fault.into())))
}

/// The Inform's ParameterList (forced inform parameters, then the recorded changes not
/// already listed) and whether the Inform must carry `4 VALUE CHANGE`: the pair of
/// [`Tree::inform_parameters`]. The changes stay recorded until [`Tree::clear_changes`],
/// which the agent calls once the InformResponse has arrived.
pub fn inform_parameters(tree: &Tree, backend: &dyn Backend) -> (Vec<ParameterValueStruct>, bool) {
    let p = tree.inform_parameters(backend);
    (p.parameters, p.value_change)
}

/// Sets `inform.parameter_list` from [`inform_parameters`] and, when values changed, adds the
/// `4 VALUE CHANGE` event unless it is already there. Returns whether changes were included.
pub fn fill_inform(tree: &Tree, backend: &dyn Backend, inform: &mut Inform) -> bool {
    let (parameters, value_change) = inform_parameters(tree, backend);
    inform.parameter_list = parameters;
    if value_change
        && !inform
            .event
            .iter()
            .any(|e| e.event_code == EventCode::ValueChange)
    {
        inform.event.push(EventStruct {
            event_code: EventCode::ValueChange,
            command_key: String::new(),
        });
    }
    value_change
}

/// The values unless one cannot be written: text that is not valid for its type (a live
/// backend's reading, say) would make the writer refuse the whole response, so it is fault
/// 9002 instead.
fn writable_values(values: Vec<ParameterValueStruct>) -> Result<Vec<ParameterValueStruct>, Fault> {
    let invalid = values.iter().find(|p| match &p.value {
        Value::Other { xsi_type, .. } => XsdType::from_wire_name(xsi_type).is_some(),
        _ => false,
    });
    match invalid {
        Some(p) => Err(Fault::new(
            FaultCode::INTERNAL_ERROR,
            format!(
                "{}: the device's value is not a valid {}",
                p.name,
                p.value.xsi_type().unwrap_or("value")
            ),
        )),
        None => Ok(values),
    }
}

/// `text` cut to at most `max` characters, at a character boundary.
fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// The wire answer to an AddObject.
impl From<AddObjectResult> for AddObjectResponse {
    fn from(r: AddObjectResult) -> Self {
        AddObjectResponse {
            instance_number: r.instance_number,
            status: Status::from(r.status),
        }
    }
}

/// The wire entry of one parameter of a failed SetParameterValues; name and text cut to 256
/// characters.
impl From<&ParameterFault> for SetParameterValuesFault {
    fn from(f: &ParameterFault) -> Self {
        SetParameterValuesFault {
            parameter_name: truncated(&f.name, MAX_NAME),
            fault_code: f.code,
            fault_string: Some(truncated(&f.message, MAX_FAULT_STRING)),
        }
    }
}

/// The SOAP fault of a failed RPC: the SOAP faultcode its CWMP code calls for, the
/// FaultString cut to [`MAX_FAULT_STRING`] characters, and the per-parameter entries.
impl From<&Fault> for cwmp::Fault {
    fn from(f: &Fault) -> Self {
        cwmp::Fault {
            kind: f.code.kind(),
            fault_string: "CWMP fault".into(),
            detail: Some(CwmpFault {
                code: f.code,
                string: Some(truncated(&f.message, MAX_FAULT_STRING)),
                set_parameter_values_faults: f.parameters.iter().map(Into::into).collect(),
            }),
        }
    }
}

/// See the conversion from `&Fault`.
impl From<Fault> for cwmp::Fault {
    fn from(f: Fault) -> Self {
        cwmp::Fault::from(&f)
    }
}
