//! The persistent transfer queue: every Download, ScheduleDownload and Upload the ACS asked
//! for, from acceptance until its TransferComplete is acknowledged (TR-069 §A.3.3.2), kept in a
//! JSON file saved atomically (write-then-rename) after each change.

use std::io;
use std::path::{Path, PathBuf};

use cwmp::rpc::{
    AllQueuedTransferStruct, QueuedTransferStruct, TransferComplete, TransferCompleteFaultStruct,
    TransferState,
};
use cwmp::{DateTime, FaultCode};
use cwmp_datamodel::store::{StoreError, save_with};
use serde::{Deserialize, Serialize};

/// The queue file in the state dir.
pub const FILE_NAME: &str = "transfers.json";
/// Most transfers held at once (`TransferList` has at most 16 entries); more get fault 9004.
pub const MAX_TRANSFERS: usize = 16;
/// Longest FaultString of a TransferComplete (schema `maxLength`).
const MAX_FAULT_STRING: usize = 256;

/// Format version written in the queue file.
const FORMAT: u32 = 1;

/// Which ACS method asked for the transfer (it names the `M` event of its TransferComplete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// `Download` (`M Download`).
    Download,
    /// `ScheduleDownload` (`M ScheduleDownload`).
    ScheduleDownload,
    /// `Upload` (`M Upload`).
    Upload,
}

impl Kind {
    /// True for a download (Download or ScheduleDownload).
    pub fn is_download(self) -> bool {
        self != Kind::Upload
    }
}

/// A time window of a ScheduleDownload, in absolute Unix seconds (TR-069 §A.4.1.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First second the transfer may start.
    pub start: i64,
    /// Last second it may run.
    pub end: i64,
}

/// How a transfer ended: what its TransferComplete says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// 0 for success, else the TransferComplete fault code (9010-9020).
    pub fault_code: u32,
    /// Why it failed (empty on success).
    pub fault_string: String,
    /// When it started (Unix seconds).
    pub start: i64,
    /// When it completed (Unix seconds).
    pub complete: i64,
}

impl Outcome {
    /// A success.
    pub fn success(start: i64, complete: i64) -> Outcome {
        Outcome {
            fault_code: 0,
            fault_string: String::new(),
            start,
            complete,
        }
    }

    /// A failure with `code` and a message (cut to the schema's 256 characters).
    pub fn failure(code: FaultCode, message: &str, start: i64, complete: i64) -> Outcome {
        Outcome {
            fault_code: code.value(),
            fault_string: message.chars().take(MAX_FAULT_STRING).collect(),
            start,
            complete,
        }
    }
}

/// Where a transfer stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Accepted, not yet started (`State 1`).
    Queued,
    /// Running (`State 2`); found at start-up, it was cut by a crash and runs again.
    InProgress,
    /// Done; the TransferComplete waits for the ACS (`State 3`). `raised`: its `7 TRANSFER
    /// COMPLETE` and `M` events are in the event queue (a crash between the two saves is
    /// repaired at start-up).
    Completed {
        /// The result reported.
        outcome: Outcome,
        /// The events were raised.
        raised: bool,
    },
}

/// One transfer the ACS asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Unique within the queue (CommandKeys need not be).
    pub id: u64,
    /// The method that asked for it.
    pub kind: Kind,
    /// Echoed in TransferComplete.
    pub command_key: String,
    /// `1 Firmware Upgrade Image`, `1 Vendor Configuration File`, `X …`.
    pub file_type: String,
    /// Where to get it from or put it.
    pub url: String,
    /// For the file server.
    pub username: String,
    /// For the file server (kept in the state dir, like the ACS password in the tree).
    pub password: String,
    /// Announced size (0: unknown).
    pub file_size: u32,
    /// Name to store a download under (may be empty).
    pub target_file_name: String,
    /// Not before this Unix second (DelaySeconds, or the first window).
    pub not_before: i64,
    /// ScheduleDownload windows (empty: no window).
    pub windows: Vec<Window>,
    /// Where it stands.
    pub phase: Phase,
}

impl Transfer {
    /// The `TransferState` of GetQueuedTransfers.
    pub fn state(&self) -> TransferState {
        match self.phase {
            Phase::Queued => TransferState::NotStarted,
            Phase::InProgress => TransferState::InProgress,
            Phase::Completed { .. } => TransferState::Completed,
        }
    }

