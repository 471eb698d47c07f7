//! The sessions in progress on this node: found by their cookie, each holding one of
//! `max_sessions` slots, and the reaper that closes those left idle past their timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::session::Session;
use crate::store::Timestamp;

/// One session in progress.
pub(super) struct Entry {
    pub(super) session: Session,
    pub(super) peer: SocketAddr,
    /// Opened over TLS.
    pub(super) secure: bool,
    pub(super) started: Instant,
    /// Returns the session's slot when the entry is dropped.
    pub(super) _permit: Permit,
}

/// An entry shared between the table and the request serving it.
pub(super) type SharedEntry = Arc<tokio::sync::Mutex<Entry>>;

/// A slot among `max_sessions`.
pub(super) struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The sessions in progress by session id, and the count of slots taken.
pub(super) struct SessionTable {
    sessions: Mutex<HashMap<String, SharedEntry>>,
    active: Arc<AtomicUsize>,
    max: usize,
}

impl SessionTable {
    /// An empty table of at most `max` sessions counting into `active` (the metrics' gauge).
    pub(super) fn new(active: Arc<AtomicUsize>, max: usize) -> SessionTable {
        SessionTable {
            sessions: Mutex::new(HashMap::new()),
            active,
            max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, SharedEntry>> {
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
    pub(super) fn get(&self, id: &str) -> Option<SharedEntry> {
        self.lock().get(id).cloned()
    }

    /// Adds session `id`.
    pub(super) fn insert(&self, id: String, entry: SharedEntry) {
        self.lock().insert(id, entry);
    }

    /// Removes session `id`; `None` when it was not there (ended meanwhile).
    pub(super) fn remove(&self, id: &str) -> Option<SharedEntry> {
        self.lock().remove(id)
    }

    /// Removes every session (shutdown).
    pub(super) fn drain(&self) -> Vec<SharedEntry> {
        self.lock().drain().map(|(_, e)| e).collect()
    }

    /// Removes and returns the sessions idle past their timeout at `now`; a session busy
    /// with a request is not idle.
    pub(super) fn take_expired(&self, now: Timestamp) -> Vec<SharedEntry> {
        let mut map = self.lock();
        let ids: Vec<String> = map
            .iter()
            .filter(|(_, e)| e.try_lock().is_ok_and(|e| e.session.is_expired(now)))
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter().filter_map(|id| map.remove(id)).collect()
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
