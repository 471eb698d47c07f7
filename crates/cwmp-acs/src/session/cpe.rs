//! Answers to the requests a CPE may send the ACS (TR-069 §A.4.2 and the optional methods of
//! Annex A): each known one gets its response, anything else fault 8000.

use cwmp::rpc::{
    AutonomousDUStateChangeCompleteResponse, AutonomousTransferCompleteResponse,
    DUStateChangeCompleteResponse, GetRPCMethodsResponse, KickedResponse, RequestDownloadResponse,
    TransferCompleteResponse,
};
use cwmp::{Body, Fault, FaultCode};

/// Methods this ACS answers, as listed in its `GetRPCMethodsResponse`.
pub const ACS_METHODS: &[&str] = &[
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "RequestDownload",
    "Kicked",
    "DUStateChangeComplete",
    "AutonomousDUStateChangeComplete",
];

/// What the engine should remember about a CPE request besides the answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Note {
    /// Nothing to record.
    None,
    /// A transfer ended: its command key and CWMP fault code (0 on success).
    TransferComplete { command_key: String, fault: u32 },
}

/// The body answering the CPE request `body`, or `None` when `body` is not a request an ACS
/// answers (the caller then replies with fault 8000).
pub(crate) fn answer(body: &Body) -> Option<(Body, Note)> {
    let answer = match body {
        Body::GetRPCMethods(_) => (
            GetRPCMethodsResponse {
                method_list: ACS_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            }
            .into(),
            Note::None,
        ),
        Body::TransferComplete(t) => (
            TransferCompleteResponse {}.into(),
            Note::TransferComplete {
                command_key: t.command_key.clone(),
                fault: t.fault_struct.fault_code.map_or(0, FaultCode::value),
            },
        ),
        Body::AutonomousTransferComplete(_) => {
            (AutonomousTransferCompleteResponse {}.into(), Note::None)
        }
        // No file is offered on request yet: an empty response accepts the request (the ACS
        // may act on it later, TR-069 §A.4.2.2).
        Body::RequestDownload(_) => (RequestDownloadResponse {}.into(), Note::None),
        // Until a web portal exists the browser is sent where the CPE says it wanted to go.
        Body::Kicked(k) => (
            KickedResponse {
                next_url: k.next.clone(),
            }
            .into(),
            Note::None,
        ),
        Body::DUStateChangeComplete(_) => (DUStateChangeCompleteResponse {}.into(), Note::None),
        Body::AutonomousDUStateChangeComplete(_) => (
            AutonomousDUStateChangeCompleteResponse {}.into(),
            Note::None,
        ),
        _ => return None,
    };
    Some(answer)
}

/// Fault 8000 for a method the ACS does not answer.
pub(crate) fn method_not_supported(name: &str) -> Fault {
    Fault::new(
        FaultCode::ACS_METHOD_NOT_SUPPORTED,
        format!("method {name} not supported"),
    )
}
