//! Diagnostics (TR-069 Annex A.4, TR-143): IPPing, TraceRoute, DownloadDiagnostics,
//! UploadDiagnostics and ServerSelectionDiagnostics under `Device.IP.Diagnostics.`, and
//! TR-098's `IPPingDiagnostics`, `TraceRouteDiagnostics`, `DownloadDiagnostics` and
//! `UploadDiagnostics`.
//!
//! When a session ends with an object's `DiagnosticsState` at `Requested`, its inputs are
//! read ([`Job`]), the test runs on its own task ([`run`], bounded in time), and its results
//! go into the tree with the final state (`Complete` or an `Error_…` value) before
//! `8 DIAGNOSTICS COMPLETE` is raised. A request whose inputs the ACS changed while it ran is
//! dropped (and the new request, if any, runs). Hosts and URLs are validated ([`target`])
//! and nothing is run through a shell: probes and transfers are native ([`probe`], [`http`]).

pub mod http;
pub mod ping;
pub mod probe;
pub mod simulated;
pub mod target;
pub mod traceroute;

use std::collections::BTreeMap;
use std::time::Duration;

use cwmp_datamodel::Tree;

/// Most diagnostics running at once.
pub const MAX_CONCURRENT: usize = 2;
/// Longest a diagnostic may run before it ends with an error.
pub const MAX_DURATION: Duration = Duration::from_secs(120);

/// The kind of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// IPPing.
    IpPing,
    /// TraceRoute.
    TraceRoute,
    /// DownloadDiagnostics.
    Download,
    /// UploadDiagnostics.
    Upload,
    /// ServerSelectionDiagnostics.
    ServerSelection,
}

impl Kind {
    /// The inputs read from the object (those present in the model).
    fn inputs(self) -> &'static [&'static str] {
        match self {
            Kind::IpPing => &[
                "Host",
                "NumberOfRepetitions",
                "Timeout",
                "DataBlockSize",
                "DSCP",
                "ProtocolVersion",
                "Interface",
            ],
            Kind::TraceRoute => &[
                "Host",
                "NumberOfTries",
                "Timeout",
                "DataBlockSize",
                "DSCP",
                "MaxHopCount",
                "ProtocolVersion",
                "Interface",
            ],
            Kind::Download => &[
                "DownloadURL",
                "DSCP",
                "EthernetPriority",
                "ProtocolVersion",
                "Interface",
            ],
            Kind::Upload => &[
                "UploadURL",
                "TestFileLength",
                "DSCP",
                "EthernetPriority",
                "ProtocolVersion",
                "Interface",
            ],
            Kind::ServerSelection => &[
                "HostList",
                "NumberOfRepetitions",
                "Timeout",
                "Protocol",
                "ProtocolVersion",
                "Interface",
            ],
        }
    }
}

/// A diagnostic object of the data model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Its kind.
    pub kind: Kind,
    /// The object path, e.g. `Device.IP.Diagnostics.IPPing.`.
    pub object: String,
    /// TR-098 names (`HopHost`… in RouteHops, `TotalBytesSent` for uploads).
    pub tr098: bool,
}

/// The diagnostic objects of a data model rooted at `root`.
pub fn specs(root: &str) -> Vec<Spec> {
    let tr098 = root.starts_with("InternetGatewayDevice");
    let list: &[(Kind, &str)] = if tr098 {
        &[
            (Kind::IpPing, "IPPingDiagnostics."),
            (Kind::TraceRoute, "TraceRouteDiagnostics."),
            (Kind::Download, "DownloadDiagnostics."),
            (Kind::Upload, "UploadDiagnostics."),
        ]
    } else {
        &[
            (Kind::IpPing, "IP.Diagnostics.IPPing."),
            (Kind::TraceRoute, "IP.Diagnostics.TraceRoute."),
            (Kind::Download, "IP.Diagnostics.DownloadDiagnostics."),
            (Kind::Upload, "IP.Diagnostics.UploadDiagnostics."),
            (
                Kind::ServerSelection,
                "IP.Diagnostics.ServerSelectionDiagnostics.",
            ),
        ]
    };
    list.iter()
        .map(|(kind, o)| Spec {
            kind: *kind,
            object: format!("{root}{o}"),
            tr098,
        })
        .collect()
}

/// A requested diagnostic: its object and the inputs as they were when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The object.
    pub spec: Spec,
    /// Input name → value (only those the device's model has).
    pub inputs: BTreeMap<&'static str, String>,
}

impl Job {
    /// An input's value ("" when absent).
    pub fn input(&self, name: &str) -> &str {
        self.inputs.get(name).map_or("", String::as_str)
    }

