//! The in-process event bus: what happens to devices (Informs, sessions ending, tasks done
//! or faulted, faults recorded, transfers the CPE made on its own), published by the session
//! engine and the API, read by the task wait of `POST /devices/{id}/tasks?connection_request`
//! and by `GET /events`.
//!
//! It is a bounded [`tokio::sync::broadcast`] channel: publishing never blocks, and a
//! subscriber that falls more than the capacity behind loses the oldest events (it sees
//! [`broadcast::error::RecvError::Lagged`]) instead of slowing anyone down.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::store::{DeviceId, FaultInfo, Timestamp};

/// Events kept for slow subscribers before they start losing the oldest.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Something that happened to a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// An Inform was accepted and the session opened.
    Inform {
        /// Event codes of the Inform (`"1 BOOT"`, …).
        events: Vec<String>,
    },
    /// A session ended.
    SessionEnd {
        /// `ok`, `timeout`, `error: …`, `shutdown`, …
        outcome: String,
    },
    /// A task completed (and was deleted, as GenieACS does).
    TaskDone {
        /// The task id.
        task: String,
        /// What the CPE answered (`parameterValues`, `instanceNumber`, `status`, …).
        result: serde_json::Value,
    },
    /// A task faulted (it may be retried later).
    TaskFault {
        /// The task id.
        task: String,
        /// The fault.
        fault: FaultInfo,
    },
    /// A fault was recorded on a channel (e.g. a failed Connection Request).
    Fault {
        /// The fault channel.
        channel: String,
        /// The fault.
        fault: FaultInfo,
    },
    /// The CPE reported a transfer it made on its own (AutonomousTransferComplete).
    AutonomousTransfer {
        /// A download (else an upload).
        download: bool,
        /// Its FileType (`1 Firmware Upgrade Image`, …).
        file_type: String,
        /// The file's URL.
        url: String,
        /// Why it failed; none when it succeeded.
        fault: Option<FaultInfo>,
    },
}

/// One event: when, which device, what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it was published (Unix milliseconds).
    pub time: i64,
    /// The device.
    pub device: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The bus. Cheap to clone; clones publish to the same subscribers.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    /// Where this node's own events also go, when a cluster relay takes them to the
    /// other nodes ([`EventBus::tap`]).
    tap: Arc<OnceLock<mpsc::Sender<Arc<Event>>>>,
}

impl Default for EventBus {
    fn default() -> EventBus {
        EventBus::new(DEFAULT_CAPACITY)
    }
}

impl EventBus {
    /// A bus keeping up to `capacity` events for each subscriber (at least 1).
    pub fn new(capacity: usize) -> EventBus {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus {
            tx,
            tap: Arc::default(),
        }
    }

    /// The events published on this node from now on (not those [`inject`](Self::inject)ed),
    /// for a relay to other nodes; at most `capacity` wait, more are dropped with a warning.
    /// `None` if a tap is already set.
    pub fn tap(&self, capacity: usize) -> Option<mpsc::Receiver<Arc<Event>>> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.tap.set(tx).ok().map(|()| rx)
    }

    /// Hands an event that happened on another node to this node's subscribers.
    pub fn inject(&self, event: Event) {
        let _ = self.tx.send(Arc::new(event));
    }

    /// Publishes an event about `device`; never blocks, and is a no-op without
    /// subscribers.
    pub fn publish(&self, device: &DeviceId, kind: EventKind) {
        let tap = self.tap.get();
        if self.tx.receiver_count() == 0 && tap.is_none() {
            return;
        }
        let event = Arc::new(Event {
            time: Timestamp::now().as_millis(),
            device: device.as_str().to_owned(),
            kind,
        });
        if let Some(tap) = tap
            && tap.try_send(Arc::clone(&event)).is_err()
        {
            tracing::warn!(device = %device, "cluster event relay behind: an event stays on this node");
        }
        // An error only means that every subscriber has gone meanwhile.
        let _ = self.tx.send(event);
    }

    /// A new subscription, seeing events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_see_events_and_laggards_lose_the_oldest() {
        let bus = EventBus::new(2);
        let dev = DeviceId::from_escaped("d1");
        bus.publish(
            &dev,
            EventKind::TaskDone {
                task: "t0".into(),
                result: serde_json::json!({}),
            },
        );
        let mut rx = bus.subscribe();
        for i in 1..=3 {
            bus.publish(
                &dev,
                EventKind::TaskDone {
                    task: format!("t{i}"),
                    result: serde_json::json!({"i": i}),
                },
            );
        }
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(1))
        ));
        let e = rx.recv().await.expect("event");
        assert_eq!(
            e.kind,
            EventKind::TaskDone {
                task: "t2".into(),
                result: serde_json::json!({"i": 2})
            }
        );
        let json = serde_json::to_value(&*e).expect("json");
        assert_eq!(json["type"], "task_done");
        assert_eq!(json["device"], "d1");
        assert_eq!(json["task"], "t2");
        assert_eq!(json["result"]["i"], 2);
    }
}
