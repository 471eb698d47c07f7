//! Answers to the requests the ACS sends inside a session (TR-069 §A.3.2, §A.4.1): the
//! data-model RPCs through [`cwmp_datamodel::rpc`], the device methods as [`Effect`]s the
//! agent applies after the session, and fault 9000 for everything else.

use cwmp::event::MethodEvent;
use cwmp::rpc::{
    Download, DownloadResponse, FactoryResetResponse, RebootResponse, ScheduleInformResponse,
    Status, Upload, UploadResponse,
};
use cwmp::{Body, DateTime, EventCode, Fault, FaultCode};
use cwmp_datamodel::rpc::answer_with_methods;
use cwmp_datamodel::{Backend, Tree};

use crate::events::EventQueue;
use crate::transfer::{TransferQueue, rpc};

/// Every method this agent answers, for GetRPCMethods.
pub const SUPPORTED_METHODS: &[&str] = &[
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
    "Upload",
    "FactoryReset",
    "ScheduleInform",
    "GetQueuedTransfers",
    "GetAllQueuedTransfers",
    "ScheduleDownload",
    "CancelTransfer",
];

/// Something the ACS asked for that the agent carries out once the session is over (TR-069
/// §A.3.2.1: a Reboot or FactoryReset only after the session ends).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Reboot; `M Reboot` with this key is already queued.
    Reboot {
        /// The Reboot's CommandKey.
        command_key: String,
    },
    /// Reset to factory defaults, then reboot.
    FactoryReset,
    /// Inform again after `delay_seconds` with `3 SCHEDULED` + `M ScheduleInform`
    /// ([`Scheduler::schedule_inform`](crate::Scheduler::schedule_inform)).
    ScheduleInform {
        /// Seconds from the request.
        delay_seconds: u32,
        /// Its CommandKey.
        command_key: String,
    },
    /// Start this download; answered `Status 1`, reported later with TransferComplete.
    Download(Download),
    /// Start this upload; answered `Status 1`, reported later with TransferComplete.
    Upload(Upload),
}

/// What the agent allows the ACS to do (the operator's `download`/`upload` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// Download accepted (else fault 9001).
    pub download: bool,
    /// Upload accepted (else fault 9001).
    pub upload: bool,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions {
            download: true,
            upload: true,
        }
    }
}

/// The device side an ACS request acts on.
pub(crate) struct Device<'a> {
    pub tree: &'a mut Tree,
    pub backend: &'a mut dyn Backend,
    pub queue: &'a mut EventQueue,
    pub permissions: Permissions,
    /// The agent's transfer queue and the Unix time, once attached
    /// ([`Session::attach_transfers`](super::Session::attach_transfers)); without it,
    /// Download and Upload become [`Effect`]s and the queue methods fault 9000.
    pub transfers: Option<(&'a mut TransferQueue, i64)>,
}

/// The response (or fault) to `request`, an ACS request; device methods add to `effects`,
/// and problems the agent should know about (a queue that could not be saved) to `notes`.
pub(crate) fn answer(
    dev: &mut Device<'_>,
    request: &Body,
    effects: &mut Vec<Effect>,
    notes: &mut Vec<String>,
) -> Body {
    if let Some(body) = answer_with_methods(dev.tree, dev.backend, request, SUPPORTED_METHODS) {
        return body;
    }
    if let Some(body) = answer_transfer(dev, request) {
        return body;
    }
    let pending = || (Status::Pending, DateTime::UNKNOWN, DateTime::UNKNOWN);
    match request {
        Body::Reboot(r) => {
            if let Err(e) = dev
                .queue
                .raise(EventCode::Method(MethodEvent::Reboot), &r.command_key)
            {
                notes.push(format!("queueing M Reboot: {e}"));
            }
            effects.push(Effect::Reboot {
                command_key: r.command_key.clone(),
            });
            RebootResponse {}.into()
        }
        Body::FactoryReset(_) => {
            effects.push(Effect::FactoryReset);
            FactoryResetResponse {}.into()
        }
        Body::ScheduleInform(r) if r.delay_seconds == 0 => fault(
            FaultCode::INVALID_ARGUMENTS,
            "ScheduleInform: DelaySeconds must be greater than zero",
        ),
        Body::ScheduleInform(r) => {
            effects.push(Effect::ScheduleInform {
                delay_seconds: r.delay_seconds,
                command_key: r.command_key.clone(),
            });
            ScheduleInformResponse {}.into()
        }
        Body::Download(_) if !dev.permissions.download => fault(
            FaultCode::REQUEST_DENIED,
            "Download is disabled on this device",
        ),
        Body::ScheduleDownload(_) if !dev.permissions.download => fault(
            FaultCode::REQUEST_DENIED,
            "Download is disabled on this device",
        ),
        Body::Download(r) => {
            effects.push(Effect::Download(r.clone()));
            let (status, start_time, complete_time) = pending();
            DownloadResponse {
                status,
                start_time,
                complete_time,
            }
            .into()
        }
        Body::Upload(_) if !dev.permissions.upload => fault(
            FaultCode::REQUEST_DENIED,
            "Upload is disabled on this device",
        ),
        Body::Upload(r) => {
            effects.push(Effect::Upload(r.clone()));
            let (status, start_time, complete_time) = pending();
            UploadResponse {
                status,
                start_time,
                complete_time,
            }
            .into()
        }
        other => fault(
            FaultCode::METHOD_NOT_SUPPORTED,
            format!("{} is not supported", other.name()),
        ),
    }
}

/// The transfer methods, answered from the attached transfer queue (a disabled Download or
/// Upload is left to the 9001 answer).
fn answer_transfer(dev: &mut Device<'_>, request: &Body) -> Option<Body> {
    let (q, now) = dev.transfers.as_mut()?;
    let now = *now;
    let allowed = dev.permissions;
    Some(match request {
        Body::Download(r) if allowed.download => rpc::download(q, r, now),
        Body::ScheduleDownload(r) if allowed.download => rpc::schedule_download(q, r, now),
        Body::Upload(r) if allowed.upload => rpc::upload(q, r, now),
        Body::CancelTransfer(r) => rpc::cancel(q, r),
        Body::GetQueuedTransfers(_) => rpc::get_queued(q),
        Body::GetAllQueuedTransfers(_) => rpc::get_all_queued(q),
        _ => return None,
    })
}

fn fault(code: FaultCode, message: impl Into<String>) -> Body {
    Body::Fault(Fault::new(code, message))
}
