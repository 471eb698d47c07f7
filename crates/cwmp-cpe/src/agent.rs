//! The daemon loop: one task, one session at a time.
//!
//! [`Agent`] owns the data-model tree, the persistent event queue, the scheduler and the retry
//! state. [`Agent::step`] does one turn of the loop at the clock's current time (raise what the
//! timers made due, run a session if one is wanted, apply its effects); [`Agent::run`] repeats it,
//! sleeping until the next wakeup ([`Scheduler::next_wakeup`]), a Connection Request signal or a
//! local change. Tests drive [`Agent::step`] with a [`ManualClock`](crate::ManualClock).
//!
//! Start-up counts as a boot: `1 BOOT` is raised through [`EventQueue::rebooted`] (and a fresh
//! state dir gives `0 BOOTSTRAP`). A `Reboot` from the ACS is *simulated*: the tree and queue are
//! persisted, `queue.rebooted()` raises `1 BOOT` (the session already queued `M Reboot`), and the
//! loop state (scheduler, retry, pending requests) is rebuilt from the tree as a fresh start
//! would; the process keeps running. A real device would hand the reboot to the system here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cwmp::EventCode;
use cwmp_datamodel::{Backend, Model, StoreError, Tree};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::config::Config;
use crate::conn_request::udp_server::StunSettings;
use crate::conn_request::{CredentialsHandle, UdpHandle};
use crate::control::Control;
use crate::events::{EventQueue, QueueError};
use crate::retry::{Retry, RetryPolicy};
use crate::schedule::{PeriodicInform, Scheduler};
use crate::session::PendingRequests;
use crate::settings::{self, LocalSettings};
use crate::transfer::{TransferQueue, queue as transfer_queue};
use crate::transport::{AcsConnector, TlsError};

/// Longest sleep of [`Agent::run`], so a wall-clock jump is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Why the agent could not open, boot or apply a change.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Loading or saving the persisted data-model tree failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The persistent event queue failed, or a raised event code is invalid.
    #[error("{0}")]
    Queue(#[from] QueueError),
    /// The state dir could not be created.
    #[error("creating the state dir {path}: {source}")]
    StateDir {
        /// The state dir (`state_dir` in the config).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `[tls]` settings could not be loaded (CA bundle, client certificate or key).
    #[error("{0}")]
    Tls(#[from] TlsError),
    /// The tree refused a value the config seeds.
    #[error("seeding {path} from the config: {message}")]
    Seed {
        /// The parameter path.
        path: String,
        /// The tree's fault, debug-formatted.
        message: String,
    },
    /// The tree refused a [`Local::Set`] change.
    #[error("{path}: {message}")]
    Refused {
        /// The parameter path.
        path: String,
        /// The tree's fault.
        message: String,
    },
}

/// A local change for the running agent (the operator CLI's `inform`, `event`, `set`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Start a session now.
    Inform,
    /// Raise an event (`X VENDOR EVENT` and the like).
    Event(String),
    /// A local parameter change (raises notifications).
    Set {
        /// The parameter path.
        path: String,
        /// The new value, as text.
        value: String,
    },
    /// The UDP Connection Request socket learned its address (TR-111 Part 2): sets
    /// `UDPConnectionRequestAddress` (an active notification) and `NATDetected`.
    UdpConnectionRequestAddress {
        /// `host:port`.
        address: String,
        /// The address differs from the socket's local one.
        nat_detected: bool,
    },
}

/// How the last session went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// When it started (unix seconds).
    pub started: i64,
    /// `Ok` or the failure.
    pub result: Result<(), String>,
    /// RetryCount sent in its Inform.
    pub retry_count: u32,
}

