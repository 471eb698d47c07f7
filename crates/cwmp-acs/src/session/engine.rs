//! The session state machine.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use cwmp::rpc::{Inform, InformResponse};
use cwmp::{Body, CwmpVersion, Envelope, EventCode, Fault, FaultCode, Header};
use serde_json::Value as Json;

mod acs_phase;
mod diagnostics;
mod firmware_outcome;
mod preset_phase;
mod recovery;
mod transfers;

use super::cpe::{self, Note};
use super::presets::PresetCache;
use super::results::engine_fault;
use super::types::{Outcome, SessionConfig, SessionError};
use crate::events::{EventBus, EventKind};
use crate::metrics::{Metrics, StoreOp};
use crate::store::{
    DeviceId, DeviceIdentity, InformUpdate, ParamValue, RetryPolicy, SessionRecord, SessionStart,
    Store, Task, Timestamp,
};

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing received yet.
    AwaitingInform,
    /// After the InformResponse: the CPE sends requests until its empty POST.
    CpeRequests,
    /// The ACS sends its requests, one outstanding at a time.
    AcsRequests,
    /// The ACS ended with an empty response while holding the CPE's requests: the CPE may
    /// now send them; its next empty POST ends the session.
    Draining,
    /// Over.
    Done,
}

/// A task being carried out: the request on the wire and what decides the next.
#[derive(Debug)]
struct Running {
    task: Task,
    run: crate::task::TaskRun,
    request: Body,
    id: String,
    result: Json,
}

/// One CWMP session of one device. Feed it every HTTP request body of the session with
/// [`Session::handle`]; call [`Session::close`] when the connection closes or
/// [`Session::is_expired`] says so.
pub struct Session {
    store: Arc<dyn Store>,
    config: SessionConfig,
    ip: Option<String>,
    phase: Phase,
    device: Option<DeviceId>,
    version: CwmpVersion,
    started: Timestamp,
    last_activity: Timestamp,
    last_renewal: Timestamp,
    events: Vec<EventCode>,
    rpc_count: u32,
    /// Requests the CPE sent in this session (bounded by [`MAX_CPE_REQUESTS`]).
    cpe_requests: u32,
    next_id: u64,
    queue: VecDeque<Task>,
    seen: HashSet<String>,
    running: Option<Running>,
    transfers: Vec<(String, u32)>,
    presets: preset_phase::PresetRun,
    bus: EventBus,
    metrics: Arc<Metrics>,
    files: Option<Arc<crate::files::FileService>>,
    preset_cache: Arc<PresetCache>,
    /// The host the CPE reached the CWMP endpoint at (its `Host` header): where it finds
    /// the file server when `file_base_url` is not set.
    reached: Option<String>,
    /// When the due tasks were read with the Inform and none was due; until
    /// [`DUE_READ_FRESH`] later that answer stands for the first look at the queue.
    none_due_at: Option<Timestamp>,
}

/// How long "no task due", read with the Inform, spares reading the tasks again when the
/// CPE hands over: a task queued in between (an API call racing the session) then waits
/// for the next session.
const DUE_READ_FRESH: Duration = Duration::from_secs(1);

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("holder", &self.config.holder)
            .field("phase", &self.phase)
            .field("device", &self.device)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// No automatic retry: for tasks that can never succeed as written.
pub(super) const NO_RETRY: RetryPolicy = RetryPolicy {
    base: Duration::ZERO,
    max_delay: Duration::ZERO,
    max_attempts: 0,
};

/// Most requests a CPE may send in one session; later ones are refused with fault 8004. A
/// CPE has a handful to send (TransferCompletes, GetRPCMethods, …); each may cost a store
/// write, and without a bound one session could keep sending them for ever.
pub const MAX_CPE_REQUESTS: u32 = 64;

/// The event bus and metrics of sessions nobody observes: shared, so that a session costs
/// no channel or registry of its own before [`Session::with_observers`] replaces them.
static UNOBSERVED: LazyLock<(EventBus, Arc<Metrics>)> = LazyLock::new(Default::default);

impl Session {
    /// A new session of a CPE connecting from `ip`, started at `now`.
    pub fn new(
        store: Arc<dyn Store>,
        config: SessionConfig,
        ip: Option<String>,
        now: Timestamp,
    ) -> Session {
        Session {
            preset_cache: Arc::new(PresetCache::new(config.presets.catalog_ttl)),
            none_due_at: None,
            reached: None,
            store,
            config,
            ip,
            phase: Phase::AwaitingInform,
            device: None,
            version: CwmpVersion::V1_0,
            started: now,
            last_activity: now,
            last_renewal: now,
            events: Vec::new(),
            rpc_count: 0,
            cpe_requests: 0,
            next_id: 0,
            queue: VecDeque::new(),
            seen: HashSet::new(),
            running: None,
            transfers: Vec::new(),
            presets: preset_phase::PresetRun::default(),
            bus: UNOBSERVED.0.clone(),
            metrics: Arc::clone(&UNOBSERVED.1),
            files: None,
        }
    }

