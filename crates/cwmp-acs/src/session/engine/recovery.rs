//! Tasks whose last session ended while they ran (connection lost, timeout, server killed):
//! settled from what the Inform reports ([`crate::task::keys`]) instead of being sent again,
//! and faulted with back-off when their sessions keep ending before the answer.

use serde_json::json;

use super::{NO_RETRY, Session};
use crate::session::types::SessionError;
use crate::store::{DeviceId, FaultInfo, Task, Timestamp};
use crate::task::keys::{Evidence, Verdict, verdict};

/// Interrupted sessions a task may have before it is faulted (with the retry policy's
/// back-off) rather than sent again; after each such fault it gets one more try.
pub const MAX_INTERRUPTED: u32 = 3;

/// Fault code of a task faulted for its interrupted sessions.
pub const INTERRUPTED: &str = "session_interrupted";

impl Session {
    /// The due tasks that still have to run: interrupted ones that the Inform proves done
    /// are completed, a transfer it proves accepted waits for its TransferComplete, and one
    /// interrupted too often is faulted.
    pub(super) async fn recover(
        &mut self,
        device: &DeviceId,
        due: Vec<Task>,
        evidence: &Evidence,
        now: Timestamp,
    ) -> Result<Vec<Task>, SessionError> {
        let mut keep = Vec::with_capacity(due.len());
        for task in due {
            if task.interrupted == 0 {
                keep.push(task);
                continue;
            }
            let Ok(spec) = task.spec() else {
                keep.push(task);
                continue;
            };
            match verdict(&spec, &task.id, evidence) {
                Verdict::Done(proof) => {
                    tracing::info!(%device, task = task.id, proof, "interrupted task found done: not sent again");
                    self.store.complete_task(&task.id).await?;
                    self.task_done(&task.id, json!({ "recovered": proof }));
                }
                Verdict::Transferring(key) => {
                    tracing::info!(%device, task = task.id, command_key = key, "interrupted transfer was accepted: waiting for its TransferComplete");
                    let deadline = now.plus(self.config.transfer_timeout);
                    let result =
                        json!({ "commandKey": key, "transferDeadline": deadline.as_millis() });
                    self.store.mark_task_transferring(&task.id, result).await?;
                }
                Verdict::Added => {
                    let fault = FaultInfo {
                        code: INTERRUPTED.into(),
                        message: "the session ended after AddObject: the instance exists, its \
                                  values were not set"
                            .into(),
                        detail: None,
                    };
                    self.store
                        .fault_task(&task.id, fault.clone(), NO_RETRY)
                        .await?;
                    self.task_faulted(&task.id, fault);
                }
                Verdict::Unknown if task.interrupted >= MAX_INTERRUPTED + task.attempts => {
                    let fault = FaultInfo {
                        code: INTERRUPTED.into(),
                        message: format!(
                            "{} sessions ended while this task ran, before the CPE answered",
                            task.interrupted
                        ),
                        detail: Some(json!({ "interrupted": task.interrupted })),
                    };
                    tracing::warn!(%device, task = task.id, interrupted = task.interrupted, "task faulted: its sessions keep ending while it runs");
                    self.store
                        .fault_task(&task.id, fault.clone(), self.config.retry)
                        .await?;
                    self.task_faulted(&task.id, fault);
                }
                Verdict::Unknown => keep.push(task),
            }
        }
        Ok(keep)
    }
}
