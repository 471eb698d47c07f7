//! Server metrics kept in atomics and rendered in the Prometheus text exposition format
//! 0.0.4 for `GET /metrics`. Every label set is fixed or bounded, so that a hostile CPE
//! cannot grow the output (fault codes beyond [`MAX_FAULT_CODES`] are counted as `other`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Most distinct fault codes counted by name.
pub const MAX_FAULT_CODES: usize = 64;

/// Why a session ended, as counted (a bounded label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Ended normally.
    Ok,
    /// No message for longer than the session timeout.
    Timeout,
    /// A protocol, request or store error.
    Error,
    /// The server shut down.
    Shutdown,
    /// The connection carrying the session closed before the session ended.
    ConnectionClosed,
    /// The device opened a new session, which took this one's place.
    Superseded,
    /// Anything else.
    Other,
}

impl SessionEnd {
    const ALL: [SessionEnd; 7] = [
        SessionEnd::Ok,
        SessionEnd::Timeout,
        SessionEnd::Error,
        SessionEnd::Shutdown,
        SessionEnd::ConnectionClosed,
        SessionEnd::Superseded,
        SessionEnd::Other,
    ];

    /// Classifies the endpoint's outcome text (`ok`, `timeout`, `error: …`, `shutdown`).
    pub fn classify(outcome: &str) -> SessionEnd {
        match outcome {
            "ok" => SessionEnd::Ok,
            "timeout" => SessionEnd::Timeout,
            "shutdown" => SessionEnd::Shutdown,
            "connection closed" => SessionEnd::ConnectionClosed,
            o if o.starts_with("superseded") => SessionEnd::Superseded,
            o if o.starts_with("error") => SessionEnd::Error,
            _ => SessionEnd::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            SessionEnd::Ok => "ok",
            SessionEnd::Timeout => "timeout",
            SessionEnd::Error => "error",
            SessionEnd::Shutdown => "shutdown",
            SessionEnd::ConnectionClosed => "connection_closed",
            SessionEnd::Superseded => "superseded",
            SessionEnd::Other => "other",
        }
    }
}

/// Which HTTP server a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The CWMP endpoint.
    Cwmp,
    /// The northbound API.
    Api,
}

/// A store operation whose duration is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOp {
    /// `begin_session` (lease, the Inform, the reads a session starts from).
    BeginSession,
    /// `write_parameters` (one batch of RPC results).
    WriteBatch,
}

/// Outcome of a Connection Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrOutcome {
    /// The device answered 2xx.
    Ok,
    /// It failed (unreachable, refused, timed out, bad credentials, no URL).
    Failed,
    /// Refused by the per-device rate limit, not sent.
    RateLimited,
}

/// A histogram with fixed upper bounds (seconds).
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// Per bucket, not cumulative; the last is `+Inf`.
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = self
            .bounds
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(self.bounds.len());
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), f64::to_string);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

const SESSION_BOUNDS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
const STORE_BOUNDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// The server's metrics. Share one behind an `Arc` between the endpoint, the engine and
/// the API.
#[derive(Debug)]
pub struct Metrics {
    active_sessions: Arc<AtomicUsize>,
    sessions_started: AtomicU64,
    sessions_ended: [AtomicU64; 7],
    busy_refusals: AtomicU64,
    overload_refusals: AtomicU64,
    http_requests: [[AtomicU64; 5]; 2],
    rpcs_sent: Mutex<BTreeMap<&'static str, u64>>,
    faults: Mutex<BTreeMap<String, u64>>,
    session_seconds: Histogram,
    store_seconds: [Histogram; 2],
    connection_requests: [AtomicU64; 3],
    cpe_auth_open: AtomicBool,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            active_sessions: Arc::new(AtomicUsize::new(0)),
            sessions_started: AtomicU64::new(0),
            sessions_ended: Default::default(),
            busy_refusals: AtomicU64::new(0),
            overload_refusals: AtomicU64::new(0),
            http_requests: Default::default(),
            rpcs_sent: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(BTreeMap::new()),
            session_seconds: Histogram::new(SESSION_BOUNDS),
            store_seconds: [Histogram::new(STORE_BOUNDS), Histogram::new(STORE_BOUNDS)],
            connection_requests: Default::default(),
            cpe_auth_open: AtomicBool::new(true),
        }
    }
}