    /// Publishes this session's events on `events` and counts into `metrics` (by default
    /// they go to a bus and metrics of its own, seen by nobody).
    pub fn with_observers(mut self, events: EventBus, metrics: Arc<Metrics>) -> Session {
        self.bus = events;
        self.metrics = metrics;
        self
    }

    /// Signs the URLs of transfer tasks that name stored files or uploads with `files`
    /// (without it such tasks fault with `invalid_task`).
    pub fn with_files(mut self, files: Option<Arc<crate::files::FileService>>) -> Session {
        self.files = files;
        self
    }

    /// The host the CPE reached the CWMP endpoint at (its HTTP `Host` header), from which
    /// file URLs are derived when `file_base_url` is not configured.
    pub fn with_reached_host(mut self, host: Option<String>) -> Session {
        self.reached = host;
        self
    }

    /// Reads presets through `cache`, shared with the endpoint's other sessions (by default
    /// the session has its own).
    pub fn with_preset_cache(mut self, cache: Arc<PresetCache>) -> Session {
        self.preset_cache = cache;
        self
    }

    /// The device, once the Inform has been accepted.
    pub fn device(&self) -> Option<&DeviceId> {
        self.device.as_ref()
    }

    /// The CWMP version of the session (that of the Inform).
    pub fn version(&self) -> CwmpVersion {
        self.version
    }

    /// The events of the Inform (empty before it).
    pub fn events(&self) -> &[EventCode] {
        &self.events
    }

    /// RPCs exchanged so far, both directions, the Inform included.
    pub fn rpc_count(&self) -> u32 {
        self.rpc_count
    }

