//! The persistent event queue of TR-069 §3.7.1.5 (Table 7 and the rules after it).
//!
//! Every undelivered event is kept in a JSON file saved atomically after each change, so a
//! crash or power cut loses nothing. What leaves the queue and when:
//!
//! | event | leaves with | also discarded by |
//! |---|---|---|
//! | `0 BOOTSTRAP` | InformResponse | never |
//! | `1 BOOT`, `4 VALUE CHANGE`, `8 DIAGNOSTICS COMPLETE` | InformResponse | reboot (and `4` an ACS URL change) |
//! | `2 PERIODIC`, `3 SCHEDULED`, `M Reboot`, `M ScheduleInform`, others | InformResponse | a new `0 BOOTSTRAP` |
//! | `6 CONNECTION REQUEST` | InformResponse | a failed session (it is never retried), reboot |
//! | `7`, `10`, `M Download`, `M Upload`, `M ScheduleDownload` | TransferCompleteResponse | a new `0 BOOTSTRAP` |
//! | `11`, `12`, `M ChangeDUState` | DUStateChangeCompleteResponse | a new `0 BOOTSTRAP` |
//!
//! Raising `0 BOOTSTRAP` (first contact, factory reset, ACS URL change) discards every other
//! undelivered event: they were meant for the previous ACS or configuration.

use std::io;
use std::path::{Path, PathBuf};

use cwmp::EventCode;
use cwmp::event::MethodEvent;
use cwmp::rpc::EventStruct;
use cwmp_datamodel::store::{SaveStep, StoreError, save_with};
use serde::{Deserialize, Serialize};

/// Most events one Inform may carry (`Event` array, `maxOccurs` 64 in the CWMP schema).
pub const MAX_INFORM_EVENTS: usize = 64;

/// Format version written in the queue file.
const FORMAT: u32 = 1;

/// Event-queue failure.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Saving the queue failed; the in-memory queue has the change anyway.
    #[error("saving the event queue: {0}")]
    Store(#[from] StoreError),
    /// The event code may not be sent (it does not match the schema's `EventCodeType`).
    #[error("event code {0:?} is not a valid CWMP event code")]
    InvalidCode(String),
}

/// One queued event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEvent {
    /// The event code.
    pub code: EventCode,
    /// The CommandKey (`M` events), else empty.
    pub command_key: String,
    /// Whether it is in the Inform of the current session (not yet acknowledged).
    pub sent: bool,
}

/// Which response removes an event from the queue (`…Response` of that RPC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeavesWith {
    Inform,
    TransferComplete,
    DuStateChangeComplete,
}

fn leaves_with(code: &EventCode) -> LeavesWith {
    use EventCode as E;
    match code {
        E::TransferComplete
        | E::AutonomousTransferComplete
        | E::Method(MethodEvent::Download | MethodEvent::Upload | MethodEvent::ScheduleDownload) => {
            LeavesWith::TransferComplete
        }
        E::DuStateChangeComplete
        | E::AutonomousDuStateChangeComplete
        | E::Method(MethodEvent::ChangeDuState) => LeavesWith::DuStateChangeComplete,
        _ => LeavesWith::Inform,
    }
}

/// True for the `M` events a TransferComplete answers.
fn is_transfer_method(code: &EventCode) -> bool {
    matches!(
        code,
        EventCode::Method(
            MethodEvent::Download | MethodEvent::Upload | MethodEvent::ScheduleDownload
        )
    )
}

#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    events: Vec<QueuedEvent>,
}

/// The agent's undelivered events, persisted after every change when opened on a file.
#[derive(Debug)]
pub struct EventQueue {
    events: Vec<QueuedEvent>,
    path: Option<PathBuf>,
    #[cfg(test)]
    crash_at: Option<SaveStep>,
}

impl EventQueue {
    /// A queue kept only in memory (the simulator, tests).
    pub fn in_memory() -> Self {
        EventQueue {
            events: Vec::new(),
            path: None,
            #[cfg(test)]
            crash_at: None,
        }
    }

