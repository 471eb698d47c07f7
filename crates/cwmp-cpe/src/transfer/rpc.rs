//! The transfer methods the ACS calls inside a session, answered from the [`TransferQueue`]:
//! Download (§A.3.2.8), Upload (§A.4.1.5), GetQueuedTransfers (§A.4.1.1),
//! GetAllQueuedTransfers (§A.4.1.7), ScheduleDownload (§A.4.1.8) and CancelTransfer
//! (§A.4.1.9). Accepted transfers run after the session; the answers say `Status 1`.

use cwmp::rpc::{
    CancelTransfer, CancelTransferResponse, Download, DownloadResponse,
    GetAllQueuedTransfersResponse, GetQueuedTransfersResponse, ScheduleDownload,
    ScheduleDownloadResponse, Status, TimeWindowStruct, Upload, UploadResponse,
};
use cwmp::{Body, DateTime, Fault, FaultCode};

use super::queue::{Kind, Phase, Transfer, TransferQueue, Window};

/// The download FileTypes this agent handles (plus vendor `X …` types).
pub const DOWNLOAD_TYPES: &[&str] = &[
    FIRMWARE,
    "2 Web Content",
    CONFIG_FILE,
    "4 Tone File",
    "5 Ringer File",
];
/// The upload FileTypes this agent handles (plus vendor `X …` types).
pub const UPLOAD_TYPES: &[&str] = &[CONFIG_FILE, LOG_FILE];
/// `1 Firmware Upgrade Image`.
pub const FIRMWARE: &str = "1 Firmware Upgrade Image";
/// `3 Vendor Configuration File` (download) / `1 Vendor Configuration File` (upload).
pub const CONFIG_FILE: &str = "3 Vendor Configuration File";
/// `1 Vendor Configuration File` as an upload FileType.
pub const UPLOAD_CONFIG_FILE: &str = "1 Vendor Configuration File";
/// `2 Vendor Log File`.
pub const LOG_FILE: &str = "2 Vendor Log File";

/// Why a request is refused: the fault to answer.
struct Refusal(FaultCode, String);

impl From<Refusal> for Body {
    fn from(r: Refusal) -> Body {
        Body::Fault(Fault::new(r.0, r.1))
    }
}

fn fault(code: FaultCode, message: impl Into<String>) -> Refusal {
    Refusal(code, message.into())
}

fn is_vendor(file_type: &str) -> bool {
    file_type.starts_with("X ")
}

/// A fault if `url` is not HTTP(S): 9013 for another scheme, 9003 for no scheme.
fn check_url(url: &str) -> Result<(), Refusal> {
    let Some((scheme, _)) = url.split_once("://") else {
        return Err(fault(
            FaultCode::INVALID_ARGUMENTS,
            format!("URL {url:?} is not absolute"),
        ));
    };
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        Ok(())
    } else {
        Err(fault(
            FaultCode::UNSUPPORTED_FILE_TRANSFER_PROTOCOL,
            format!("{scheme} is not supported, only http and https"),
        ))
    }
}

fn queue(q: &mut TransferQueue, transfer: Transfer) -> Result<(), Refusal> {
    if q.is_full() {
        return Err(fault(
            FaultCode::RESOURCES_EXCEEDED,
            "the transfer queue is full",
        ));
    }
    q.push(transfer).map(|_| ()).map_err(|e| {
        tracing::error!("saving the transfer queue: {e}");
        fault(FaultCode::INTERNAL_ERROR, "cannot save the transfer queue")
    })
}

fn download_type_ok(file_type: &str) -> Result<(), Refusal> {
    if DOWNLOAD_TYPES.contains(&file_type) || is_vendor(file_type) {
        Ok(())
    } else {
        Err(fault(
            FaultCode::INVALID_ARGUMENTS,
            format!("FileType {file_type:?} is not supported for download"),
        ))
    }
}

/// Queues a Download to start `DelaySeconds` after `now`.
pub fn download(q: &mut TransferQueue, r: &Download, now: i64) -> Body {
    let accepted = download_type_ok(&r.file_type)
        .and_then(|()| check_url(&r.url))
        .and_then(|()| {
            queue(
                q,
                Transfer {
                    id: 0,
                    kind: Kind::Download,
                    command_key: r.command_key.clone(),
                    file_type: r.file_type.clone(),
                    url: r.url.clone(),
                    username: r.username.clone(),
                    password: r.password.clone(),
                    file_size: r.file_size,
                    target_file_name: r.target_file_name.clone(),
                    not_before: now.saturating_add(i64::from(r.delay_seconds)),
                    windows: Vec::new(),
                    phase: Phase::Queued,
                },
            )
        });
    match accepted {
        Ok(()) => DownloadResponse {
            status: Status::Pending,
            start_time: DateTime::UNKNOWN,
            complete_time: DateTime::UNKNOWN,
        }
        .into(),
        Err(refusal) => refusal.into(),
    }
}

