//! Diagnostics between sessions: a session that leaves a `DiagnosticsState` at `Requested`
//! starts the test on a task of its own (one per kind, at most
//! [`MAX_CONCURRENT`](crate::diagnostics::MAX_CONCURRENT) at once); the loop writes its
//! results and raises `8 DIAGNOSTICS COMPLETE`, which opens a new session.

use cwmp::EventCode;
use tokio::sync::mpsc;

use super::{Agent, AgentError};
use crate::diagnostics::{self, Job, Kind, Results};

/// The diagnostics running and the channel their results come back on.
pub(super) struct Running {
    kinds: Vec<Kind>,
    tx: mpsc::UnboundedSender<(Job, Results)>,
    pub(super) rx: mpsc::UnboundedReceiver<(Job, Results)>,
}

impl Running {
    pub(super) fn new() -> Running {
        let (tx, rx) = mpsc::unbounded_channel();
        Running {
            kinds: Vec::new(),
            tx,
            rx,
        }
    }
}

impl Agent {
    /// Starts the requested diagnostics that are not running yet (after a session).
    pub(super) fn start_diagnostics(&mut self) {
        for job in diagnostics::requested(&self.tree, self.config.root()) {
            let kind = job.spec.kind;
            if self.diagnostics.kinds.contains(&kind) {
                continue;
            }
            if self.diagnostics.kinds.len() >= diagnostics::MAX_CONCURRENT {
                tracing::info!(object = %job.spec.object, "diagnostic waits: too many running");
                continue;
            }
            tracing::info!(object = %job.spec.object, "diagnostic starts");
            self.diagnostics.kinds.push(kind);
            let tx = self.diagnostics.tx.clone();
            tokio::spawn(async move {
                let results = diagnostics::run(&job).await;
                let _ = tx.send((job, results));
            });
        }
    }

    /// Writes a finished diagnostic's results and raises `8 DIAGNOSTICS COMPLETE`.
    pub(super) fn diagnostic_finished(
        &mut self,
        job: Job,
        results: Results,
    ) -> Result<(), AgentError> {
        self.diagnostics.kinds.retain(|k| *k != job.spec.kind);
        tracing::info!(object = %job.spec.object, state = results.state.first().copied().unwrap_or(""), "diagnostic done");
        if diagnostics::apply(&mut self.tree, &job, &results) {
            self.tree.save(&self.tree_path)?;
            self.raise(EventCode::DiagnosticsComplete, "")?;
        }
        self.start_diagnostics();
        Ok(())
    }

    /// Takes the results that came back without waiting (for [`Agent::step`]).
    pub(super) fn collect_diagnostics(&mut self) -> Result<(), AgentError> {
        while let Ok((job, results)) = self.diagnostics.rx.try_recv() {
            self.diagnostic_finished(job, results)?;
        }
        Ok(())
    }
}
