//! One session of one virtual CPE: the device is taken out of the fleet, the CPE session
//! state machine of `cwmp-cpe` ([`Session`]) is driven over HTTP by its transport with a
//! [`FaultTap`] on the wire, the device methods the ACS asked for are carried out (a Download
//! is fetched for real and its size checked; the bytes are dropped), and the device goes back
//! with the time of its next session.

use std::time::{Duration, Instant};

use cwmp::event::MethodEvent;
use cwmp::rpc::{TransferComplete, TransferCompleteFaultStruct};
use cwmp::{Body, CwmpVersion, DateTime, EventCode};
use cwmp_cpe::session::{Context, Options};
use cwmp_cpe::transfer::{Limits, fetch_discard};
use cwmp_cpe::transport::{
    Credentials, TcpConnector, TransportError, TransportOptions, run_session_tapped,
};
use cwmp_cpe::{CpeRequest, Effect, RetryPolicy, Session};
use cwmp_datamodel::NoBackend;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::device::Device;
use crate::faults::{FaultKind, FaultTap};
use crate::fleet::Fleet;

/// Why a session is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The device is due (periodic, reboot, retry…) or the load mode took it.
    Due,
    /// A Connection Request arrived for it (`6 CONNECTION REQUEST`).
    ConnectionRequest,
    /// A value under active notification changed (`4 VALUE CHANGE`).
    ValueChange,
}

/// A session to run.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// The device.
    pub index: u32,
    /// Why.
    pub reason: Reason,
    /// The fault to inject, if any.
    pub fault: Option<FaultKind>,
    /// Seed of the session's randomness (jitter, retry wait).
    pub seed: u64,
}

/// Settings every session shares.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// The ACS URL.
    pub acs_url: String,
    /// Credentials towards the ACS, if it asks.
    pub credentials: Option<Credentials>,
    /// Transport limits and whole-session timeout.
    pub transport: TransportOptions,
    /// CWMP version of the Inform.
    pub version: CwmpVersion,
    /// How late a `slow` session sends each message.
    pub slow_delay: Duration,
    /// Time a reboot, factory reset or transfer takes.
    pub reboot_delay: Duration,
    /// Periodic Informs come at the interval times 1 ± this fraction (uniform).
    pub jitter: f64,
}

/// Why a session failed: a class for the report, the detail for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `connect`, `timeout`, `http_503`, `dropped`, …
    pub class: String,
    /// The error.
    pub detail: String,
}

/// What a session did.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The device.
    pub index: u32,
    /// Why it ran.
    pub reason: Reason,
    /// Success, or why not.
    pub outcome: Result<(), Failure>,
    /// From the first connection attempt to the end.
    pub elapsed: Duration,
    /// HTTP requests sent (a lower bound when the session failed).
    pub http_requests: usize,
    /// The ACS's requests, by method name.
    pub rpcs: Vec<&'static str>,
    /// State-changing requests received (with a key).
    pub state_changes: u32,
    /// Of those, the ones this device had received before (same method and key): sent twice.
    pub repeated_changes: u32,
    /// The event codes of the Inform (empty if it never left: no connection).
    pub events: Vec<String>,
    /// The fault injected, if it was.
    pub fault: Option<FaultKind>,
    /// When the device wants its next session (`None`: only on a Connection Request).
    pub next_in: Option<Duration>,
}

/// The report class of a transport error.
pub fn classify(e: &TransportError) -> String {
    match e {
        TransportError::Url(_) | TransportError::Scheme(_) => "config".into(),
        TransportError::Connect { .. } => "connect".into(),
        TransportError::Tls { .. } => "tls".into(),
        TransportError::Http(_) => "http".into(),
        TransportError::Status(code) | TransportError::RetryAfter { status: code, .. } => {
            format!("http_{code}")
        }
        TransportError::Auth(_) => "auth".into(),
        TransportError::Redirects => "redirects".into(),
        TransportError::TooLarge(_) => "too_large".into(),
        TransportError::Parse(_) => "bad_message".into(),
        TransportError::Write(_) => "write".into(),
        TransportError::Timeout(_) => "timeout".into(),
        TransportError::Session(_) => "session".into(),
        TransportError::Aborted(_) => "dropped".into(),
    }
}

