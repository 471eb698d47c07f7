//! The CWMP endpoint: a hyper 1 HTTP/1.1 server (our own accept loop, keep-alive, header
//! read timeout, title-case headers for old CPEs) that feeds each POST to the session it
//! belongs to.
//!
//! Sessions are found by the `session` cookie the ACS sets on the InformResponse and kept in
//! a map with their last activity; a background task closes those that time out. A request
//! without a known cookie must carry an Inform and opens a new session, unless the number
//! of sessions in progress has reached the configured maximum: then it is refused with 503
//! and `Retry-After`, while sessions in progress go on. A session ends when the connection
//! that carries it closes ([`connection`]), and a new Inform of a device whose session here
//! is idle takes its place (the CPE started over).
//!
//! With [`CwmpEndpoint::serve_tls`] every connection is TLS: the handshake runs in the
//! connection's own task, bounded by the header read timeout, and whether a request came
//! over TLS (`secure`) is passed down to the session.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cwmp::{Body, Limits};
use hyper::body::Incoming;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{Instrument as _, Span};

mod connection;
mod exchange;

use connection::{Conn, serve_connection};
use exchange::Opening;

use super::accept;
use super::auth_gate::{self, AuthContext};
use super::request::{self, Message};
use super::response::{self, Resp, retry_after};
use super::session_table::{ConnId, Entry, SessionTable};
use crate::config::Config;
use crate::cpe_auth::CpeAuth;
use crate::events::EventBus;
use crate::files::FileService;
use crate::metrics::Metrics;
use crate::session::SessionConfig;
use crate::session::presets::PresetCache;
use crate::session_log::{self, SessionLines, SessionLog};
use crate::store::{DeviceId, Store, Timestamp};

/// Settings of the endpoint.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Template of each session's settings; `holder` is replaced by `<node>/<session id>`.
    pub session: SessionConfig,
    /// Node name, prefix of lease holders.
    pub node: String,
    /// XML limits.
    pub limits: Limits,
    /// Longest request body, before and after decompression.
    pub max_body_bytes: usize,
    /// Most sessions in progress.
    pub max_sessions: usize,
    /// `Retry-After` for new sessions refused under overload.
    pub overload_retry_after: Duration,
    /// Time allowed for the request headers.
    pub header_read_timeout: Duration,
    /// How often expired sessions are looked for.
    pub reap_interval: Duration,
    /// How long a session outlives the connection that carried it (0: it ends with it).
    pub reconnect_grace: Duration,
    /// Which sessions get their `session finished` line.
    pub session_lines: SessionLines,
    /// Time between summary lines of session counts (zero: none).
    pub summary_every: Duration,
}

impl EndpointConfig {
    /// The endpoint settings of a server configuration.
    pub fn from_config(config: &Config) -> EndpointConfig {
        let mut session = SessionConfig::new(config.node_name.clone());
        session.timeout = config.session_timeout();
        session.lease_ttl = session.timeout.saturating_mul(2);
        session.busy_retry_after = Duration::from_secs(config.busy_retry_after_secs);
        session.presets.file_base_url = config.file_base_url.clone();
        session.presets.cr_credentials_on_bootstrap = config.cr_credentials_on_bootstrap;
        session.presets.catalog_ttl = Duration::from_millis(config.preset_cache_ms);
        session.transfer_timeout = Duration::from_secs(config.transfer_timeout_secs);
        session.scripts = config.scripts.clone();
        EndpointConfig {
            reap_interval: (session.timeout / 4)
                .clamp(Duration::from_millis(100), Duration::from_secs(5)),
            session,
            node: config.node_name.clone(),
            limits: config.limits(),
            max_body_bytes: config.max_body_bytes,
            max_sessions: config.max_sessions,
            overload_retry_after: Duration::from_secs(config.overload_retry_after_secs),
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            reconnect_grace: Duration::from_millis(config.session_reconnect_grace_ms),
            session_lines: config.session_log,
            summary_every: Duration::from_secs(config.log_summary_secs),
        }
    }
}

/// The CWMP endpoint. Cheap to clone.
#[derive(Clone)]
pub struct CwmpEndpoint {
    shared: Arc<Shared>,
}

struct Shared {
    store: Arc<dyn Store>,
    config: EndpointConfig,
    sessions: Arc<SessionTable>,
    auth: Arc<CpeAuth>,
    events: EventBus,
    metrics: Arc<Metrics>,
    files: Option<Arc<FileService>>,
    presets: Arc<PresetCache>,
    session_log: SessionLog,
}

/// What an endpoint needs beside its store and config; the default is open CPE
/// authentication, a private event bus and private metrics.
pub struct EndpointParts {
    /// How CPEs authenticate.
    pub auth: Arc<CpeAuth>,
    /// Where sessions publish what happens.
    pub events: EventBus,
    /// Where sessions count.
    pub metrics: Arc<Metrics>,
    /// Stored files, for the signed URLs of transfer tasks (none: tasks naming files fault).
    pub files: Option<Arc<FileService>>,
}

