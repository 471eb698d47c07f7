//! A run of the simulator: the fleet is built ([`Simulator::prepare`]), then the scheduler
//! ([`Simulator::run`]) starts sessions as the load mode allows, feeds Connection Requests and
//! value changes in, counts every finished session and stops by itself (duration, session
//! count, or [`Stopper::stop`]), letting the running sessions end first.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cwmp::CwmpVersion;
use cwmp_cpe::EventQueue;
use cwmp_cpe::conn_request::{DigestAuth, DigestConfig};
use cwmp_cpe::transport::{Credentials, TransportOptions};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tokio::sync::{Notify, mpsc};

use crate::cr_listener::CrListener;
use crate::faults::FaultShares;
use crate::fleet::Fleet;
use crate::load::Pacing;
use crate::model::{FleetModel, ModelSettings, ModelSource};
use crate::proc_self::ProcSelf;
use crate::progress::Progress;
use crate::report::Report;
use crate::scheduler::Scheduler;
use crate::serial::SerialPattern;
use crate::session::SessionSettings;
use crate::stats::Stats;
use crate::target::check_acs_url;
use crate::workers::Workers;

/// Most devices in one process.
pub const MAX_DEVICES: u32 = 10_000_000;
/// Time the running sessions get to finish after the stop, beyond the session timeout.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Longest wait of the scheduler between two looks at the clock.
pub(crate) const TICK: Duration = Duration::from_millis(250);

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The ACS URL.
    pub acs_url: String,
    /// Hosts besides loopback the ACS may be on.
    pub allow_hosts: Vec<String>,
    /// Number of devices.
    pub devices: u32,
    /// How sessions are started.
    pub pacing: Pacing,
    /// Most sessions at once.
    pub concurrency: usize,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after starting this many sessions.
    pub max_sessions: Option<u64>,
    /// The device model.
    pub model: ModelSource,
    /// Directory of data-model XML files to load instead of the built-in models.
    pub schema_dir: Option<PathBuf>,
    /// Serial numbers.
    pub serials: SerialPattern,
    /// DeviceInfo.ManufacturerOUI, if overridden.
    pub oui: Option<String>,
    /// DeviceInfo.ProductClass, if overridden.
    pub product_class: Option<String>,
    /// PeriodicInformInterval until the ACS sets one, if overridden.
    pub inform_interval: Option<u32>,
    /// Periodic jitter, a fraction of the interval.
    pub jitter: f64,
    /// First sessions spread uniformly over this time.
    pub boot_spread: Duration,
    /// Connection Request listener address (`None`: no listener).
    pub cr_listen: Option<SocketAddr>,
    /// ConnectionRequestUsername and Password of every device.
    pub cr_credentials: (String, String),
    /// Credentials towards the ACS.
    pub acs_credentials: Option<Credentials>,
    /// Fault injection.
    pub faults: FaultShares,
    /// Local value changes per second, fleet-wide.
    pub value_changes_per_s: f64,
    /// The parameter changed (default `{root}DeviceInfo.ProvisioningCode`).
    pub value_change_param: Option<String>,
    /// Time a reboot takes.
    pub reboot_delay: Duration,
    /// Whole-session timeout.
    pub session_timeout: Duration,
    /// Session worker threads.
    pub threads: usize,
    /// Seed of the run's randomness (`None`: from the OS).
    pub seed: Option<u64>,
    /// CWMP version of the Informs.
    pub version: CwmpVersion,
    /// The devices were bootstrapped before: none starts with `0 BOOTSTRAP` + `1 BOOT`.
    pub known: bool,
    /// Outage storm: every device starts with `1 BOOT` only (known to the ACS), and the run
    /// ends once each has completed a session.
    pub storm: bool,
}