/// Runs `job`; `None` if its device is already in a session.
pub async fn run(fleet: &Fleet, settings: &SessionSettings, job: Job) -> Option<Finished> {
    let mut device = fleet.take(job.index)?;
    let mut rng = StdRng::seed_from_u64(job.seed);
    match job.reason {
        Reason::ConnectionRequest => raise(&mut device, EventCode::ConnectionRequest, ""),
        Reason::Due if device.queue.is_empty() => raise(&mut device, EventCode::Periodic, ""),
        Reason::Due | Reason::ValueChange => {}
    }
    let mut tap = FaultTap::new(job.fault, settings.slow_delay);
    let started = Instant::now();
    let mut backend = NoBackend;
    let options = Options {
        version: settings.version,
        ..Options::default()
    };
    let ctx = Context {
        tree: &mut device.tree,
        backend: &mut backend,
        queue: &mut device.queue,
        requests: &mut device.requests,
    };
    let (mut session, first) = Session::start(
        ctx,
        &options,
        fleet.device_id(job.index),
        device.failures,
        DateTime::now_utc(),
    );
    let events = match &first.body {
        Body::Inform(i) => i.event.iter().map(|e| e.event_code.to_string()).collect(),
        _ => Vec::new(),
    };
    let result = run_session_tapped(
        &TcpConnector,
        &settings.acs_url,
        settings.credentials.as_ref(),
        &mut session,
        first,
        &settings.transport,
        &mut tap,
    )
    .await;
    let effects = session.take_effects();
    drop(session);
    let elapsed = started.elapsed();
    let rpcs = tap.take_rpcs();
    let changes = tap.take_state_changes();
    let state_changes = u32::try_from(changes.len()).unwrap_or(u32::MAX);
    let repeated_changes = device.record_changes(changes);
    if repeated_changes > 0 {
        tracing::warn!(serial = %fleet.serial(job.index), repeated_changes, "the ACS sent a state change twice");
    }
    let events = if matches!(result, Err(TransportError::Connect { .. })) {
        Vec::new()
    } else {
        events
    };
    let (outcome, http_requests, next_in) = match result {
        Ok(r) => {
            device.failures = 0;
            let downloads = fetch_downloads(settings, &effects).await;
            let next = after_success(
                fleet,
                settings,
                job.index,
                &mut device,
                effects,
                downloads,
                &mut rng,
            );
            (Ok(()), r.requests, next)
        }
        Err(e) => {
            device.failures = device.failures.saturating_add(1);
            let backoff = RetryPolicy::default().wait(device.failures, &mut rng);
            // The ACS's Retry-After is a floor; spread over half as much again, so that a
            // fleet refused at once does not come back at once.
            let wait = match e.retry_after() {
                Some(after) => {
                    let spread = rng.random_range(0..=after.as_millis() / 2);
                    backoff.max(after + Duration::from_millis(u64::try_from(spread).unwrap_or(0)))
                }
                None => backoff,
            };
            let failure = Failure {
                class: classify(&e),
                detail: e.to_string(),
            };
            tracing::debug!(serial = %fleet.serial(job.index), "session failed: {e}");
            // Without a connection no request went out; otherwise the Inform and one
            // answer per ACS request at least.
            let sent = match e {
                TransportError::Connect { .. } => 0,
                _ => rpcs.len() + 1,
            };
            (Err(failure), sent, Some(wait))
        }
    };
    fleet.put(job.index, device);
    Some(Finished {
        index: job.index,
        reason: job.reason,
        outcome,
        elapsed,
        http_requests,
        rpcs,
        state_changes,
        repeated_changes,
        events,
        fault: tap.injected(),
        next_in,
    })
}

fn raise(device: &mut Device, code: EventCode, key: &str) {
    if let Err(e) = device.queue.raise(code, key) {
        tracing::warn!("queueing an event: {e}");
    }
}

/// Carries out what the ACS asked for; returns when the next session is due.
fn after_success(
    fleet: &Fleet,
    settings: &SessionSettings,
    index: u32,
    device: &mut Device,
    effects: Vec<Effect>,
    downloads: Vec<Report>,
    rng: &mut StdRng,
) -> Option<Duration> {
    let mut downloads = downloads.into_iter();
    let mut next = periodic_wait(fleet, settings, device, rng);
    let mut soon = |d: Duration| next = Some(next.map_or(d, |n| n.min(d)));
    let (mut reboot, mut reset) = (false, false);
    for effect in effects {
        match effect {
            Effect::Reboot { .. } => reboot = true,
            Effect::FactoryReset => reset = true,
            Effect::ScheduleInform {
                delay_seconds,
                command_key,
            } => {
                raise(device, EventCode::Scheduled, "");
                raise(
                    device,
                    EventCode::Method(MethodEvent::ScheduleInform),
                    &command_key,
                );
                soon(Duration::from_secs(u64::from(delay_seconds)));
            }
            Effect::Download(d) => {
                let report = downloads.next().unwrap_or_else(Report::at_once);
                transfer_done(device, MethodEvent::Download, d.command_key, report);
                soon(settings.reboot_delay);
            }
            Effect::Upload(u) => {
                transfer_done(
                    device,
                    MethodEvent::Upload,
                    u.command_key,
                    Report::at_once(),
                );
                soon(settings.reboot_delay);
            }
        }
    }
    run_diagnostics(fleet, device, rng);
    if reset {
        match fleet.factory_tree(index) {
            Ok(tree) => device.tree = tree,
            Err(e) => tracing::warn!("factory reset: {e}"),
        }
        if let Err(e) = device.queue.factory_reset() {
            tracing::warn!("factory reset: {e}");
        }
    }
    if reset || reboot {
        if let Err(e) = device.queue.rebooted() {
            tracing::warn!("reboot: {e}");
        }
        return Some(settings.reboot_delay);
    }
    if device.queue.has_unsent() || !device.requests.is_empty() {
        return Some(Duration::ZERO);
    }
    next
}

