//! The one download in flight: its fetch (network and file write) runs in a task of its own,
//! so that the loop keeps answering Connection Requests, the CLI and the ACS meanwhile. The
//! task only fetches; the loop alone saves the transfer queue, applies the file and raises the
//! TransferComplete when the task reports back (see [`super::transfers`]). A crash while it
//! runs leaves the transfer `InProgress` in the saved queue: it runs again at start-up.

use std::path::PathBuf;

use tokio::task::JoinHandle;

use crate::transfer::{Fetch, Limits, TransferError, fetch};
use crate::transport::{AcsConnector, Credentials};

/// A download whose fetch is running; dropping it stops the fetch.
pub(super) struct InFlight {
    /// The transfer's id (`InProgress` in the saved queue).
    pub id: u64,
    /// When it started (Unix seconds): the StartTime of its TransferComplete.
    pub start: i64,
    /// Where the file lands once complete.
    pub dest: PathBuf,
    task: JoinHandle<Result<u64, TransferError>>,
}

/// What one fetch needs, owned by its task.
pub(super) struct FetchJob {
    /// `http(s)://…`.
    pub url: String,
    /// For a 401 from the file server.
    pub credentials: Option<Credentials>,
    /// The announced FileSize (0: unknown).
    pub expected_size: u64,
    /// Where the file lands.
    pub dest: PathBuf,
    /// Size and time bounds.
    pub limits: Limits,
}

impl InFlight {
    /// Starts fetching `job` for transfer `id` in a new task.
    pub fn spawn(connector: AcsConnector, id: u64, start: i64, job: FetchJob) -> InFlight {
        let dest = job.dest.clone();
        let task = tokio::spawn(async move {
            fetch(
                &connector,
                Fetch {
                    url: &job.url,
                    credentials: job.credentials.as_ref(),
                    expected_size: Some(job.expected_size),
                    dest: &job.dest,
                    limits: job.limits,
                },
            )
            .await
        });
        InFlight {
            id,
            start,
            dest,
            task,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The outcome of the fetch in `slot` (left in place: the caller takes it); never resolves
/// when there is none. Cancel-safe, for a `select!` branch: the fetch runs on.
pub(super) async fn finished(slot: &mut Option<InFlight>) -> Result<u64, TransferError> {
    match slot {
        Some(f) => match (&mut f.task).await {
            Ok(result) => result,
            Err(e) => Err(TransferError::Local(format!(
                "the download task ended: {e}"
            ))),
        },
        None => std::future::pending().await,
    }
}
