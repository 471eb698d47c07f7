//! The CPE's own requests to the ACS (TR-069 §A.3.3): what waits to be sent in the next
//! session, and how each is acknowledged.
//!
//! The queue is the seam between the session and the rest of the agent: the transfer code
//! pushes a [`CpeRequest::TransferComplete`] when a Download or Upload ends (and again after a
//! restart until it is acknowledged), the CLI pushes `Kicked` and `RequestDownload`, the agent
//! pushes `GetRPCMethods` on demand. A request leaves the queue only when its response arrives,
//! or when the ACS refuses it with a fault other than 8005.

use std::collections::VecDeque;

use cwmp::Body;
use cwmp::rpc::{
    AutonomousTransferComplete, GetRPCMethods, Kicked, RequestDownload, TransferComplete,
};

/// One request the CPE sends to the ACS.
#[derive(Debug, Clone, PartialEq)]
pub enum CpeRequest {
    /// A Download, Upload or ScheduleDownload finished (event `7 TRANSFER COMPLETE`).
    TransferComplete(TransferComplete),
    /// A transfer the CPE made on its own finished (event `10 AUTONOMOUS TRANSFER COMPLETE`).
    AutonomousTransferComplete(AutonomousTransferComplete),
    /// A web "kick" (TR-069 Annex B).
    Kicked(Kicked),
    /// The CPE asks the ACS for a file.
    RequestDownload(RequestDownload),
    /// The CPE asks which methods the ACS supports.
    GetRPCMethods,
}

impl CpeRequest {
    /// The request's body on the wire.
    pub fn body(&self) -> Body {
        match self {
            CpeRequest::TransferComplete(r) => r.clone().into(),
            CpeRequest::AutonomousTransferComplete(r) => r.clone().into(),
            CpeRequest::Kicked(r) => r.clone().into(),
            CpeRequest::RequestDownload(r) => r.clone().into(),
            CpeRequest::GetRPCMethods => GetRPCMethods {}.into(),
        }
    }

    /// The method name (`TransferComplete`, …).
    pub fn name(&self) -> &'static str {
        match self {
            CpeRequest::TransferComplete(_) => "TransferComplete",
            CpeRequest::AutonomousTransferComplete(_) => "AutonomousTransferComplete",
            CpeRequest::Kicked(_) => "Kicked",
            CpeRequest::RequestDownload(_) => "RequestDownload",
            CpeRequest::GetRPCMethods => "GetRPCMethods",
        }
    }

    /// True if `body` is this request's response.
    pub fn is_answered_by(&self, body: &Body) -> bool {
        matches!(
            (self, body),
            (
                CpeRequest::TransferComplete(_),
                Body::TransferCompleteResponse(_)
            ) | (
                CpeRequest::AutonomousTransferComplete(_),
                Body::AutonomousTransferCompleteResponse(_)
            ) | (CpeRequest::Kicked(_), Body::KickedResponse(_))
                | (
                    CpeRequest::RequestDownload(_),
                    Body::RequestDownloadResponse(_)
                )
                | (CpeRequest::GetRPCMethods, Body::GetRPCMethodsResponse(_))
        )
    }
}

/// The CPE's requests waiting for the ACS, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PendingRequests {
    requests: VecDeque<CpeRequest>,
}

impl PendingRequests {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues a request for the next session. A second `GetRPCMethods` merges with the first.
    pub fn push(&mut self, request: CpeRequest) {
        if request == CpeRequest::GetRPCMethods && self.requests.contains(&request) {
            return;
        }
        self.requests.push_back(request);
    }

    /// The request to send next.
    pub fn front(&self) -> Option<&CpeRequest> {
        self.requests.front()
    }

    /// Removes the request sent (answered, or refused by the ACS).
    pub fn pop_front(&mut self) -> Option<CpeRequest> {
        self.requests.pop_front()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// The waiting requests, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &CpeRequest> {
        self.requests.iter()
    }
}