/// Queues an Upload to start `DelaySeconds` after `now`.
pub fn upload(q: &mut TransferQueue, r: &Upload, now: i64) -> Body {
    let type_ok =
        [UPLOAD_CONFIG_FILE, LOG_FILE].contains(&r.file_type.as_str()) || is_vendor(&r.file_type);
    let accepted = if type_ok {
        Ok(())
    } else {
        Err(fault(
            FaultCode::INVALID_ARGUMENTS,
            format!("FileType {:?} is not supported for upload", r.file_type),
        ))
    };
    let accepted = accepted.and_then(|()| check_url(&r.url)).and_then(|()| {
        queue(
            q,
            Transfer {
                id: 0,
                kind: Kind::Upload,
                command_key: r.command_key.clone(),
                file_type: r.file_type.clone(),
                url: r.url.clone(),
                username: r.username.clone(),
                password: r.password.clone(),
                file_size: 0,
                target_file_name: String::new(),
                not_before: now.saturating_add(i64::from(r.delay_seconds)),
                windows: Vec::new(),
                phase: Phase::Queued,
            },
        )
    });
    match accepted {
        Ok(()) => UploadResponse {
            status: Status::Pending,
            start_time: DateTime::UNKNOWN,
            complete_time: DateTime::UNKNOWN,
        }
        .into(),
        Err(refusal) => refusal.into(),
    }
}

/// The windows this agent can honour, in absolute time: `1 At Any Time`, `2 Immediately` and
/// `3 When Idle` (the agent is idle between sessions) run at the window's start; `4
/// Confirmation Needed` and vendor modes are skipped (there is no user to confirm).
/// Overlapping, unordered or inverted windows are refused (§A.4.1.8).
fn windows(list: &[TimeWindowStruct], now: i64) -> Result<Vec<Window>, Refusal> {
    let mut out = Vec::new();
    let mut previous_end: Option<u32> = None;
    for w in list {
        if w.window_end < w.window_start {
            return Err(fault(
                FaultCode::INVALID_ARGUMENTS,
                "a TimeWindow ends before it starts",
            ));
        }
        if previous_end.is_some_and(|end| w.window_start < end) {
            return Err(fault(
                FaultCode::INVALID_ARGUMENTS,
                "TimeWindows overlap or are out of order",
            ));
        }
        previous_end = Some(w.window_end);
        let honoured = [
            TimeWindowStruct::AT_ANY_TIME,
            TimeWindowStruct::IMMEDIATELY,
            TimeWindowStruct::WHEN_IDLE,
        ]
        .contains(&w.window_mode.as_str());
        if honoured {
            out.push(Window {
                start: now.saturating_add(i64::from(w.window_start)),
                end: now.saturating_add(i64::from(w.window_end)),
            });
        }
    }
    if out.is_empty() {
        return Err(fault(
            FaultCode::INVALID_ARGUMENTS,
            "no TimeWindow can be honoured: this device cannot ask a user for confirmation",
        ));
    }
    Ok(out)
}

/// Queues a ScheduleDownload to run inside the first window it can honour.
pub fn schedule_download(q: &mut TransferQueue, r: &ScheduleDownload, now: i64) -> Body {
    let accepted = download_type_ok(&r.file_type)
        .and_then(|()| check_url(&r.url))
        .and_then(|()| windows(&r.time_window_list, now))
        .and_then(|windows| {
            queue(
                q,
                Transfer {
                    id: 0,
                    kind: Kind::ScheduleDownload,
                    command_key: r.command_key.clone(),
                    file_type: r.file_type.clone(),
                    url: r.url.clone(),
                    username: r.username.clone(),
                    password: r.password.clone(),
                    file_size: r.file_size,
                    target_file_name: r.target_file_name.clone(),
                    not_before: windows.first().map_or(now, |w| w.start),
                    windows,
                    phase: Phase::Queued,
                },
            )
        });
    match accepted {
        Ok(()) => ScheduleDownloadResponse {}.into(),
        Err(refusal) => refusal.into(),
    }
}

/// Cancels the not-started transfers with this CommandKey; 9021 if they all started, 9003
/// if there is none.
pub fn cancel(q: &mut TransferQueue, r: &CancelTransfer) -> Body {
    let matching: Vec<(u64, bool)> = q
        .transfers()
        .iter()
        .filter(|t| t.command_key == r.command_key)
        .map(|t| (t.id, t.phase == Phase::Queued))
        .collect();
    if matching.is_empty() {
        return Body::from(fault(
            FaultCode::INVALID_ARGUMENTS,
            format!("no transfer with CommandKey {:?}", r.command_key),
        ));
    }
    if !matching.iter().any(|&(_, queued)| queued) {
        return fault(
            FaultCode::CANCELATION_NOT_PERMITTED,
            "the transfer has already started or completed",
        )
        .into();
    }
    for (id, _) in matching.into_iter().filter(|&(_, queued)| queued) {
        if let Err(e) = q.remove(id) {
            tracing::error!("saving the transfer queue: {e}");
            return fault(FaultCode::INTERNAL_ERROR, "cannot save the transfer queue").into();
        }
    }
    CancelTransferResponse {}.into()
}

