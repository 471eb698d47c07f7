//! The sessions in progress on this node: found by their cookie (and by device, so that a
//! device starting over takes its old session's place), each holding one of `max_sessions`
//! slots and bound to the connection that carries it now; and the reaper that closes those
//! left idle past their timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::session::Session;
use crate::store::{DeviceId, Timestamp};

/// One session in progress.
pub(super) struct Entry {
    pub(super) session: Session,
    pub(super) peer: SocketAddr,
    /// Opened over TLS.
    pub(super) secure: bool,
    pub(super) started: Instant,
    /// The connection that carried its last request: when that connection closes, the
    /// session ends.
    pub(super) conn: ConnId,
    /// Returns the session's slot when the entry is dropped.
    pub(super) _permit: Permit,
}

/// An entry shared between the table and the request serving it.
pub(super) type SharedEntry = Arc<tokio::sync::Mutex<Entry>>;

/// A connection of this process, numbered in accept order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnId(pub(super) u64);

/// A session in the table: its device (also known without locking the entry) and entry.
#[derive(Clone)]
pub(super) struct Found {
    pub(super) device: Option<DeviceId>,
    pub(super) entry: SharedEntry,
}

#[derive(Default)]
struct Map {
    by_id: HashMap<String, Found>,
    /// The session id of each device in session here.
    by_device: HashMap<DeviceId, String>,
}

impl Map {
    fn remove(&mut self, id: &str) -> Option<Found> {
        let found = self.by_id.remove(id)?;
        if let Some(device) = &found.device
            && self.by_device.get(device).is_some_and(|d| d == id)
        {
            self.by_device.remove(device);
        }
        Some(found)
    }
}

/// A slot among `max_sessions`.
pub(super) struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The sessions in progress by session id, and the count of slots taken.
pub(super) struct SessionTable {
    sessions: Mutex<Map>,
    active: Arc<AtomicUsize>,
    max: usize,
}

impl SessionTable {
    /// An empty table of at most `max` sessions counting into `active` (the metrics' gauge).
    pub(super) fn new(active: Arc<AtomicUsize>, max: usize) -> SessionTable {
        SessionTable {
            sessions: Mutex::new(Map::default()),
            active,
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Slots taken (sessions in progress and sessions being opened).
    pub(super) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// A slot for a new session, `None` when all are taken.
    pub(super) fn try_permit(&self) -> Option<Permit> {
        let max = self.max;
        self.active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(Arc::clone(&self.active)))
    }

    /// The session `id`.
    pub(super) fn get(&self, id: &str) -> Option<Found> {
        self.lock().by_id.get(id).cloned()
    }

    /// The session of `device` in progress here, with its id.
    pub(super) fn of_device(&self, device: &DeviceId) -> Option<(String, SharedEntry)> {
        let map = self.lock();
        let id = map.by_device.get(device)?;
        let found = map.by_id.get(id)?;
        Some((id.clone(), Arc::clone(&found.entry)))
    }

    /// Adds session `id` of `device`.
    pub(super) fn insert(&self, id: String, device: Option<DeviceId>, entry: SharedEntry) {
        let mut map = self.lock();
        if let Some(device) = &device {
            map.by_device.insert(device.clone(), id.clone());
        }
        map.by_id.insert(id, Found { device, entry });
    }

    /// Removes session `id`; `None` when it was not there (ended meanwhile).
    pub(super) fn remove(&self, id: &str) -> Option<SharedEntry> {
        self.lock().remove(id).map(|f| f.entry)
    }

    /// Removes session `id` if it is still `entry` (not replaced meanwhile); `true` when it was.
    pub(super) fn remove_if(&self, id: &str, entry: &SharedEntry) -> bool {
        let mut map = self.lock();
        if map
            .by_id
            .get(id)
            .is_some_and(|f| Arc::ptr_eq(&f.entry, entry))
        {
            map.remove(id);
            return true;
        }
        false
    }

    /// Removes every session (shutdown).
    pub(super) fn drain(&self) -> Vec<SharedEntry> {
        let mut map = self.lock();
        map.by_device.clear();
        map.by_id.drain().map(|(_, f)| f.entry).collect()
    }

    /// Removes and returns the sessions idle past their timeout at `now`; a session busy
    /// with a request is not idle.
    pub(super) fn take_expired(&self, now: Timestamp) -> Vec<SharedEntry> {
        let mut map = self.lock();
        let ids: Vec<String> = map
            .by_id
            .iter()
            .filter(|(_, f)| f.entry.try_lock().is_ok_and(|e| e.session.is_expired(now)))
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| map.remove(id).map(|f| f.entry))
            .collect()
    }
}

/// Every `interval`, hands the expired sessions of `table` to `close`.
pub(super) async fn reap_every<F, Fut>(interval: Duration, table: Arc<SessionTable>, close: F)
where
    F: Fn(SharedEntry, Timestamp) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = Timestamp::now();
        for entry in table.take_expired(now) {
            close(entry, now).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_bounded_and_returned_on_drop() {
        let table = SessionTable::new(Arc::default(), 2);
        let a = table.try_permit().expect("first");
        let _b = table.try_permit().expect("second");
        assert!(table.try_permit().is_none());
        assert_eq!(table.active(), 2);
        drop(a);
        assert_eq!(table.active(), 1);
        assert!(table.try_permit().is_some());
    }
}