    /// Its entry in a GetQueuedTransfersResponse.
    pub fn queued_struct(&self) -> QueuedTransferStruct {
        QueuedTransferStruct {
            command_key: self.command_key.clone(),
            state: self.state(),
        }
    }

    /// Its entry in a GetAllQueuedTransfersResponse.
    pub fn all_queued_struct(&self) -> AllQueuedTransferStruct {
        AllQueuedTransferStruct {
            command_key: self.command_key.clone(),
            state: self.state(),
            is_download: self.kind.is_download(),
            file_type: self.file_type.clone(),
            file_size: self.file_size,
            target_file_name: self.target_file_name.clone(),
        }
    }

    /// The TransferComplete of a completed transfer.
    pub fn transfer_complete(&self) -> Option<TransferComplete> {
        let Phase::Completed { outcome, .. } = &self.phase else {
            return None;
        };
        let time = |t: i64| DateTime::from_unix(t, 0).unwrap_or(DateTime::UNKNOWN);
        let fault_struct = match FaultCode::from_transfer_complete(outcome.fault_code) {
            Ok(Some(code)) => TransferCompleteFaultStruct::fault(code, &outcome.fault_string),
            _ => TransferCompleteFaultStruct::success(),
        };
        Some(TransferComplete {
            command_key: self.command_key.clone(),
            fault_struct,
            start_time: time(outcome.start),
            complete_time: time(outcome.complete),
        })
    }

    /// One line for `show status`.
    pub fn summary(&self) -> String {
        let state = match &self.phase {
            Phase::Queued => "not started".to_owned(),
            Phase::InProgress => "in progress".to_owned(),
            Phase::Completed { outcome, .. } if outcome.fault_code == 0 => {
                "completed, report pending".to_owned()
            }
            Phase::Completed { outcome, .. } => {
                format!("failed {}, report pending", outcome.fault_code)
            }
        };
        format!(
            "{} {:?} [{}] {} ({state})",
            if self.kind.is_download() {
                "download"
            } else {
                "upload"
            },
            self.command_key,
            self.file_type,
            self.url
        )
    }
}

/// A firmware install that waits for a session with the ACS to be confirmed; without one
/// before `deadline` it is rolled back (`backup --delay-time`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeWatch {
    /// The transfer that installed the image (its TransferComplete reports a rollback).
    pub transfer_id: u64,
    /// Its method (for a new report if its success was acknowledged already).
    pub kind: Kind,
    /// Its CommandKey.
    pub command_key: String,
    /// The SoftwareVersion before the install.
    pub previous_version: String,
    /// The image installed before, kept in the state dir (none on the first install).
    pub backup: Option<PathBuf>,
    /// Unix second by which a session must succeed; set when the agent comes back up.
    pub deadline: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    next_id: u64,
    transfers: Vec<Transfer>,
    upgrade: Option<UpgradeWatch>,
}

/// The queue, persisted after every change when opened on a file.
#[derive(Debug, Default)]
pub struct TransferQueue {
    transfers: Vec<Transfer>,
    next_id: u64,
    upgrade: Option<UpgradeWatch>,
    path: Option<PathBuf>,
}

impl TransferQueue {
    /// A queue kept only in memory (tests).
    pub fn in_memory() -> TransferQueue {
        TransferQueue::default()
    }

    /// Opens the queue saved at `path` (missing: empty). A transfer found in progress was cut
    /// by a crash: it goes back to not started, to run again.
    pub fn open(path: &Path) -> Result<TransferQueue, StoreError> {
        let corrupt = |message: String| StoreError::Corrupt {
            path: path.to_owned(),
            message,
        };
        let mut q = TransferQueue {
            path: Some(path.to_owned()),
            ..TransferQueue::default()
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let saved: Saved =
                    serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
                if saved.format != FORMAT {
                    return Err(corrupt(format!("unknown format {}", saved.format)));
                }
                q.transfers = saved.transfers;
                q.next_id = saved.next_id;
                q.upgrade = saved.upgrade;
                let mut cut = false;
                for t in &mut q.transfers {
                    if t.phase == Phase::InProgress {
                        t.phase = Phase::Queued;
                        cut = true;
                    }
                }
                if cut {
                    q.save()?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        }
        Ok(q)
    }

    /// The transfers, oldest first.
    pub fn transfers(&self) -> &[Transfer] {
        &self.transfers
    }

    /// The transfer with this id.
    pub fn get(&self, id: u64) -> Option<&Transfer> {
        self.transfers.iter().find(|t| t.id == id)
    }

    /// True when [`MAX_TRANSFERS`] are held.
    pub fn is_full(&self) -> bool {
        self.transfers.len() >= MAX_TRANSFERS
    }

    /// Adds a transfer (its `id` is assigned here) and saves; returns the id.
    pub fn push(&mut self, mut transfer: Transfer) -> Result<u64, StoreError> {
        self.next_id += 1;
        transfer.id = self.next_id;
        self.transfers.push(transfer);
        self.save()?;
        Ok(self.next_id)
    }

    /// Changes the phase of a transfer and saves.
    pub fn set_phase(&mut self, id: u64, phase: Phase) -> Result<(), StoreError> {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.phase = phase;
        }
        self.save()
    }