/// Diagnostics the session requested (`DiagnosticsState = Requested`) answer at once with
/// made-up but plausible results (no probe leaves the simulator); each raises
/// `8 DIAGNOSTICS COMPLETE` for the next session.
fn run_diagnostics(fleet: &Fleet, device: &mut Device, rng: &mut StdRng) {
    let root = fleet.model().root;
    for job in cwmp_cpe::diagnostics::requested(&device.tree, root) {
        let results =
            cwmp_cpe::diagnostics::simulated::simulated(&job, std::time::SystemTime::now(), rng);
        if cwmp_cpe::diagnostics::apply(&mut device.tree, &job, &results) {
            raise(device, EventCode::DiagnosticsComplete, "");
        }
    }
}

/// How a transfer the ACS asked for ended, for its TransferComplete.
struct Report {
    fault_struct: TransferCompleteFaultStruct,
    start_time: DateTime,
    complete_time: DateTime,
}

impl Report {
    /// Done at once, successfully (an Upload: nothing is sent).
    fn at_once() -> Report {
        let now = DateTime::now_utc();
        Report {
            fault_struct: TransferCompleteFaultStruct::success(),
            start_time: now,
            complete_time: now,
        }
    }
}

/// Largest file a virtual CPE fetches when the Download gives no FileSize.
const MAX_DOWNLOAD: u64 = 64 * 1024 * 1024;

/// Fetches every file the ACS asked the device to download, for real (the bytes are
/// dropped), checking the announced FileSize: one report per Download, in order.
async fn fetch_downloads(settings: &SessionSettings, effects: &[Effect]) -> Vec<Report> {
    let mut reports = Vec::new();
    for effect in effects {
        let Effect::Download(d) = effect else {
            continue;
        };
        let credentials =
            (!d.username.is_empty()).then(|| Credentials::new(&d.username, &d.password));
        let start_time = DateTime::now_utc();
        let result = fetch_discard(
            &TcpConnector,
            &d.url,
            credentials.as_ref(),
            Some(u64::from(d.file_size)),
            Limits {
                max_size: MAX_DOWNLOAD,
                timeout: settings.transport.timeout,
            },
        )
        .await;
        let fault_struct = match result {
            Ok(_) => TransferCompleteFaultStruct::success(),
            Err(e) => {
                tracing::debug!(url = %d.url, "download failed: {e}");
                let text: String = e.to_string().chars().take(256).collect();
                TransferCompleteFaultStruct::fault(e.fault_code(true), text)
            }
        };
        reports.push(Report {
            fault_struct,
            start_time,
            complete_time: DateTime::now_utc(),
        });
    }
    reports
}

/// A transfer the ACS asked for ended: `7 TRANSFER COMPLETE`, `M Download` or `M Upload`,
/// and a TransferComplete for the next session.
fn transfer_done(device: &mut Device, method: MethodEvent, command_key: String, report: Report) {
    raise(device, EventCode::TransferComplete, "");
    raise(device, EventCode::Method(method), &command_key);
    device
        .requests
        .push(CpeRequest::TransferComplete(TransferComplete {
            command_key,
            fault_struct: report.fault_struct,
            start_time: report.start_time,
            complete_time: report.complete_time,
        }));
}

/// The PeriodicInformInterval with jitter, `None` when periodic Informs are off.
fn periodic_wait(
    fleet: &Fleet,
    settings: &SessionSettings,
    device: &Device,
    rng: &mut StdRng,
) -> Option<Duration> {
    let model = fleet.model();
    let text = |name: &str| {
        device
            .tree
            .stored_value(&model.management_server(name))
            .map(|v| v.as_text().into_owned())
    };
    if text("PeriodicInformEnable").is_some_and(|v| v == "false" || v == "0") {
        return None;
    }
    let interval: f64 = text("PeriodicInformInterval")
        .and_then(|v| v.parse().ok())
        .filter(|i: &f64| *i >= 1.0)
        .unwrap_or(86_400.0);
    let j = settings.jitter.clamp(0.0, 1.0);
    let factor = if j > 0.0 {
        rng.random_range(1.0 - j..=1.0 + j)
    } else {
        1.0
    };
    Some(Duration::from_secs_f64(interval * factor))
}
