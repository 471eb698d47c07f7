//! Transfers in a session: signed URLs for tasks that name stored files, tasks left
//! `transferring` when the CPE accepts a Download, Upload or ScheduleDownload for later
//! (Status 1, TR-069 §A.4.1.5; ScheduleDownload always, §A.4.1.8), and their TransferComplete
//! (§A.3.3.2), matched to the task by CommandKey, completing or faulting it.

use std::time::Duration;

use cwmp::rpc::{AutonomousTransferComplete, Status, TransferComplete};
use cwmp::{Body, FaultCode};
use serde_json::{Value as Json, json};

use super::{NO_RETRY, Running, Session};
use crate::events::EventKind;
use crate::files::task_urls;
use crate::session::results::merge;
use crate::session::types::SessionError;
use crate::store::{DeviceId, FaultInfo, NewFault, Task, TaskFilter, TaskStatus, Timestamp};
use crate::task::{InvalidTask, TaskSpec};

/// Fault code of a transfer cancelled by a CancelTransfer task.
pub(crate) const CANCELLED: &str = "transfer_cancelled";

/// Fault channel of a failed autonomous transfer; cleared by the next one that succeeds.
pub(crate) const AUTONOMOUS_CHANNEL: &str = "autonomous_transfer";

/// Most transfers of one device looked through for a command key.
const MAX_WAITING: u64 = 1000;

/// A transfer report the CPE sent.
pub(super) enum Report {
    /// The end of a transfer the ACS asked for.
    Complete(TransferComplete),
    /// A transfer the CPE made on its own.
    Autonomous(AutonomousTransferComplete),
}

impl Report {
    /// The report carried by `body`, if any.
    pub(super) fn of(body: &Body) -> Option<Report> {
        match body {
            Body::TransferComplete(t) => Some(Report::Complete(t.clone())),
            Body::AutonomousTransferComplete(t) => Some(Report::Autonomous(t.clone())),
            _ => None,
        }
    }
}

/// The command key of a transfer request, and seconds until its latest start.
fn transfer_request(request: &Body) -> Option<(&str, u32)> {
    match request {
        Body::Download(d) => Some((&d.command_key, d.delay_seconds)),
        Body::Upload(u) => Some((&u.command_key, u.delay_seconds)),
        Body::ScheduleDownload(s) => {
            let end = s.time_window_list.iter().map(|w| w.window_end).max();
            Some((&s.command_key, end.unwrap_or(0)))
        }
        _ => None,
    }
}

impl Session {
    /// `spec` (of `task`) with its file server references turned into signed URLs.
    pub(super) async fn resolve_transfer(
        &self,
        task: &Task,
        spec: TaskSpec,
        now: Timestamp,
    ) -> Result<TaskSpec, InvalidTask> {
        let origin = task_urls::Origin {
            files: self.files.as_deref(),
            reached: self.reached.as_deref(),
            device: &task.device,
        };
        task_urls::resolve(&origin, &task.id, spec, now).await
    }

    /// After the answer to a task's last request: when the CPE took a transfer for later,
    /// the task is left `transferring` (with its command key and deadline) and `true` is
    /// returned; a CancelTransfer faults the task of the cancelled transfer.
    pub(super) async fn transfer_answered(
        &mut self,
        running: &mut Running,
        answer: &Body,
        now: Timestamp,
    ) -> Result<bool, SessionError> {
        let later = match answer {
            Body::DownloadResponse(r) => r.status == Status::Pending,
            Body::UploadResponse(r) => r.status == Status::Pending,
            Body::ScheduleDownloadResponse(_) => true,
            Body::CancelTransferResponse(_) => {
                if let Body::CancelTransfer(c) = &running.request {
                    self.cancel_transfer(&c.command_key).await?;
                }
                return Ok(false);
            }
            _ => false,
        };
        let Some((key, start)) = transfer_request(&running.request).filter(|_| later) else {
            return Ok(false);
        };
        let deadline =
            now.plus(Duration::from_secs(u64::from(start)) + self.config.transfer_timeout);
        merge(
            &mut running.result,
            json!({ "commandKey": key, "transferDeadline": deadline.as_millis() }),
        );
        self.store
            .mark_task_transferring(&running.task.id, running.result.clone())
            .await?;
        Ok(true)
    }