impl Default for EndpointParts {
    fn default() -> EndpointParts {
        EndpointParts {
            auth: Arc::new(CpeAuth::open()),
            events: EventBus::default(),
            metrics: Arc::default(),
            files: None,
        }
    }
}

impl CwmpEndpoint {
    /// An endpoint over `store` with no CPE authentication (open mode).
    pub fn new(store: Arc<dyn Store>, config: EndpointConfig) -> CwmpEndpoint {
        CwmpEndpoint::with_parts(store, config, EndpointParts::default())
    }

    /// An endpoint over `store` that authenticates CPEs with `auth`.
    pub fn with_auth(
        store: Arc<dyn Store>,
        config: EndpointConfig,
        auth: Arc<CpeAuth>,
    ) -> CwmpEndpoint {
        let parts = EndpointParts {
            auth,
            ..EndpointParts::default()
        };
        CwmpEndpoint::with_parts(store, config, parts)
    }

    /// An endpoint over `store` whose sessions publish on `events` and count into `metrics`
    /// (whose active-session gauge is the endpoint's slot count).
    pub fn with_observers(
        store: Arc<dyn Store>,
        config: EndpointConfig,
        events: EventBus,
        metrics: Arc<Metrics>,
    ) -> CwmpEndpoint {
        let parts = EndpointParts {
            events,
            metrics,
            ..EndpointParts::default()
        };
        CwmpEndpoint::with_parts(store, config, parts)
    }

    /// An endpoint over `store` with its authentication and observers.
    pub fn with_parts(
        store: Arc<dyn Store>,
        config: EndpointConfig,
        EndpointParts {
            auth,
            events,
            metrics,
            files,
        }: EndpointParts,
    ) -> CwmpEndpoint {
        let max_sessions = config.max_sessions;
        CwmpEndpoint {
            shared: Arc::new(Shared {
                presets: Arc::new(PresetCache::new(config.session.presets.catalog_ttl)),
                session_log: SessionLog::new(config.session_lines),
                store,
                config,
                sessions: Arc::new(SessionTable::new(metrics.active_sessions(), max_sessions)),
                auth,
                events,
                metrics,
                files,
            }),
        }
    }

    /// The CPE authentication in force (its [`CpeAuth::mode`] is what metrics report).
    pub fn cpe_auth(&self) -> &Arc<CpeAuth> {
        &self.shared.auth
    }

    /// Sessions in progress.
    pub fn session_count(&self) -> usize {
        self.shared.sessions.active()
    }

    /// Accepts connections on `listener` until `shutdown` resolves, reaping expired sessions
    /// meanwhile. Connections already accepted are left to finish on their own.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        self.serve_with(listener, None, shutdown).await;
    }

    /// [`serve`](Self::serve) over TLS: a connection whose handshake fails or takes longer
    /// than the header read timeout is logged with its peer address and dropped.
    pub async fn serve_tls(
        self,
        listener: TcpListener,
        tls: TlsAcceptor,
        shutdown: impl Future<Output = ()>,
    ) {
        self.serve_with(listener, Some(tls), shutdown).await;
    }

    async fn serve_with(
        self,
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
        shutdown: impl Future<Output = ()>,
    ) {
        let reaper = {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(super::session_table::reap_every(
                shared.config.reap_interval,
                Arc::clone(&shared.sessions),
                move |entry, now| {
                    let shared = Arc::clone(&shared);
                    async move {
                        let mut entry = entry.lock().await;
                        shared.finish(&mut entry, "timeout", now).await;
                    }
                },
            ))
        };
        let every = self.shared.config.summary_every;
        let summary = (!every.is_zero()).then(|| {
            tokio::spawn(session_log::summarize(
                Arc::clone(&self.shared.metrics),
                every,
            ))
        });
        let shared = Arc::clone(&self.shared);
        accept::serve_connections(listener, "cwmp", shutdown, move |stream, peer| {
            let shared = Arc::clone(&shared);
            let tls = tls.clone();
            async move {
                let Some(tls) = tls else {
                    return serve_connection(shared, TokioIo::new(stream), peer, false).await;
                };
                let limit = shared.config.header_read_timeout;
                if let Some(stream) = accept::tls_handshake(&tls, stream, limit, peer, "cwmp").await
                {
                    serve_connection(shared, TokioIo::new(stream), peer, true).await;
                }
            }
        })
        .await;
        reaper.abort();
        if let Some(summary) = summary {
            summary.abort();
        }
    }

    /// Closes every session in progress (on shutdown).
    pub async fn close_all(&self, reason: &str) {
        for entry in self.shared.sessions.drain() {
            let mut entry = entry.lock().await;
            self.shared
                .finish(&mut entry, reason, Timestamp::now())
                .await;
        }
    }
}