    /// Opens the queue saved at `path`. A missing file is first contact: the queue starts
    /// with `0 BOOTSTRAP` (§3.7.1.5). A session cut by a crash counts as failed.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        let mut q = EventQueue {
            path: Some(path.to_owned()),
            ..Self::in_memory()
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let saved: Saved = serde_json::from_slice(&bytes).map_err(|e| {
                    QueueError::Store(StoreError::Corrupt {
                        path: path.to_owned(),
                        message: e.to_string(),
                    })
                })?;
                if saved.format != FORMAT {
                    return Err(QueueError::Store(StoreError::Corrupt {
                        path: path.to_owned(),
                        message: format!("unknown format {}", saved.format),
                    }));
                }
                q.events = saved.events;
                if q.events.iter().any(|e| e.sent) {
                    q.session_failed()?;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => q.raise(EventCode::Bootstrap, "")?,
            Err(source) => {
                return Err(QueueError::Store(StoreError::Io {
                    path: path.to_owned(),
                    source,
                }));
            }
        }
        Ok(q)
    }

    /// The queued events, oldest first.
    pub fn events(&self) -> &[QueuedEvent] {
        &self.events
    }

    /// True when nothing is waiting to be delivered.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// True if `code` is queued.
    pub fn contains(&self, code: &EventCode) -> bool {
        self.events.iter().any(|e| &e.code == code)
    }

    /// Queues an event. Single codes (Table 7 "cumulative behaviour") merge with an
    /// undelivered one not yet in flight; `M` events are kept one per call with their
    /// CommandKey; `X` vendor events merge only with an identical unsent one.
    pub fn raise(&mut self, code: EventCode, command_key: &str) -> Result<(), QueueError> {
        if !code.is_schema_valid() {
            return Err(QueueError::InvalidCode(code.to_string()));
        }
        let command_key = if code.is_method_event() {
            command_key.to_owned()
        } else {
            String::new()
        };
        if code == EventCode::Bootstrap {
            // §3.7.1.5: a BOOTSTRAP discards every undelivered event, including the
            // ones that wait for a TransferCompleteResponse.
            self.events.retain(|e| e.code == EventCode::Bootstrap);
        }
        let merges = !code.is_method_event()
            && self
                .events
                .iter()
                .any(|e| !e.sent && e.code == code && e.command_key == command_key);
        if !merges {
            self.events.push(QueuedEvent {
                code,
                command_key,
                sent: false,
            });
        }
        self.save()
    }

    /// The events for the next Inform, marking them in flight (call again to re-send, e.g.
    /// after a 401). Rule for the 64 limit: every standard single code (at most 14) goes
    /// first, in Table 7 order; then `M` and vendor events, oldest first; the newest of
    /// those wait for the next session (see [`has_unsent`](Self::has_unsent)).
    pub fn for_inform(&mut self) -> Vec<EventStruct> {
        for e in &mut self.events {
            e.sent = false;
        }
        self.merge_duplicates();
        let mut order: Vec<usize> = (0..self.events.len()).collect();
        // Stable: ties (all non-single events) keep their FIFO order.
        order.sort_by_key(|&i| {
            let code = &self.events[i].code;
            match EventCode::STANDARD.iter().position(|s| s == code) {
                Some(p) if code.is_single() => p,
                _ => usize::MAX,
            }
        });
        order.truncate(MAX_INFORM_EVENTS);
        order
            .into_iter()
            .map(|i| {
                let e = &mut self.events[i];
                e.sent = true;
                EventStruct {
                    event_code: e.code.clone(),
                    command_key: e.command_key.clone(),
                }
            })
            .collect()
    }

    /// Collapses duplicates that became mergeable once nothing is in flight.
    fn merge_duplicates(&mut self) {
        let mut kept: Vec<QueuedEvent> = Vec::with_capacity(self.events.len());
        for e in self.events.drain(..) {
            let dup = !e.code.is_method_event()
                && kept
                    .iter()
                    .any(|k| k.code == e.code && k.command_key == e.command_key);
            if !dup {
                kept.push(e);
            }
        }
        self.events = kept;
    }

    /// True if some queued event was not in the last Inform (raised since, or over the
    /// 64 limit): the agent should open another session after this one.
    pub fn has_unsent(&self) -> bool {
        self.events
            .iter()
            .any(|e| !e.sent && leaves_with(&e.code) == LeavesWith::Inform)
    }

    /// The InformResponse arrived: the events sent leave the queue, except those that wait
    /// for a TransferComplete/DUStateChangeComplete response (§3.7.1.5).
    pub fn inform_acknowledged(&mut self) -> Result<(), QueueError> {
        self.events
            .retain(|e| !(e.sent && leaves_with(&e.code) == LeavesWith::Inform));
        for e in &mut self.events {
            e.sent = false;
        }
        self.save()
    }

    /// The TransferCompleteResponse for `command_key` arrived: its `M Download`/`M Upload`/
    /// `M ScheduleDownload` leave, and `7 TRANSFER COMPLETE` once no such event remains.
    pub fn transfer_complete_acknowledged(&mut self, command_key: &str) -> Result<(), QueueError> {
        self.events
            .retain(|e| !(is_transfer_method(&e.code) && e.command_key == command_key));
        if !self.events.iter().any(|e| is_transfer_method(&e.code)) {
            self.events
                .retain(|e| e.code != EventCode::TransferComplete);
        }
        self.save()
    }

    /// The TransferCompleteResponse for an AutonomousTransferComplete arrived.
    pub fn autonomous_transfer_complete_acknowledged(&mut self) -> Result<(), QueueError> {
        self.events
            .retain(|e| e.code != EventCode::AutonomousTransferComplete);
        self.save()
    }

    /// The DUStateChangeCompleteResponse for `command_key` arrived (CWMP 1.2): its
    /// `M ChangeDUState` leaves, and `11 DU STATE CHANGE COMPLETE` once none remains.
    pub fn du_state_change_complete_acknowledged(
        &mut self,
        command_key: &str,
    ) -> Result<(), QueueError> {
        let change = EventCode::Method(MethodEvent::ChangeDuState);
        self.events
            .retain(|e| !(e.code == change && e.command_key == command_key));
        if !self.contains(&change) {
            self.events
                .retain(|e| e.code != EventCode::DuStateChangeComplete);
        }
        self.save()
    }

    /// The session failed (no InformResponse, or cut later): everything stays for the
    /// retry except a sent `6 CONNECTION REQUEST`, which is not retried (Table 7).
    pub fn session_failed(&mut self) -> Result<(), QueueError> {
        self.events
            .retain(|e| !(e.sent && e.code == EventCode::ConnectionRequest));
        for e in &mut self.events {
            e.sent = false;
        }
        self.save()
    }

    /// The device restarted: `1 BOOT`, `4 VALUE CHANGE`, `8 DIAGNOSTICS COMPLETE` and
    /// `6 CONNECTION REQUEST` from before are discarded, and a new `1 BOOT` is raised.
    pub fn rebooted(&mut self) -> Result<(), QueueError> {
        self.events.retain(|e| {
            !matches!(
                e.code,
                EventCode::Boot
                    | EventCode::ValueChange
                    | EventCode::DiagnosticsComplete
                    | EventCode::ConnectionRequest
            )
        });
        for e in &mut self.events {
            e.sent = false;
        }
        self.raise(EventCode::Boot, "")
    }

    /// The ACS URL changed: `0 BOOTSTRAP`, discarding everything else (§3.7.1.5).
    pub fn acs_url_changed(&mut self) -> Result<(), QueueError> {
        self.raise(EventCode::Bootstrap, "")
    }

    /// Factory reset: `0 BOOTSTRAP`, discarding everything else; the reboot that follows
    /// adds `1 BOOT` through [`rebooted`](Self::rebooted).
    pub fn factory_reset(&mut self) -> Result<(), QueueError> {
        self.raise(EventCode::Bootstrap, "")
    }

    fn save(&mut self) -> Result<(), QueueError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let saved = Saved {
            format: FORMAT,
            events: self.events.clone(),
        };
        let bytes = serde_json::to_vec(&saved).map_err(|e| {
            QueueError::Store(StoreError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })
        })?;
        #[cfg(test)]
        let crash_at = self.crash_at;
        #[cfg(not(test))]
        let crash_at: Option<SaveStep> = None;
        save_with(path, &bytes, &mut |step| {
            if Some(step) == crash_at {
                Err(io::Error::other("simulated crash"))
            } else {
                Ok(())
            }
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
