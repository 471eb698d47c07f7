//! Read connections, each owned by its own thread; WAL lets them run beside the writer.
//!
//! A read is a closure run on one of the connections: whatever it queries, the caller pays
//! one hand-over to a thread and one wake-up back.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::thread;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

type Job = Box<dyn FnOnce(&Connection) + Send>;

/// Handle to the read threads; they stop when it is dropped or closed.
pub(crate) struct Readers {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Readers {
    /// Starts one thread per connection; at most `depth` reads wait for a free one.
    pub(crate) fn spawn(conns: Vec<Connection>, depth: usize) -> StoreResult<Readers> {
        let (tx, rx) = mpsc::channel::<Job>(depth);
        let rx = Arc::new(Mutex::new(rx));
        for (i, conn) in conns.into_iter().enumerate() {
            let rx = Arc::clone(&rx);
            thread::Builder::new()
                .name(format!("store-read-{i}"))
                .spawn(move || serve(&conn, &rx))?;
        }
        Ok(Readers {
            tx: Mutex::new(Some(tx)),
        })
    }

    /// Runs `f` on a read connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let sender = self
            .tx
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .ok_or(StoreError::Closed)?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let value = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(StoreError::Corrupt("a store read panicked".into())));
            let _ = tx.send(value);
        });
        sender.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Refuses further reads; the threads finish what is queued and close their
    /// connections.
    pub(crate) fn close(&self) {
        self.tx
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

fn serve(conn: &Connection, rx: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = rx
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .blocking_recv();
        match job {
            Some(job) => job(conn),
            None => return,
        }
    }
}
