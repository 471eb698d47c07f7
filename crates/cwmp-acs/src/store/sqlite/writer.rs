//! Group commit: one task owns the write connection and applies queued write requests in
//! batches, one transaction per batch, one savepoint per request (none for a request of one
//! statement, which SQLite undoes by itself when it fails). Each caller is answered only
//! after the batch's COMMIT.

use std::future::Future;
use std::pin::Pin;

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::store::{StoreError, StoreResult};

/// A boxed future borrowing the connection.
pub(crate) type BoxFut<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

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

type Job = Box<
    dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, (bool, Box<dyn Completion>)> + Send,
>;

/// How a request is kept apart from its neighbours in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isolation {
    /// In a savepoint: its statements are undone together when it fails.
    Savepoint,
    /// None: it runs at most one statement, and SQLite undoes a failed statement by itself
    /// (statement-level atomicity), which spares two round trips to the connection's thread.
    SingleStatement,
}

enum Msg {
    Job(Job, Isolation),
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the writer task.
pub(crate) struct Writer {
    tx: mpsc::Sender<Msg>,
}

/// Pins the higher-ranked signature on a closure.
fn job_fn<F>(f: F) -> F
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, (bool, Box<dyn Completion>)>
        + Send
        + 'static,
{
    f
}

impl Writer {
    pub(crate) fn spawn(conn: SqliteConnection, max_batch: usize, depth: usize) -> Writer {
        let (tx, rx) = mpsc::channel(depth);
        tokio::spawn(run(conn, rx, max_batch));
        Writer { tx }
    }

    /// Runs `f` inside the next batch and returns its result after the commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>> + Send + 'static,
    {
        self.submit(f, Isolation::Savepoint).await
    }

    /// [`Writer::write`] for an `f` that runs at most one statement: no savepoint.
    pub(crate) async fn write_statement<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>> + Send + 'static,
    {
        self.submit(f, Isolation::SingleStatement).await
    }

    async fn submit<T, F>(&self, f: F, isolation: Isolation) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFut<'c, StoreResult<T>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = job_fn(move |conn| {
            Box::pin(async move {
                let value = f(conn).await;
                let ok = value.is_ok();
                (ok, Box::new(Reply { tx, value }) as Box<dyn Completion>)
            })
        });
        self.tx
            .send(Msg::Job(Box::new(job), isolation))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Applies what is queued, closes the connection and stops the task.
    pub(crate) async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> StoreResult<()> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Msg>, max_batch: usize) {
    let mut msgs = Vec::with_capacity(max_batch);
    let mut shutdown = None;
    while shutdown.is_none() && rx.recv_many(&mut msgs, max_batch).await > 0 {
        let mut jobs = Vec::with_capacity(msgs.len());
        for m in msgs.drain(..) {
            match m {
                Msg::Job(j, isolation) => jobs.push((j, isolation)),
                // Everything queued before the shutdown is still applied.
                Msg::Shutdown(tx) => shutdown = Some(tx),
            }
        }
        if !jobs.is_empty() {
            run_batch(&mut conn, jobs).await;
        }
    }
    rx.close();
    // Requests that raced with the shutdown are refused by dropping them (Closed).
    while rx.try_recv().is_ok() {}
    let _ = conn.close().await;
    if let Some(tx) = shutdown {
        let _ = tx.send(());
    }
}

async fn run_batch(conn: &mut SqliteConnection, jobs: Vec<(Job, Isolation)>) {
    let mut done: Vec<Box<dyn Completion>> = Vec::with_capacity(jobs.len());
    let mut result = exec(conn, "BEGIN IMMEDIATE").await;
    if result.is_ok() {
        let mut jobs = jobs.into_iter();
        for (job, isolation) in jobs.by_ref() {
            if isolation == Isolation::SingleStatement {
                let (_, completion) = job(conn).await;
                done.push(completion);
                continue;
            }
            if let Err(e) = exec(conn, "SAVEPOINT op").await {
                result = Err(e);
                break;
            }
            let (ok, completion) = job(conn).await;
            done.push(completion);
            let end = if ok {
                exec(conn, "RELEASE op").await
            } else {
                match exec(conn, "ROLLBACK TO op").await {
                    Ok(()) => exec(conn, "RELEASE op").await,
                    Err(e) => Err(e),
                }
            };
            if let Err(e) = end {
                result = Err(e);
                break;
            }
        }
        // Jobs not run because the batch failed: answer them with the batch error.
        for job in jobs {
            drop(job);
        }
        result = match result {
            Ok(()) => exec(conn, "COMMIT").await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            let _ = exec(conn, "ROLLBACK").await;
        }
    }
    for c in done {
        c.complete(result.as_ref().map(|_| ()));
    }
}