    /// True once the session is over.
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// True when no message arrived for longer than the configured timeout.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now > self.last_activity.plus(self.config.timeout)
    }

    /// Command keys and fault codes (0: success) of the TransferCompletes received.
    pub fn transfer_completes(&self) -> &[(String, u32)] {
        &self.transfers
    }

    /// Handles one HTTP request body: `None` for an empty POST.
    pub async fn handle(
        &mut self,
        message: Option<Envelope>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        self.last_activity = now;
        let result = self.dispatch(message, now).await;
        self.settle(result, now).await
    }

    /// Handles a body that was well-formed SOAP but named a method the `cwmp` crate does not
    /// know ([`cwmp::ParseError::is_unknown_method`]); `id` is its `cwmp:ID` if the server
    /// could read it.
    pub async fn handle_unknown_method(
        &mut self,
        name: &str,
        id: Option<String>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        self.last_activity = now;
        let result = match self.phase {
            Phase::AwaitingInform => Err(SessionError::NotInform {
                got: name.to_owned(),
            }),
            Phase::CpeRequests | Phase::Draining => self
                .renew(now)
                .await
                .map(|()| self.reply(id, cpe::method_not_supported(name).into())),
            Phase::AcsRequests => {
                let fault = engine_fault("unexpected_response", format!("got {name}"));
                self.fault_running(fault, NO_RETRY, now).await
            }
            Phase::Done => Err(SessionError::Ended),
        };
        self.settle(result, now).await
    }

    /// Ends the session early (connection closed, timeout): a task in progress goes back to
    /// pending, the lease is released and the session recorded with `reason`.
    pub async fn close(&mut self, reason: &str, now: Timestamp) -> Result<(), SessionError> {
        if matches!(self.phase, Phase::Done | Phase::AwaitingInform) {
            self.phase = Phase::Done;
            return Ok(());
        }
        self.abort(reason, now).await
    }

    async fn settle(
        &mut self,
        result: Result<Outcome, SessionError>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        match result {
            Err(e @ (SessionError::Ended | SessionError::NotInform { .. })) => {
                if self.phase == Phase::AwaitingInform {
                    self.phase = Phase::Done;
                }
                Err(e)
            }
            Err(e) => {
                // Cleanup is best effort: the first error is the one reported.
                let lost = matches!(e, SessionError::LeaseLost);
                let _ = self.abort_inner(&format!("error: {e}"), !lost, now).await;
                Err(e)
            }
            ok => ok,
        }
    }

    async fn dispatch(
        &mut self,
        message: Option<Envelope>,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        match self.phase {
            Phase::AwaitingInform => match message {
                Some(Envelope {
                    version,
                    header,
                    body: Body::Inform(inform),
                }) => self.start(version, header, inform, now).await,
                Some(other) => Err(SessionError::NotInform {
                    got: other.body.name().to_owned(),
                }),
                None => Err(SessionError::NotInform {
                    got: "an empty message".into(),
                }),
            },
            Phase::CpeRequests | Phase::Draining => {
                self.renew(now).await?;
                match message {
                    None if self.phase == Phase::Draining => self.finish("ok", now).await,
                    None => {
                        self.phase = Phase::AcsRequests;
                        self.next_request(now).await
                    }
                    Some(env) if self.cpe_requests >= MAX_CPE_REQUESTS => {
                        self.rpc_count += 1;
                        let fault = Fault::new(
                            FaultCode::ACS_RESOURCES_EXCEEDED,
                            "too many CPE requests in one session",
                        );
                        Ok(self.reply(env.header.id, fault.into()))
                    }
                    Some(env) => {
                        self.cpe_requests += 1;
                        let report = transfers::Report::of(&env.body);
                        let outcome = self.cpe_request(env)?;
                        if let Some(report) = report {
                            self.transfer_reported(report, now).await?;
                        }
                        Ok(outcome)
                    }
                }
            }
            Phase::AcsRequests => {
                self.renew(now).await?;
                self.acs_answer(message, now).await
            }
            Phase::Done => Err(SessionError::Ended),
        }
    }

    /// The Inform: lease, device record, InformResponse.
    async fn start(
        &mut self,
        version: CwmpVersion,
        header: Header,
        inform: Inform,
        now: Timestamp,
    ) -> Result<Outcome, SessionError> {
        let d = &inform.device_id;
        let identity = DeviceIdentity {
            manufacturer: d.manufacturer.clone(),
            oui: d.oui.clone(),
            product_class: d.product_class.clone(),
            serial_number: d.serial_number.clone(),
        };
        let device = identity.device_id();
        self.version = version;
        self.last_renewal = now;
        self.rpc_count += 1;
        self.events = inform.event.iter().map(|e| e.event_code.clone()).collect();
        let find = |suffix: &str| {
            inform
                .parameter_list
                .iter()
                .find(|p| p.name.ends_with(suffix))
                .map(|p| p.value.as_text().into_owned())
        };
        let update = InformUpdate {
            identity,
            time: now,
            events: self.events.clone(),
            ip: self.ip.clone(),
            connection_request_url: find(".ManagementServer.ConnectionRequestURL"),
            udp_connection_request_address: find(".ManagementServer.UDPConnectionRequestAddress"),
            parameters: inform
                .parameter_list
                .iter()
                .map(|p| ParamValue {
                    path: p.name.clone(),
                    value: p.value.clone(),
                })
                .collect(),
        };
        let evidence = crate::task::keys::Evidence::of(&inform);
        let timer = std::time::Instant::now();
        let begun = self
            .store
            .begin_session(SessionStart {
                holder: self.config.holder.clone(),
                lease_ttl: self.config.lease_ttl,
                inform: update,
            })
            .await?;
        self.metrics
            .store_op(StoreOp::BeginSession, timer.elapsed());
        let Some(begun) = begun else {
            self.phase = Phase::Done;
            return Ok(Outcome::Busy {
                retry_after: self.config.busy_retry_after,
            });
        };
        // Holding the lease, no other session of the device is alive: tasks that were still
        // marked running were left by one that died with its server (crash, kill) before
        // the CPE answered. They run again, once, in this session.
        if begun.requeued > 0 {
            let orphans = begun.requeued;
            tracing::warn!(%device, orphans, "re-queued tasks left running by a dead session");
        }
        self.device = Some(device.clone());
        self.phase = Phase::CpeRequests;
        let due = self.recover(&device, begun.due, &evidence, now).await?;
        if due.is_empty() {
            self.none_due_at = Some(now);
        }
        self.queue = due.into();
        if self.events.contains(&EventCode::DiagnosticsComplete) {
            self.read_back_diagnostics(&device).await?;
        }
        self.presets.prefetch(begun.preset_states, begun.faults);
        let events = self
            .events
            .iter()
            .map(|e| e.as_str().into_owned())
            .collect();
        self.bus.publish(&device, EventKind::Inform { events });
        Ok(self.reply(header.id, InformResponse { max_envelopes: 1 }.into()))
    }

    /// A message in the CPE-requests phase.
    fn cpe_request(&mut self, env: Envelope) -> Result<Outcome, SessionError> {
        let id = env.header.id.clone();
        if let Body::Inform(_) = env.body {
            // TR-069 §3.7.1.1: the CPE sends exactly one Inform per session.
            self.rpc_count += 1;
            let fault = Fault::new(
                FaultCode::ACS_INVALID_ARGUMENTS,
                "only one Inform per session",
            );
            return Ok(self.reply(id, fault.into()));
        }
        if !env.body.is_request() {
            return Err(SessionError::Protocol(format!(
                "{} while the ACS has no request outstanding",
                env.body.name()
            )));
        }
        self.rpc_count += 1;
        let body = match cpe::answer(&env.body) {
            Some((body, note)) => {
                if let Note::TransferComplete { command_key, fault } = note {
                    self.transfers.push((command_key, fault));
                }
                body
            }
            None => cpe::method_not_supported(env.body.name()).into(),
        };
        Ok(self.reply_in_closest_version(id, body))
    }

    /// A reply to a CPE request in the session's version, or, when that version lacks the
    /// response (a CPE sending AutonomousTransferComplete in a cwmp-1-0 envelope), in the
    /// closest later one that has it; fault 8000 when none has. Whatever a CPE sends, it
    /// gets an answer, never an HTTP 500.
    fn reply_in_closest_version(&self, id: Option<String>, body: Body) -> Outcome {
        let mut env = self.envelope(id.clone(), body);
        if env.validate().is_ok() {
            return Outcome::Reply(Box::new(env));
        }
        for version in CwmpVersion::ALL.into_iter().filter(|v| *v > self.version) {
            env.version = version;
            if env.validate().is_ok() {
                return Outcome::Reply(Box::new(env));
            }
        }
        let name = env.body.name().trim_end_matches("Response").to_owned();
        self.reply(id, cpe::method_not_supported(&name).into())
    }

    async fn finish(&mut self, outcome: &str, now: Timestamp) -> Result<Outcome, SessionError> {
        let device = self.device_id()?;
        self.phase = Phase::Done;
        self.store
            .end_session(&self.config.holder, self.record(outcome, now))
            .await?;
        self.publish_end(&device, outcome);
        Ok(Outcome::End)
    }

    async fn abort(&mut self, reason: &str, now: Timestamp) -> Result<(), SessionError> {
        self.abort_inner(reason, true, now).await
    }

    async fn abort_inner(
        &mut self,
        reason: &str,
        release: bool,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.phase = Phase::Done;
        let Some(device) = self.device.clone() else {
            return Ok(());
        };
        if self.running.take().is_some() {
            self.store.requeue_running_tasks(&device).await?;
        }
        let record = self.record(reason, now);
        if release {
            self.store.end_session(&self.config.holder, record).await?;
        } else {
            self.store.record_session(record).await?;
        }
        self.publish_end(&device, reason);
        Ok(())
    }

    /// The event bus.
    pub(super) fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// The metrics.
    pub(super) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn publish_end(&self, device: &DeviceId, outcome: &str) {
        let outcome = outcome.to_owned();
        self.bus.publish(device, EventKind::SessionEnd { outcome });
    }

    fn record(&self, outcome: &str, now: Timestamp) -> SessionRecord {
        SessionRecord {
            device: self
                .device
                .clone()
                .unwrap_or_else(|| DeviceId::from_escaped("")),
            started: self.started,
            ended: now,
            events: self.events.clone(),
            rpc_count: self.rpc_count,
            outcome: outcome.to_owned(),
        }
    }

    /// Renews the lease when a third of its lifetime has passed.
    async fn renew(&mut self, now: Timestamp) -> Result<(), SessionError> {
        if now < self.last_renewal.plus(self.config.lease_ttl / 3) {
            return Ok(());
        }
        let device = self.device_id()?;
        if !self
            .store
            .renew_lease(&device, &self.config.holder, self.config.lease_ttl)
            .await?
        {
            return Err(SessionError::LeaseLost);
        }
        self.last_renewal = now;
        Ok(())
    }

    fn device_id(&self) -> Result<DeviceId, SessionError> {
        self.device
            .clone()
            .ok_or_else(|| SessionError::Protocol("no Inform yet".into()))
    }

    /// A reply to a CPE message, echoing its cwmp:ID.
    fn reply(&self, id: Option<String>, body: Body) -> Outcome {
        Outcome::Reply(Box::new(self.envelope(id, body)))
    }

    /// The envelope of a reply to a CPE message, in the session's version.
    fn envelope(&self, id: Option<String>, body: Body) -> Envelope {
        let header = Header {
            id,
            hold_requests: (self.config.hold_requests && self.phase != Phase::Draining)
                .then_some(true),
            ..Header::default()
        };
        Envelope::new(self.version, header, body)
    }
}