    /// An unsigned input, `default` when absent or unparsable, clamped to `max`.
    pub fn number(&self, name: &str, default: u64, max: u64) -> u64 {
        self.input(name).parse().unwrap_or(default).min(max)
    }
}

fn state_path(spec: &Spec) -> String {
    format!("{}DiagnosticsState", spec.object)
}

fn text(tree: &Tree, path: &str) -> Option<String> {
    tree.stored_value(path).map(|v| v.as_text().into_owned())
}

/// The diagnostics whose `DiagnosticsState` is `Requested`, with their inputs.
pub fn requested(tree: &Tree, root: &str) -> Vec<Job> {
    specs(root)
        .into_iter()
        .filter(|s| text(tree, &state_path(s)).as_deref() == Some("Requested"))
        .map(|spec| {
            let inputs = spec
                .kind
                .inputs()
                .iter()
                .filter_map(|n| text(tree, &format!("{}{n}", spec.object)).map(|v| (*n, v)))
                .collect();
            Job { spec, inputs }
        })
        .collect()
}

/// What a finished diagnostic writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Results {
    /// The final `DiagnosticsState`, then fallbacks if the model does not list it.
    pub state: Vec<&'static str>,
    /// Result parameters (names relative to the object) and values.
    pub values: Vec<(String, String)>,
    /// TraceRoute hops: per row, names relative to `RouteHops.{i}.` and values.
    pub hops: Option<Vec<Vec<(String, String)>>>,
}

impl Results {
    /// A failure with `state` (falling back to `Error_Internal`, `Error_Other`).
    pub fn error(state: &'static str) -> Results {
        Results {
            state: vec![state, "Error_Internal", "Error_Other"],
            ..Results::default()
        }
    }

    /// Success (`Complete`; TR-098's Download and Upload objects say `Completed`).
    pub fn complete(values: Vec<(String, String)>) -> Results {
        Results {
            state: vec!["Complete", "Completed"],
            values,
            hops: None,
        }
    }
}

/// Runs a diagnostic to its end (at most [`MAX_DURATION`]).
pub async fn run(job: &Job) -> Results {
    let test = async {
        match job.spec.kind {
            Kind::IpPing => ping::ip_ping(job).await,
            Kind::ServerSelection => ping::server_selection(job).await,
            Kind::TraceRoute => traceroute::trace_route(job).await,
            Kind::Download => http::download(job).await,
            Kind::Upload => http::upload(job).await,
        }
    };
    match tokio::time::timeout(MAX_DURATION, test).await {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(object = %job.spec.object, "diagnostic timed out");
            Results::error("Error_Timeout")
        }
    }
}

/// Writes `results` into the tree, unless the ACS changed the request while it ran (then
/// nothing is written and `false` is returned). The state goes last.
pub fn apply(tree: &mut Tree, job: &Job, results: &Results) -> bool {
    let obj = &job.spec.object;
    let root = obj.find('.').map_or("", |i| &obj[..=i]);
    let current = requested(tree, root)
        .into_iter()
        .find(|j| j.spec == job.spec);
    if current.as_ref() != Some(job) {
        tracing::info!(object = %job.spec.object, "request changed while it ran: result dropped");
        return false;
    }
    for (name, value) in &results.values {
        let path = format!("{obj}{name}");
        if let Err(e) = tree.set_local(&path, value) {
            tracing::debug!("{path}: {e}");
        }
    }
    if let Some(hops) = &results.hops {
        let table = format!("{obj}RouteHops.");
        for n in tree.instance_numbers(&table).unwrap_or_default() {
            let _ = tree.delete_instance_local(&format!("{table}{n}."));
        }
        for hop in hops {
            let Ok((n, _)) = tree.add_instance_local(&table) else {
                break;
            };
            for (name, value) in hop {
                let path = format!("{table}{n}.{name}");
                if let Err(e) = tree.set_local(&path, value) {
                    tracing::debug!("{path}: {e}");
                }
            }
        }
        let _ = tree.set_local(
            &format!("{obj}RouteHopsNumberOfEntries"),
            &hops.len().to_string(),
        );
    }
    let state = state_path(&job.spec);
    let written = results
        .state
        .iter()
        .any(|s| tree.set_local(&state, s).is_ok());
    if !written {
        tracing::warn!("{state}: no final state accepted");
    }
    true
}

/// `dateTime` with microseconds of a wall-clock instant.
pub(crate) fn timestamp(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let base = cwmp::DateTime::from_unix(secs, 0).unwrap_or(cwmp::DateTime::UNKNOWN);
    // `2026-12-07T22:00:00Z` → `2026-12-07T22:00:00.123456Z`
    let s = base.to_string();
    match s.strip_suffix('Z') {
        Some(head) => format!("{head}.{:06}Z", d.subsec_micros()),
        None => s,
    }
}

#[cfg(test)]
mod tests;