impl Shared {
    /// Answers one request on `conn`; `span` gets the device once known.
    async fn handle(self: &Arc<Self>, req: Request<Incoming>, conn: &Conn, span: &Span) -> Resp {
        if req.method() != Method::POST {
            return response::method_not_allowed();
        }
        let peer = conn.peer;
        let cookie = request::session_cookie(req.headers());
        let found = cookie.as_deref().and_then(|id| self.sessions.get(id));
        if let Some(device) = found.as_ref().and_then(|f| f.device.as_ref()) {
            span.record("device", device.as_str());
        }
        let entry = found.map(|f| f.entry);
        // A new session takes a slot before its body is even read, so that overload costs
        // little.
        if entry.is_none()
            && let Some(resp) = auth_gate::refuse_blocked(&self.auth, peer)
        {
            return resp;
        }
        let auth = AuthContext::of(&req, conn.secure);
        // Where a new session's CPE reached us: its file URLs point at the same host.
        let reached = entry
            .is_none()
            .then(|| request::reached_host(req.headers()))
            .flatten();
        let permit = match entry {
            Some(_) => None,
            None => match self.sessions.try_permit() {
                Some(p) => Some(p),
                None => {
                    tracing::warn!("overload: new session refused");
                    self.metrics.overload_refused();
                    return retry_after(self.config.overload_retry_after);
                }
            },
        };
        let read =
            request::read_message(req, self.config.max_body_bytes, &self.config.limits).await;
        let message = match read {
            Ok(Message::NotUnderstood { head, error }) => {
                return self
                    .not_understood(entry, cookie.as_deref(), peer, &head, &error)
                    .await;
            }
            Ok(m) => m,
            Err(resp) => {
                if let (Some(entry), Some(id)) = (entry, cookie.as_deref()) {
                    self.remove(id);
                    let mut entry = entry.lock().await;
                    self.finish(&mut entry, "error: bad request", Timestamp::now())
                        .await;
                } else {
                    tracing::warn!(
                        status = resp.status().as_u16(),
                        "bad request opening a session"
                    );
                }
                return resp;
            }
        };
        match (entry, cookie, permit) {
            (Some(entry), Some(id), _) => self.continue_session(&id, entry, message, conn).await,
            (_, _, Some(permit)) => {
                if let Message::Envelope(env) = &message
                    && let Body::Inform(inform) = &env.body
                {
                    let d = &inform.device_id;
                    let device =
                        DeviceId::from_identity(&d.oui, &d.product_class, &d.serial_number);
                    span.record("device", device.as_str());
                }
                let opening = Opening {
                    conn,
                    permit,
                    auth: &auth,
                    reached,
                };
                self.open_session(opening, message).await
            }
            _ => retry_after(self.config.overload_retry_after),
        }
    }

    /// The connection `conn` that carried session `id` is over: the session ends now, unless
    /// it moved on to another connection meanwhile (or ended on its own).
    async fn connection_closed(&self, id: &str, conn: ConnId) {
        if !self.config.reconnect_grace.is_zero() {
            tokio::time::sleep(self.config.reconnect_grace).await;
        }
        let Some(found) = self.sessions.get(id) else {
            return;
        };
        let mut entry = found.entry.lock().await;
        if entry.conn != conn || !self.sessions.remove_if(id, &found.entry) {
            return;
        }
        let device = found.device.as_ref().map_or("", DeviceId::as_str);
        let span = tracing::info_span!("cwmp", device, peer = %entry.peer);
        self.finish(&mut entry, "connection closed", Timestamp::now())
            .instrument(span)
            .await;
    }

    /// A new Inform from `device` while a session of it is in progress here: a CPE has one
    /// session at a time (TR-069 §3.7.1), so it has given the old one up (rebooted, lost its
    /// connection). An old session waiting for the CPE is ended so that the new one is served
    /// at once; one busy with a request is left alone (the new Inform then gets 503).
    async fn take_over(&self, device: &DeviceId) {
        let Some((id, entry)) = self.sessions.of_device(device) else {
            return;
        };
        let Ok(mut guard) = entry.try_lock() else {
            return;
        };
        if !self.sessions.remove_if(&id, &entry) {
            return;
        }
        tracing::info!("the device started a new session: its previous one ends");
        self.finish(&mut guard, "superseded by a new Inform", Timestamp::now())
            .await;
    }

    fn remove(&self, id: &str) {
        self.sessions.remove(id);
    }

    /// Ends a session that did not end by itself, and logs it.
    async fn finish(&self, entry: &mut Entry, reason: &str, now: Timestamp) {
        if entry.session.is_done() {
            return;
        }
        if let Err(e) = entry.session.close(reason, now).await {
            tracing::warn!(device = ?entry.session.device(), error = %e, "closing session failed");
        }
        if entry.session.device().is_some() {
            self.log_finished(entry, reason);
        }
    }

    /// Counts a finished session, and writes its line when the session log says so.
    fn log_finished(&self, entry: &Entry, outcome: &str) {
        self.metrics.session_ended(outcome, entry.started.elapsed());
        if !self.session_log.should_log() {
            return;
        }
        let events: Vec<_> = entry.session.events().iter().map(|e| e.as_str()).collect();
        let device = entry
            .session
            .device()
            .map_or_else(String::new, ToString::to_string);
        tracing::info!(
            device = %device,
            peer = %entry.peer,
            tls = entry.secure,
            events = %events.join(","),
            rpcs = entry.session.rpc_count(),
            duration_ms = u64::try_from(entry.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            outcome,
            "session finished"
        );
    }
}