    /// Moves a not-started transfer's start to `not_before` (its next window) and saves.
    pub fn reschedule(&mut self, id: u64, not_before: i64) -> Result<(), StoreError> {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.not_before = not_before;
        }
        self.save()
    }

    /// Removes a transfer and saves.
    pub fn remove(&mut self, id: u64) -> Result<Option<Transfer>, StoreError> {
        let at = self.transfers.iter().position(|t| t.id == id);
        let removed = at.map(|i| self.transfers.remove(i));
        self.save()?;
        Ok(removed)
    }

    /// Forgets every transfer and the upgrade watch (factory reset) and saves.
    pub fn clear(&mut self) -> Result<(), StoreError> {
        self.transfers.clear();
        self.upgrade = None;
        self.save()
    }

    /// The firmware install waiting for confirmation, if any.
    pub fn upgrade(&self) -> Option<&UpgradeWatch> {
        self.upgrade.as_ref()
    }

    /// Sets or clears the firmware install watch and saves.
    pub fn set_upgrade(&mut self, watch: Option<UpgradeWatch>) -> Result<(), StoreError> {
        self.upgrade = watch;
        self.save()
    }

    fn save(&self) -> Result<(), StoreError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let saved = Saved {
            format: FORMAT,
            next_id: self.next_id,
            transfers: self.transfers.clone(),
            upgrade: self.upgrade.clone(),
        };
        let bytes = serde_json::to_vec(&saved).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        save_with(path, &bytes, &mut |_| Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(key: &str) -> Transfer {
        Transfer {
            id: 0,
            kind: Kind::Download,
            command_key: key.into(),
            file_type: "2 Web Content".into(),
            url: "http://h/f".into(),
            username: String::new(),
            password: String::new(),
            file_size: 3,
            target_file_name: String::new(),
            not_before: 0,
            windows: Vec::new(),
            phase: Phase::Queued,
        }
    }

    #[test]
    fn persists_and_resumes_a_cut_transfer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let mut q = TransferQueue::open(&path).expect("open");
        let a = q.push(transfer("a")).expect("push");
        let b = q.push(transfer("b")).expect("push");
        assert_ne!(a, b);
        q.set_phase(a, Phase::InProgress).expect("save");
        q.set_phase(
            b,
            Phase::Completed {
                outcome: Outcome::failure(FaultCode::FILE_TRANSFER_FAILURE, "x", 1, 2),
                raised: false,
            },
        )
        .expect("save");
        let q = TransferQueue::open(&path).expect("reopen");
        assert_eq!(q.get(a).map(|t| t.state()), Some(TransferState::NotStarted));
        let tc = q.get(b).and_then(Transfer::transfer_complete).expect("tc");
        assert_eq!(
            tc.fault_struct.fault_code,
            Some(FaultCode::FILE_TRANSFER_FAILURE)
        );
        assert_eq!(tc.command_key, "b");
        let mut q = q;
        q.clear().expect("factory reset");
        assert!(
            TransferQueue::open(&path)
                .expect("reopen")
                .transfers()
                .is_empty()
        );
        std::fs::write(&path, b"{").expect("write");
        assert!(TransferQueue::open(&path).is_err());
    }

    #[test]
    fn fault_string_is_bounded() {
        let long = "x".repeat(1000);
        let o = Outcome::failure(FaultCode::FILE_TRANSFER_FAILURE, &long, 0, 0);
        assert_eq!(o.fault_string.len(), MAX_FAULT_STRING);
    }
}