impl SimConfig {
    /// Defaults for `devices` devices against `acs_url`: periodic pacing, 256 concurrent
    /// sessions at most, TR-181, `SIM{n:08}`, CR listener on a random loopback port, 60 s.
    pub fn new(acs_url: impl Into<String>, devices: u32) -> Self {
        SimConfig {
            acs_url: acs_url.into(),
            allow_hosts: Vec::new(),
            devices,
            pacing: Pacing::Periodic,
            concurrency: 256,
            duration: Some(Duration::from_secs(60)),
            max_sessions: None,
            model: ModelSource::Tr181,
            schema_dir: None,
            serials: SerialPattern::default(),
            oui: None,
            product_class: None,
            inform_interval: None,
            jitter: 0.1,
            boot_spread: Duration::ZERO,
            cr_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            cr_credentials: ("sim".into(), "sim".into()),
            acs_credentials: None,
            faults: FaultShares::default(),
            value_changes_per_s: 0.0,
            value_change_param: None,
            reboot_delay: Duration::from_secs(3),
            session_timeout: Duration::from_secs(30),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            seed: None,
            version: CwmpVersion::V1_2,
            known: false,
            storm: false,
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The ACS URL is refused.
    #[error(transparent)]
    Target(#[from] crate::target::TargetError),
    /// The model could not be built.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// A device could not be built.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// A socket or thread could not be created.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

/// Stops a run from outside (Ctrl-C, a test).
#[derive(Debug, Clone, Default)]
pub struct Stopper(Arc<Notify>);

impl Stopper {
    /// Asks the run to stop: no new session, the running ones end.
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// A built fleet, ready to run.
#[derive(Debug)]
pub struct Simulator {
    config: SimConfig,
    fleet: Arc<Fleet>,
    cr: Option<CrListener>,
    cr_rx: mpsc::UnboundedReceiver<u32>,
    fleet_bytes_per_device: u64,
    stopper: Stopper,
}

impl Simulator {
    /// Checks the target, binds the Connection Request listener and builds the fleet.
    pub async fn prepare(config: SimConfig) -> Result<Simulator, SimError> {
        check_acs_url(&config.acs_url, &config.allow_hosts)?;
        if config.devices == 0 || config.devices > MAX_DEVICES {
            return Err(SimError::Config(format!(
                "--devices must be from 1 to {MAX_DEVICES}"
            )));
        }
        if config.concurrency == 0 {
            return Err(SimError::Config("--concurrency must be at least 1".into()));
        }
        if config.duration.is_none() && config.max_sessions.is_none() {
            return Err(SimError::Config(
                "give --duration or --sessions: a run must end by itself".into(),
            ));
        }
        let (cr_tx, cr_rx) = mpsc::unbounded_channel();
        let cr = match config.cr_listen {
            Some(addr) => {
                let digest = DigestConfig {
                    username: config.cr_credentials.0.clone(),
                    password: config.cr_credentials.1.clone(),
                    ..DigestConfig::default()
                };
                let auth = DigestAuth::new(digest, StdRng::from_os_rng());
                let listener =
                    CrListener::bind(addr, auth, config.serials.clone(), config.devices, cr_tx)
                        .await
                        .map_err(|source| SimError::Io {
                            what: "binding the Connection Request listener",
                            source,
                        })?;
                Some(listener)
            }
            None => None,
        };
        let model = FleetModel::build(&ModelSettings {
            source: config.model.clone(),
            schema_dir: config.schema_dir.clone(),
            acs_url: config.acs_url.clone(),
            inform_interval: config.inform_interval,
            cr_credentials: config.cr_credentials.clone(),
            oui: config.oui.clone(),
            product_class: config.product_class.clone(),
        })?;
        for s in model.skipped.iter().take(5) {
            tracing::warn!("model: {s} is not in the schema; left out");
        }
        for r in model.rejected.iter().take(5) {
            tracing::warn!("model: value refused: {r}");
        }
        let before = ProcSelf::read().rss_bytes;
        let fleet = Fleet::build(
            model,
            config.serials.clone(),
            config.devices,
            cr.as_ref().map(CrListener::url_base),
        )?;
        let after = ProcSelf::read().rss_bytes;
        if config.known || config.storm {
            for i in 0..fleet.len() {
                fleet.with_idle(i, |d| {
                    d.queue = EventQueue::in_memory();
                    if config.storm
                        && let Err(e) = d.queue.raise(cwmp::EventCode::Boot, "")
                    {
                        tracing::warn!("queueing 1 BOOT: {e}");
                    }
                });
            }
        }
        Ok(Simulator {
            fleet_bytes_per_device: after.saturating_sub(before) / u64::from(config.devices),
            config,
            fleet: Arc::new(fleet),
            cr,
            cr_rx,
            stopper: Stopper::default(),
        })
    }

    /// The fleet.
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Resident memory the fleet took when built, per device.
    pub fn fleet_bytes_per_device(&self) -> u64 {
        self.fleet_bytes_per_device
    }

    /// The Connection Request URL prefix the devices publish.
    pub fn cr_url_base(&self) -> Option<String> {
        self.cr.as_ref().map(CrListener::url_base)
    }

    /// A handle that stops the run.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Runs until the duration or session count is reached, or [`Stopper::stop`].
    pub async fn run(self) -> Result<Report, SimError> {
        let Simulator {
            config,
            fleet,
            cr,
            mut cr_rx,
            fleet_bytes_per_device,
            stopper,
        } = self;
        let settings = Arc::new(SessionSettings {
            acs_url: config.acs_url.clone(),
            credentials: config.acs_credentials.clone(),
            transport: TransportOptions {
                timeout: config.session_timeout,
                ..TransportOptions::default()
            },
            version: config.version,
            slow_delay: config.faults.slow_delay,
            reboot_delay: config.reboot_delay,
            jitter: config.jitter,
        });
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let workers =
            Workers::start(config.threads, fleet.clone(), settings, done_tx).map_err(|source| {
                SimError::Io {
                    what: "starting the session workers",
                    source,
                }
            })?;
        let stats = Stats::new().map_err(|e| SimError::Config(e.to_string()))?;
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let mut s = Scheduler::new(&config, fleet.clone(), workers, stats, rng);
        let progress = Progress::new();
        let stop_signal = stopper.0.notified();
        tokio::pin!(stop_signal);
        let start = Instant::now();
        let mut stopping_since: Option<Instant> = None;
        let grace = config.session_timeout + STOP_GRACE;
        loop {
            let now = start.elapsed();
            if stopping_since.is_none() && s.should_stop(now) {
                stopping_since = Some(Instant::now());
            }
            if let Some(since) = stopping_since {
                if s.active == 0 {
                    break;
                }
                if since.elapsed() > grace {
                    tracing::warn!("{} sessions still running at the stop", s.active);
                    break;
                }
            } else {
                s.value_changes(now);
                s.start_sessions(now);
            }
            progress.update(&s.stats, s.active, now);
            let wake = if stopping_since.is_some() {
                TICK
            } else {
                s.next_wake(now)
            };
            tokio::select! {
                Some(f) = done_rx.recv() => {
                    s.finished(f, start.elapsed());
                    while let Ok(f) = done_rx.try_recv() {
                        s.finished(f, start.elapsed());
                    }
                }
                Some(index) = cr_rx.recv() => s.connection_request(index),
                _ = &mut stop_signal, if stopping_since.is_none() => {
                    stopping_since = Some(Instant::now());
                }
                _ = tokio::time::sleep(wake) => {}
            }
        }
        progress.finish();
        let elapsed = start.elapsed();
        drop(cr);
        let all_booted = s.all_booted_at();
        let Scheduler { workers, stats, .. } = s;
        workers.shutdown();
        let mut report = Report::new(
            config.devices,
            mode_name(&config),
            &stats,
            elapsed,
            ProcSelf::read(),
            fleet_bytes_per_device,
        );
        report.all_booted_s = all_booted.map(|d| (d.as_secs_f64() * 1000.0).round() / 1000.0);
        Ok(report)
    }
}

fn mode_name(c: &SimConfig) -> String {
    if c.storm {
        return format!(
            "storm: every device boots within {} s, concurrency {}",
            c.boot_spread.as_secs_f64(),
            c.concurrency
        );
    }
    match c.pacing {
        Pacing::Periodic => format!("periodic, concurrency {}", c.concurrency),
        Pacing::FlatOut => format!("as fast as possible, concurrency {}", c.concurrency),
        Pacing::Rate(r) => format!("rate {r}/s, concurrency {}", c.concurrency),
        Pacing::Ramp { from, to, over } => format!(
            "ramp {from}/s to {to}/s over {} s, concurrency {}",
            over.as_secs_f64(),
            c.concurrency
        ),
    }
}
