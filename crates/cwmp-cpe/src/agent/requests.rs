//! The operator's own requests to the ACS (`cwmp-cpe request …`): queued in
//! [`PendingRequests`](crate::session::PendingRequests) for a session started at once, and
//! what the ACS answered, kept for `show status`.

use cwmp::rpc::{ArgStruct, Kicked, RequestDownload};
use cwmp::{CwmpVersion, Envelope, Header};

use super::{Agent, AgentError, Local};
use crate::control::{AcsRequest, Reply};
use crate::session::CpeRequest;

/// What the ACS answered to the CPE's own requests, latest first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct AcsAnswers {
    /// The method list of the last GetRPCMethodsResponse.
    pub(super) methods: Option<Vec<String>>,
    /// The `NextURL` of the last KickedResponse.
    pub(super) kicked_next_url: Option<String>,
}

/// The request on the wire, refused (with the codec's reason) when a field breaks the
/// schema's limits: queued anyway, it would fail every session until a restart.
fn cpe_request(request: AcsRequest) -> Result<CpeRequest, String> {
    let request = match request {
        AcsRequest::GetRpcMethods => CpeRequest::GetRPCMethods,
        AcsRequest::Download { file_type, args } => CpeRequest::RequestDownload(RequestDownload {
            file_type,
            file_type_arg: args
                .into_iter()
                .map(|(name, value)| ArgStruct { name, value })
                .collect(),
        }),
        AcsRequest::Kicked {
            command,
            referer,
            arg,
            next,
        } => CpeRequest::Kicked(Kicked {
            command,
            referer,
            arg,
            next,
        }),
    };
    Envelope::new(CwmpVersion::V1_2, Header::default(), request.body())
        .to_xml()
        .map_err(|e| format!("{}: {e}", request.name()))?;
    Ok(request)
}

impl Agent {
    /// Queues the operator's request for the ACS and starts a session; refused (to the
    /// operator) when a field is out of the schema's bounds.
    pub(super) fn ask_acs(&mut self, request: AcsRequest) -> Result<Reply, AgentError> {
        let request = match cpe_request(request) {
            Ok(r) => r,
            Err(message) => return Ok(Reply::Error { message }),
        };
        let name = request.name();
        self.requests.push(request);
        self.local(Local::Inform)?;
        Ok(Reply::Done {
            message: format!("{name} queued; a session starts now"),
        })
    }

    /// Keeps what the session's ACS answered to the CPE's own requests.
    pub(super) fn record_answers(&mut self, methods: Option<&[String]>, next_url: Option<&str>) {
        if let Some(m) = methods {
            self.answers.methods = Some(m.to_vec());
        }
        if let Some(u) = next_url {
            self.answers.kicked_next_url = Some(u.to_owned());
        }
    }

    /// The requests still waiting for the ACS, by method name.
    pub(super) fn pending_request_names(&self) -> Vec<String> {
        self.requests.iter().map(|r| r.name().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_fields_are_refused() {
        let long = "x".repeat(33);
        let kicked = AcsRequest::Kicked {
            command: long,
            referer: "r".into(),
            arg: String::new(),
            next: "http://n/".into(),
        };
        assert!(cpe_request(kicked).is_err());
        let ok = AcsRequest::Kicked {
            command: "c".into(),
            referer: "r".into(),
            arg: String::new(),
            next: "http://n/".into(),
        };
        assert!(matches!(cpe_request(ok), Ok(CpeRequest::Kicked(_))));
        let args = (0..17).map(|i| (format!("n{i}"), "v".to_owned())).collect();
        let download = AcsRequest::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            args,
        };
        assert!(cpe_request(download).is_err());
        let download = AcsRequest::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            args: vec![("Version".into(), "2.0".into())],
        };
        assert!(matches!(
            cpe_request(download),
            Ok(CpeRequest::RequestDownload(_))
        ));
    }
}