    /// A transfer report of the CPE: the waiting task with its command key completes or
    /// faults (no retry: a new transfer needs a new task).
    pub(super) async fn transfer_reported(
        &mut self,
        report: Report,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        let device = self.device_id()?;
        let tc = match report {
            Report::Complete(tc) => tc,
            Report::Autonomous(a) => return self.autonomous_transfer(&device, a).await,
        };
        let Some(task) = self.waiting_transfer(&device, &tc.command_key).await? else {
            // Presets keep their own downloads (see `transfer_completes`); others are stale
            // or repeated reports.
            tracing::debug!(%device, command_key = tc.command_key, "TransferComplete for no task");
            return Ok(());
        };
        let mut result = task.result.clone().unwrap_or_else(|| json!({}));
        let times = json!({
            "startTime": tc.start_time.to_string(),
            "completeTime": tc.complete_time.to_string(),
            "reported": now.as_millis(),
        });
        merge(&mut result, times.clone());
        match tc.fault_struct.fault_code {
            None => {
                self.store.complete_task(&task.id).await?;
                self.task_done(&task.id, result);
            }
            Some(code) => {
                let mut detail = times;
                merge(
                    &mut detail,
                    json!({ "faultCode": code.value(), "faultString": tc.fault_struct.fault_string }),
                );
                let message = if tc.fault_struct.fault_string.is_empty() {
                    format!("transfer failed with fault {}", code.value())
                } else {
                    tc.fault_struct.fault_string.clone()
                };
                let fault = FaultInfo {
                    code: format!("cwmp.{}", code.value()),
                    message,
                    detail: Some(detail),
                };
                tracing::info!(%device, task = task.id, code = code.value(), "transfer failed");
                self.store
                    .fault_task(&task.id, fault.clone(), NO_RETRY)
                    .await?;
                self.task_faulted(&task.id, fault);
            }
        }
        Ok(())
    }

    /// A transfer the CPE made on its own (AutonomousTransferComplete, TR-069 §A.3.3.3): published
    /// on the event bus; a failed one stays a fault on [`AUTONOMOUS_CHANNEL`] until one succeeds.
    async fn autonomous_transfer(
        &mut self,
        device: &DeviceId,
        a: AutonomousTransferComplete,
    ) -> Result<(), SessionError> {
        let code = a.fault_struct.fault_code.map(FaultCode::value);
        tracing::info!(
            %device,
            download = a.is_download,
            file_type = a.file_type,
            url = a.transfer_url,
            fault = code.unwrap_or(0),
            "autonomous transfer reported"
        );
        let fault = code.map(|code| FaultInfo {
            code: format!("cwmp.{code}"),
            message: if a.fault_struct.fault_string.is_empty() {
                format!("autonomous transfer failed with fault {code}")
            } else {
                a.fault_struct.fault_string.clone()
            },
            detail: Some(json!({
                "download": a.is_download,
                "fileType": a.file_type,
                "url": a.transfer_url,
                "startTime": a.start_time.to_string(),
                "completeTime": a.complete_time.to_string(),
            })),
        });
        match &fault {
            Some(f) => {
                self.store
                    .record_fault(NewFault {
                        device: device.clone(),
                        channel: AUTONOMOUS_CHANNEL.into(),
                        fault: f.clone(),
                    })
                    .await?;
            }
            None => {
                self.store.delete_fault(device, AUTONOMOUS_CHANNEL).await?;
            }
        }
        self.bus.publish(
            device,
            EventKind::AutonomousTransfer {
                download: a.is_download,
                file_type: a.file_type,
                url: a.transfer_url,
                fault,
            },
        );
        Ok(())
    }

    /// Faults the task waiting for the transfer `key`, cancelled at the ACS's request.
    async fn cancel_transfer(&mut self, key: &str) -> Result<(), SessionError> {
        let device = self.device_id()?;
        if let Some(task) = self.waiting_transfer(&device, key).await? {
            let fault = FaultInfo {
                code: CANCELLED.into(),
                message: format!("transfer {key} cancelled"),
                detail: None,
            };
            self.store
                .fault_task(&task.id, fault.clone(), NO_RETRY)
                .await?;
            self.task_faulted(&task.id, fault);
        }
        Ok(())
    }

    /// The device's task waiting for the transfer with command key `key`.
    async fn waiting_transfer(
        &self,
        device: &DeviceId,
        key: &str,
    ) -> Result<Option<Task>, SessionError> {
        let filter = TaskFilter {
            device: Some(device.clone()),
            status: Some(TaskStatus::Transferring),
            limit: Some(MAX_WAITING),
            ..TaskFilter::default()
        };
        let tasks = self.store.list_tasks(&filter).await?;
        Ok(tasks.into_iter().find(|t| {
            t.result
                .as_ref()
                .and_then(|r| r.get("commandKey"))
                .and_then(Json::as_str)
                == Some(key)
        }))
    }
}