/// The CPE daemon: owns the tree, event queue, scheduler and retry state, and runs sessions.
pub struct Agent {
    config: Config,
    connector: AcsConnector,
    model: Arc<Model>,
    tree: Tree,
    backend: Box<dyn Backend>,
    queue: EventQueue,
    requests: PendingRequests,
    scheduler: Scheduler,
    retry: Retry,
    clock: Arc<dyn Clock>,
    rng: StdRng,
    tree_path: PathBuf,
    boots: u32,
    last: Option<Outcome>,
    force: bool,
    settings: LocalSettings,
    settings_path: PathBuf,
    cr_credentials: Option<CredentialsHandle>,
    transfers: TransferQueue,
    fetching: Option<fetching::InFlight>,
    restart: bool,
    answers: requests::AcsAnswers,
    udp: Option<UdpHandle>,
    diagnostics: diagnostics::Running,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("queue", &self.queue)
            .field("scheduler", &self.scheduler)
            .field("retry", &self.retry)
            .field("boots", &self.boots)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Loads (or creates) the persisted tree and event queue in the state dir and boots.
    pub fn open(
        mut config: Config,
        model: Arc<Model>,
        backend: Box<dyn Backend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Agent, AgentError> {
        let connector = AcsConnector::new(&config.tls)?;
        let dir = config.state_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| AgentError::StateDir {
            path: dir.clone(),
            source,
        })?;
        let settings_path = dir.join(settings::FILE_NAME);
        let settings = LocalSettings::load(&settings_path)?;
        settings.apply(&mut config);
        let tree_path = dir.join("tree.bin");
        let tree = match Tree::load(model.clone(), &tree_path)? {
            Some(t) => t,
            None => {
                let mut t = Tree::new(model.clone());
                seed(&mut t, &config)?;
                t.save(&tree_path)?;
                t
            }
        };
        let queue = EventQueue::open(&dir.join("events.json"))?;
        let transfers = TransferQueue::open(&dir.join(transfer_queue::FILE_NAME))?;
        let seed_rng = clock.now().elapsed().map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id());
        let now = clock.unix();
        let mut agent = Agent {
            config,
            connector,
            model,
            tree,
            backend,
            queue,
            requests: PendingRequests::new(),
            scheduler: Scheduler::new(PeriodicInform::default(), now),
            retry: Retry::new(RetryPolicy::default()),
            rng: StdRng::seed_from_u64(seed_rng ^ now.unsigned_abs()),
            clock,
            tree_path,
            boots: 0,
            last: None,
            force: false,
            settings,
            settings_path,
            cr_credentials: None,
            transfers,
            fetching: None,
            restart: false,
            answers: requests::AcsAnswers::default(),
            udp: None,
            diagnostics: diagnostics::Running::new(),
        };
        agent.boot()?;
        Ok(agent)
    }

    /// Replaces the random source (tests).
    pub fn set_rng(&mut self, rng: StdRng) {
        self.rng = rng;
    }

    fn boot(&mut self) -> Result<(), AgentError> {
        self.boots += 1;
        self.queue.rebooted()?;
        self.requests = PendingRequests::new();
        let now = self.clock.unix();
        self.scheduler = Scheduler::new(self.periodic_from_tree(), now);
        self.retry = Retry::new(self.retry_policy());
        self.transfers_booted()
    }

    /// The data-model tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The persistent queue of events still to deliver.
    pub fn queue(&self) -> &EventQueue {
        &self.queue
    }

    /// The timers (periodic and scheduled Informs) that decide when a session is due.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// The session retry state: RetryCount and when the next attempt is due.
    pub fn retry(&self) -> &Retry {
        &self.retry
    }

    /// How many times the agent booted (start-up plus simulated reboots).
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// How the last session went; `None` before the first.
    pub fn last_outcome(&self) -> Option<&Outcome> {
        self.last.as_ref()
    }

    /// Raises an event; a new event starts a pending retry at once.
    pub fn raise(&mut self, code: EventCode, command_key: &str) -> Result<(), AgentError> {
        self.queue.raise(code, command_key)?;
        self.retry.event_raised(self.clock.monotonic());
        Ok(())
    }

    /// A valid Connection Request arrived.
    pub fn connection_request(&mut self) -> Result<(), AgentError> {
        self.raise(EventCode::ConnectionRequest, "")
    }

    /// Applies a local change.
    pub fn local(&mut self, change: Local) -> Result<(), AgentError> {
        match change {
            Local::Inform => {
                // A session now: the retry wait (if any) is cut short.
                self.retry.event_raised(self.clock.monotonic());
                self.force = true;
            }
            Local::Event(code) => {
                let code: EventCode = code
                    .parse()
                    .map_err(|_| QueueError::InvalidCode(code.clone()))?;
                self.raise(code, "")?;
            }
            Local::Set { path, value } => {
                let url_before = self.acs_url();
                let signal =
                    self.tree
                        .set_local(&path, &value)
                        .map_err(|f| AgentError::Refused {
                            path: path.clone(),
                            message: f.message.clone(),
                        })?;
                self.tree.save(&self.tree_path)?;
                if signal.active {
                    self.raise(EventCode::ValueChange, "")?;
                }
                self.management_changed(&url_before)?;
            }
            Local::UdpConnectionRequestAddress {
                address,
                nat_detected,
            } => self.publish_udp_address(&address, nat_detected)?,
        }
        Ok(())
    }

    /// Raises what the timers made due; true if a session should start now.
    pub fn poll(&mut self) -> Result<bool, AgentError> {
        for (code, key) in self.scheduler.poll(self.clock.unix()) {
            self.raise(code, &key)?;
        }
        if self.tree.take_active_request() {
            self.raise(EventCode::ValueChange, "")?;
        }
        let mono = self.clock.monotonic();
        Ok(match self.retry.due() {
            Some(_) => self.retry.is_due(mono),
            None => self.queue.has_unsent() || std::mem::take(&mut self.force),
        })
    }

    /// One turn of the loop at the clock's time: the session it ran, if any, then the file
    /// transfers that are due, run to their end.
    pub async fn step(&mut self) -> Result<Option<Outcome>, AgentError> {
        let outcome = self.turn().await?;
        if !self.restart {
            self.drain_transfers().await?;
        }
        Ok(outcome)
    }

    /// [`step`](Self::step) without waiting for a download: its fetch runs on.
    async fn turn(&mut self) -> Result<Option<Outcome>, AgentError> {
        self.collect_diagnostics()?;
        let outcome = if self.poll()? {
            Some(self.session().await?)
        } else {
            None
        };
        if !self.restart {
            self.run_transfers().await?;
        }
        Ok(outcome)
    }

    /// Time until the next timer (periodic, scheduled, retry), capped.
    pub fn next_wakeup(&self) -> Duration {
        self.scheduler
            .next_wakeup(self.clock.unix(), self.clock.monotonic(), self.retry.due())
            .unwrap_or(MAX_SLEEP)
            .min(self.transfer_wakeup().unwrap_or(MAX_SLEEP))
            .min(MAX_SLEEP)
    }

    /// The daemon loop; returns only on a storage error, or when a firmware install asks for a
    /// process restart ([`restart_requested`](Self::restart_requested)). Run it on one task (a `LocalSet` or a
    /// current-thread runtime): the session future is not `Send`. Operator requests
    /// (`control`) and changes from the agent's own tasks (`internal`, e.g. the UDP address the
    /// STUN client discovered) are applied between sessions, and while a download is fetched.
    pub async fn run(
        &mut self,
        mut connection_requests: mpsc::Receiver<()>,
        mut control: mpsc::Receiver<Control>,
        mut internal: mpsc::Receiver<Local>,
    ) -> Result<(), AgentError> {
        loop {
            while connection_requests.try_recv().is_ok() {
                self.connection_request()?;
            }
            while let Ok(request) = control.try_recv() {
                self.control(request);
            }
            while let Ok(change) = internal.try_recv() {
                self.log_local(change);
            }
            let ran = self.turn().await?.is_some();
            if self.restart {
                return Ok(());
            }
            if ran || self.force {
                continue;
            }
            let wait = self.next_wakeup();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                Some(()) = connection_requests.recv() => self.connection_request()?,
                Some(request) = control.recv() => self.control(request),
                Some(change) = internal.recv() => self.log_local(change),
                Some((job, results)) = self.diagnostics.rx.recv() => {
                    self.diagnostic_finished(job, results)?;
                }
                result = fetching::finished(&mut self.fetching) => {
                    self.fetch_finished(result).await?;
                    if self.restart {
                        return Ok(());
                    }
                }
            }
        }
    }

    fn log_local(&mut self, change: Local) {
        if let Err(e) = self.local(change) {
            tracing::warn!("local change refused: {e}");
        }
    }

    fn control(&mut self, control: Control) {
        let reply = self.answer(control.request);
        // The client may have given up waiting: nothing to do then.
        let _ = control.reply.send(reply);
    }

    /// The effective configuration: the file with the operator's persisted overrides.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Saves the tree (the event queue is saved on every change): call before exiting.
    pub fn save(&self) -> Result<(), AgentError> {
        self.tree.save(&self.tree_path)?;
        Ok(())
    }

    /// Keeps the Connection Request listener's credentials equal to the tree's
    /// `ConnectionRequestUsername`/`Password`, now and whenever they change.
    pub fn attach_cr_credentials(&mut self, handle: CredentialsHandle) {
        self.cr_credentials = Some(handle);
        self.push_cr_credentials();
    }

    fn push_cr_credentials(&self) {
        let username = self.ms_text("ConnectionRequestUsername");
        let password = self.ms_text("ConnectionRequestPassword");
        if let Some(h) = &self.cr_credentials {
            h.set(&username, &password);
        }
        if let Some(h) = &self.udp {
            h.set_credentials(&username, &password);
        }
    }

    /// Keeps the UDP Connection Request socket's STUN settings and credentials equal to the
    /// tree's `STUN*` and `ConnectionRequest*` parameters, now and whenever they change.
    pub fn attach_udp(&mut self, handle: UdpHandle) {
        self.udp = Some(handle);
        self.push_cr_credentials();
        self.push_stun();
    }

    fn push_stun(&self) {
        if let Some(h) = &self.udp {
            h.set_stun(StunSettings::from_tree(&self.tree, self.config.root()));
        }
    }

    /// After the tree's `ManagementServer.` values may have changed (an ACS session or a local
    /// change), as a SetParameterValues from the ACS would: reschedule the periodic Inform,
    /// take the retry policy, push the Connection Request credentials and STUN settings and,
    /// on a new ACS URL, raise `0 BOOTSTRAP` for an immediate session (§3.7.1.5).
    fn management_changed(&mut self, url_before: &str) -> Result<(), AgentError> {
        let now = self.clock.unix();
        let periodic = self.periodic_from_tree();
        if &periodic != self.scheduler.periodic() {
            tracing::info!(?periodic, "periodic inform changed");
            self.scheduler.set_periodic(periodic, now);
        }
        self.retry.set_policy(self.retry_policy());
        self.push_cr_credentials();
        self.push_stun();
        if self.acs_url() != url_before {
            tracing::info!(url = %self.acs_url(), "ACS URL changed");
            self.queue.acs_url_changed()?;
            self.retry.session_succeeded();
        }
        Ok(())
    }
}

mod control;
mod diagnostics;
mod fetching;
mod params;
mod requests;
mod session;
mod transfers;
mod udp;

pub use params::seed;