fn inc(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Escapes a label value (`\`, `"`, newline).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The session counts since start, for the periodic summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Sessions started.
    pub started: u64,
    /// Sessions ended, by outcome label (`ok`, `timeout`, `error`, …).
    pub ended: Vec<(&'static str, u64)>,
    /// New sessions refused: device already in a session.
    pub busy: u64,
    /// New sessions refused: overload.
    pub overload: u64,
    /// Sessions in progress now.
    pub active: u64,
}

impl Metrics {
    /// The session counts so far.
    pub fn session_counts(&self) -> SessionCounts {
        SessionCounts {
            started: load(&self.sessions_started),
            ended: SessionEnd::ALL
                .iter()
                .map(|e| (e.label(), load(&self.sessions_ended[*e as usize])))
                .collect(),
            busy: load(&self.busy_refusals),
            overload: load(&self.overload_refusals),
            active: u64::try_from(self.active_sessions.load(Ordering::Relaxed)).unwrap_or(0),
        }
    }

    /// The count of sessions in progress; the endpoint keeps it as its session slots.
    pub fn active_sessions(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.active_sessions)
    }

    /// A session was opened (its Inform accepted).
    pub fn session_started(&self) {
        inc(&self.sessions_started);
    }

    /// A session ended with the endpoint's `outcome` text after `duration`.
    pub fn session_ended(&self, outcome: &str, duration: Duration) {
        inc(&self.sessions_ended[SessionEnd::classify(outcome) as usize]);
        self.session_seconds.observe(duration);
    }

    /// A second concurrent session of a device was refused (503).
    pub fn busy_refused(&self) {
        inc(&self.busy_refusals);
    }

    /// A new session was refused because of overload (503).
    pub fn overload_refused(&self) {
        inc(&self.overload_refusals);
    }

    /// An HTTP request was answered with `status`.
    pub fn http_request(&self, server: Server, status: u16) {
        let class = usize::from((status / 100).clamp(1, 5) - 1);
        inc(&self.http_requests[server as usize][class]);
    }

    /// The ACS sent an RPC.
    pub fn rpc_sent(&self, method: &'static str) {
        let mut map = self
            .rpcs_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *map.entry(method).or_insert(0) += 1;
    }

    /// A fault was recorded (task or channel) with `code`.
    pub fn fault(&self, code: &str) {
        let mut map = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let key = if map.contains_key(code) || map.len() < MAX_FAULT_CODES {
            code
        } else {
            "other"
        };
        *map.entry(key.to_owned()).or_insert(0) += 1;
    }

    /// A store operation took `d`.
    pub fn store_op(&self, op: StoreOp, d: Duration) {
        self.store_seconds[op as usize].observe(d);
    }

    /// A Connection Request ended with `outcome`.
    pub fn connection_request(&self, outcome: CrOutcome) {
        inc(&self.connection_requests[outcome as usize]);
    }

    /// Whether CWMP sessions are open to unauthenticated CPEs.
    pub fn set_cpe_auth_open(&self, open: bool) {
        self.cpe_auth_open.store(open, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text format 0.0.4.
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(8192);
        let head = |o: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut o,
            "acs_sessions_active",
            "gauge",
            "CWMP sessions in progress.",
        );
        let active = self.active_sessions.load(Ordering::Relaxed);
        let _ = writeln!(o, "acs_sessions_active {active}");
        head(
            &mut o,
            "acs_sessions_started_total",
            "counter",
            "CWMP sessions opened.",
        );
        let _ = writeln!(
            o,
            "acs_sessions_started_total {}",
            load(&self.sessions_started)
        );
        head(
            &mut o,
            "acs_sessions_ended_total",
            "counter",
            "CWMP sessions ended, by outcome.",
        );
        for end in SessionEnd::ALL {
            let n = load(&self.sessions_ended[end as usize]);
            let _ = writeln!(
                o,
                "acs_sessions_ended_total{{outcome=\"{}\"}} {n}",
                end.label()
            );
        }
        head(
            &mut o,
            "acs_session_duration_seconds",
            "histogram",
            "Duration of CWMP sessions.",
        );
        self.session_seconds
            .render(&mut o, "acs_session_duration_seconds", "");
        head(
            &mut o,
            "acs_sessions_refused_total",
            "counter",
            "New CWMP sessions refused with 503, by reason.",
        );
        let _ = writeln!(
            o,
            "acs_sessions_refused_total{{reason=\"overload\"}} {}",
            load(&self.overload_refusals)
        );
        let _ = writeln!(
            o,
            "acs_sessions_refused_total{{reason=\"busy\"}} {}",
            load(&self.busy_refusals)
        );
        head(
            &mut o,
            "acs_http_requests_total",
            "counter",
            "HTTP requests answered, by server and status class.",
        );
        for (server, name) in [(Server::Cwmp, "cwmp"), (Server::Api, "api")] {
            for (i, n) in self.http_requests[server as usize].iter().enumerate() {
                let _ = writeln!(
                    o,
                    "acs_http_requests_total{{server=\"{name}\",code=\"{}xx\"}} {}",
                    i + 1,
                    load(n)
                );
            }
        }
        head(
            &mut o,
            "acs_rpcs_sent_total",
            "counter",
            "RPCs sent by the ACS, by method.",
        );
        for (method, n) in self
            .rpcs_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(o, "acs_rpcs_sent_total{{method=\"{method}\"}} {n}");
        }
        head(
            &mut o,
            "acs_faults_total",
            "counter",
            "Faults recorded, by code.",
        );
        for (code, n) in self
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(o, "acs_faults_total{{code=\"{}\"}} {n}", escape(code));
        }
        head(
            &mut o,
            "acs_store_operation_seconds",
            "histogram",
            "Duration of store operations.",
        );
        for (op, name) in [
            (StoreOp::BeginSession, "begin_session"),
            (StoreOp::WriteBatch, "write_batch"),
        ] {
            self.store_seconds[op as usize].render(
                &mut o,
                "acs_store_operation_seconds",
                &format!("op=\"{name}\""),
            );
        }
        head(
            &mut o,
            "acs_connection_requests_total",
            "counter",
            "Connection Requests, by result.",
        );
        for (outcome, name) in [
            (CrOutcome::Ok, "ok"),
            (CrOutcome::Failed, "failed"),
            (CrOutcome::RateLimited, "rate_limited"),
        ] {
            let _ = writeln!(
                o,
                "acs_connection_requests_total{{result=\"{name}\"}} {}",
                load(&self.connection_requests[outcome as usize])
            );
        }
        head(
            &mut o,
            "acs_cpe_auth_open",
            "gauge",
            "1 when CWMP sessions need no CPE authentication.",
        );
        let _ = writeln!(
            o,
            "acs_cpe_auth_open {}",
            u8::from(self.cpe_auth_open.load(Ordering::Relaxed))
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_bounded_labels() {
        let m = Metrics::default();
        m.session_started();
        m.session_ended("ok", Duration::from_millis(70));
        m.session_ended("error: bad request", Duration::from_secs(100));
        m.http_request(Server::Cwmp, 204);
        m.http_request(Server::Api, 503);
        m.rpc_sent("GetParameterValues");
        for i in 0..MAX_FAULT_CODES + 5 {
            m.fault(&format!("cwmp.{i}"));
        }
        m.fault("a\"b");
        m.store_op(StoreOp::WriteBatch, Duration::from_millis(3));
        m.connection_request(CrOutcome::RateLimited);
        m.set_cpe_auth_open(false);
        let text = m.render();
        for line in [
            "acs_sessions_started_total 1",
            "acs_sessions_ended_total{outcome=\"ok\"} 1",
            "acs_sessions_ended_total{outcome=\"error\"} 1",
            "acs_session_duration_seconds_bucket{le=\"0.05\"} 0",
            "acs_session_duration_seconds_bucket{le=\"0.1\"} 1",
            "acs_session_duration_seconds_bucket{le=\"+Inf\"} 2",
            "acs_session_duration_seconds_count 2",
            "acs_http_requests_total{server=\"cwmp\",code=\"2xx\"} 1",
            "acs_http_requests_total{server=\"api\",code=\"5xx\"} 1",
            "acs_rpcs_sent_total{method=\"GetParameterValues\"} 1",
            "acs_faults_total{code=\"other\"} 6",
            "acs_store_operation_seconds_bucket{op=\"write_batch\",le=\"0.005\"} 1",
            "acs_store_operation_seconds_count{op=\"begin_session\"} 0",
            "acs_connection_requests_total{result=\"rate_limited\"} 1",
            "acs_cpe_auth_open 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
        assert!(!text.contains("a\"b"));
        // Every sample line is `name{labels} value` with a numeric value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().expect("value");
            assert!(value.parse::<f64>().is_ok(), "bad sample {line:?}");
        }
    }
}