/// GetQueuedTransfersResponse: every transfer the ACS asked for.
pub fn get_queued(q: &TransferQueue) -> Body {
    GetQueuedTransfersResponse {
        transfer_list: q.transfers().iter().map(Transfer::queued_struct).collect(),
    }
    .into()
}

/// GetAllQueuedTransfersResponse (this agent makes no autonomous transfers).
pub fn get_all_queued(q: &TransferQueue) -> Body {
    GetAllQueuedTransfersResponse {
        transfer_list: q
            .transfers()
            .iter()
            .map(Transfer::all_queued_struct)
            .collect(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cwmp::rpc::TransferState;

    fn dl(key: &str, url: &str, file_type: &str) -> Download {
        Download {
            command_key: key.into(),
            file_type: file_type.into(),
            url: url.into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 5,
            success_url: String::new(),
            failure_url: String::new(),
        }
    }

    fn code(b: &Body) -> Option<u32> {
        match b {
            Body::Fault(f) => f.code().map(FaultCode::value),
            _ => None,
        }
    }

    #[test]
    fn download_queue_cancel() {
        let mut q = TransferQueue::in_memory();
        let ok = download(&mut q, &dl("a", "http://h/f", FIRMWARE), 100);
        assert!(matches!(ok, Body::DownloadResponse(ref r) if r.status == Status::Pending));
        assert_eq!(q.transfers()[0].not_before, 105);
        assert_eq!(
            code(&download(&mut q, &dl("b", "ftp://h/f", FIRMWARE), 0)),
            Some(9013)
        );
        assert_eq!(
            code(&download(&mut q, &dl("b", "http://h/f", "9 X"), 0)),
            Some(9003)
        );
        assert!(!matches!(
            download(&mut q, &dl("v", "https://h/f", "X 00D09E Blob"), 0),
            Body::Fault(_)
        ));
        let Body::GetQueuedTransfersResponse(r) = get_queued(&q) else {
            panic!("a list");
        };
        assert_eq!(r.transfer_list.len(), 2);
        assert_eq!(r.transfer_list[0].state, TransferState::NotStarted);
        let id = q.transfers()[1].id;
        q.set_phase(id, Phase::InProgress).expect("mem");
        let c = |k: &str| CancelTransfer {
            command_key: k.into(),
        };
        assert_eq!(code(&cancel(&mut q, &c("v"))), Some(9021));
        assert_eq!(code(&cancel(&mut q, &c("none"))), Some(9003));
        assert!(matches!(
            cancel(&mut q, &c("a")),
            Body::CancelTransferResponse(_)
        ));
        assert_eq!(q.transfers().len(), 1);
        for _ in 0..15 {
            download(&mut q, &dl("f", "http://h/f", FIRMWARE), 0);
        }
        assert_eq!(
            code(&download(&mut q, &dl("g", "http://h/f", FIRMWARE), 0)),
            Some(9004)
        );
    }

    #[test]
    fn schedule_windows() {
        let w = |start, end, mode: &str| TimeWindowStruct {
            window_start: start,
            window_end: end,
            window_mode: mode.into(),
            user_message: String::new(),
            max_retries: -1,
        };
        let sd = |list| ScheduleDownload {
            command_key: "s".into(),
            file_type: FIRMWARE.into(),
            url: "http://h/f".into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            time_window_list: list,
        };
        let mut q = TransferQueue::in_memory();
        let only_confirm = sd(vec![w(10, 20, TimeWindowStruct::CONFIRMATION_NEEDED)]);
        assert_eq!(
            code(&schedule_download(&mut q, &only_confirm, 0)),
            Some(9003)
        );
        let inverted = sd(vec![w(20, 10, TimeWindowStruct::AT_ANY_TIME)]);
        assert_eq!(code(&schedule_download(&mut q, &inverted, 0)), Some(9003));
        let overlap = sd(vec![
            w(10, 30, TimeWindowStruct::AT_ANY_TIME),
            w(20, 40, TimeWindowStruct::AT_ANY_TIME),
        ]);
        assert_eq!(code(&schedule_download(&mut q, &overlap, 0)), Some(9003));
        let two = sd(vec![
            w(10, 20, TimeWindowStruct::CONFIRMATION_NEEDED),
            w(30, 40, TimeWindowStruct::WHEN_IDLE),
        ]);
        assert!(matches!(
            schedule_download(&mut q, &two, 1000),
            Body::ScheduleDownloadResponse(_)
        ));
        let t = &q.transfers()[0];
        assert_eq!((t.not_before, t.windows.len()), (1030, 1));
    }
}
