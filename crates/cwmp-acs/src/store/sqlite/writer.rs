//! Group commit: one thread owns the write connection and applies queued write requests in
//! batches, one transaction per batch and one savepoint per request, so a failing request
//! does not undo its neighbours. Each caller is answered only after the batch's COMMIT.
//!
//! A request is a closure run on the connection in the thread: however many statements it
//! runs, the caller pays one hand-over to the thread and one wake-up back.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::thread;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// Delivers a request's outcome once the batch's fate is known.
trait Completion: Send {
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Reply<T> {
    tx: oneshot::Sender<StoreResult<T>>,
    value: StoreResult<T>,
}

impl<T: Send> Completion for Reply<T> {
    fn complete(self: Box<Self>, commit: Result<(), &StoreError>) {
        let out = match (self.value, commit) {
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(e.clone()),
            (Ok(v), Ok(())) => Ok(v),
        };
        // The caller may have gone away; the write stands regardless.
        let _ = self.tx.send(out);
    }
}

/// A request: runs on the connection, says whether it succeeded, and how to answer.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Box<dyn Completion>) + Send>;

enum Msg {
    Job(Job),
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the writer thread.
pub(crate) struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the thread; at most `max_batch` requests per transaction, `depth` queued.
    pub(crate) fn spawn(conn: Connection, max_batch: usize, depth: usize) -> StoreResult<Writer> {
        let (tx, rx) = mpsc::channel(depth);
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx, max_batch))?;
        Ok(Writer { tx })
    }

    /// Runs `f` inside the next batch and returns its result after the commit. A failing
    /// (or panicking) `f` has its statements undone; the rest of the batch stands.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let value = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(StoreError::Corrupt("a store write panicked".into())));
            (value.is_ok(), Box::new(Reply { tx, value }))
        });
        self.tx
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Applies what is queued, closes the connection and stops the thread.
    pub(crate) async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Msg>, max_batch: usize) {
    let mut shutdown = None;
    let mut jobs = Vec::with_capacity(max_batch);
    while shutdown.is_none() {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Msg::Job(j) => jobs.push(j),
                // Everything queued before the shutdown is still applied.
                Msg::Shutdown(tx) => {
                    shutdown = Some(tx);
                    break;
                }
            }
            if jobs.len() < max_batch {
                next = rx.try_recv().ok();
            }
        }
        if !jobs.is_empty() {
            run_batch(&conn, jobs.drain(..));
        }
    }
    rx.close();
    // Requests that raced with the shutdown are refused by dropping them (Closed).
    while rx.try_recv().is_ok() {}
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the store's write connection");
    }
    if let Some(tx) = shutdown {
        let _ = tx.send(());
    }
}

fn exec(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn run_batch(conn: &Connection, jobs: impl Iterator<Item = Job>) {
    let mut done: Vec<Box<dyn Completion>> = Vec::new();
    let mut result = exec(conn, "BEGIN IMMEDIATE");
    if result.is_ok() {
        for job in jobs {
            if let Err(e) = exec(conn, "SAVEPOINT op") {
                result = Err(e);
                break;
            }
            let (ok, completion) = job(conn);
            done.push(completion);
            let end = if ok {
                exec(conn, "RELEASE op")
            } else {
                exec(conn, "ROLLBACK TO op").and_then(|()| exec(conn, "RELEASE op"))
            };
            if let Err(e) = end {
                result = Err(e);
                break;
            }
        }
        // Jobs not run because the batch failed are dropped: their callers see Closed.
        result = result.and_then(|()| exec(conn, "COMMIT"));
        if result.is_err() && !conn.is_autocommit() {
            let _ = exec(conn, "ROLLBACK");
        }
    }
    if let Err(e) = &result {
        tracing::error!(error = %e, requests = done.len(), "store batch failed");
    }
    for c in done {
        c.complete(result.as_ref().map(|_| ()));
    }
}
