//! Session workers: OS threads, each with a single-threaded tokio runtime and a `LocalSet`,
//! because the CPE session and its transport are not `Send` (they borrow the device's tree
//! and backend). Jobs are spread round-robin; every finished session is sent back.

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::fleet::Fleet;
use crate::session::{self, Finished, Job, SessionSettings};

/// The running workers.
#[derive(Debug)]
pub struct Workers {
    senders: Vec<mpsc::UnboundedSender<Job>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
}

impl Workers {
    /// Starts `count` workers (at least one) reporting to `done`.
    pub fn start(
        count: usize,
        fleet: Arc<Fleet>,
        settings: Arc<SessionSettings>,
        done: mpsc::UnboundedSender<Finished>,
    ) -> io::Result<Workers> {
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        for n in 0..count.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (fleet, settings, done) = (fleet.clone(), settings.clone(), done.clone());
            let thread = std::thread::Builder::new()
                .name(format!("sim-worker-{n}"))
                .spawn(move || {
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, serve(rx, fleet, settings, done));
                })?;
            senders.push(tx);
            threads.push(thread);
        }
        Ok(Workers {
            senders,
            threads,
            next: 0,
        })
    }

    /// Hands a job to the next worker; false if the workers are gone.
    pub fn submit(&mut self, job: Job) -> bool {
        self.next = (self.next + 1) % self.senders.len().max(1);
        self.senders
            .get(self.next)
            .is_some_and(|s| s.send(job).is_ok())
    }

    /// Lets the running sessions finish, then stops the threads.
    pub fn shutdown(self) {
        drop(self.senders);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

async fn serve(
    mut jobs: mpsc::UnboundedReceiver<Job>,
    fleet: Arc<Fleet>,
    settings: Arc<SessionSettings>,
    done: mpsc::UnboundedSender<Finished>,
) {
    let mut running = JoinSet::new();
    loop {
        tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { break };
                let (fleet, settings, done) = (fleet.clone(), settings.clone(), done.clone());
                running.spawn_local(async move {
                    if let Some(f) = session::run(&fleet, &settings, job).await {
                        let _ = done.send(f);
                    }
                });
            }
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    while running.join_next().await.is_some() {}
}
