//! The final report of a run: JSON (`--report FILE`) and a human table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::proc_self::ProcSelf;
use crate::stats::Stats;

/// Session latency quantiles, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Devices simulated.
    pub devices: u32,
    /// The load mode, as given.
    pub mode: String,
    /// Wall time of the run, in seconds.
    pub duration_s: f64,
    /// Sessions started.
    pub sessions_started: u64,
    /// Sessions that ended normally.
    pub sessions_ok: u64,
    /// Sessions that failed.
    pub sessions_failed: u64,
    /// Failed sessions by reason.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Finished sessions per second.
    pub sessions_per_s: f64,
    /// HTTP requests sent.
    pub http_requests: u64,
    /// HTTP requests per second.
    pub http_requests_per_s: f64,
    /// ACS requests answered, by method.
    pub rpcs: BTreeMap<String, u64>,
    /// State-changing requests received (SetParameterValues, AddObject, DeleteObject,
    /// Reboot, Download, Upload, ScheduleDownload carrying a key).
    pub state_changes: u64,
    /// Those a device had already received (same method and key): the ACS repeated them.
    pub repeated_state_changes: u64,
    /// Inform events sent, by code.
    pub events: BTreeMap<String, u64>,
    /// Faults injected, by kind.
    pub faults_injected: BTreeMap<String, u64>,
    /// Sessions opened by a Connection Request.
    pub connection_requests: u64,
    /// Local value changes made.
    pub value_changes: u64,
    /// Session latency.
    pub latency_ms: Latency,
    /// The simulator's CPU time (user + system), in seconds.
    pub cpu_s: f64,
    /// The simulator's resident memory at the end.
    pub rss_bytes: u64,
    /// Its highest resident memory.
    pub peak_rss_bytes: u64,
    /// Resident memory the fleet took when built, per device.
    pub fleet_bytes_per_device: u64,
    /// Storm mode: seconds from the start until every device had completed its BOOT session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_booted_s: Option<f64>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn per_s(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        (n as f64 / s * 10.0).round() / 10.0
    } else {
        0.0
    }
}

impl Report {
    /// The report of a run of `devices` devices that took `elapsed`.
    pub fn new(
        devices: u32,
        mode: String,
        stats: &Stats,
        elapsed: Duration,
        me: ProcSelf,
        fleet_bytes_per_device: u64,
    ) -> Self {
        Report {
            devices,
            mode,
            duration_s: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            sessions_started: stats.started,
            sessions_ok: stats.ok,
            sessions_failed: stats.failed_total(),
            failed_by_reason: stats.failed.clone(),
            sessions_per_s: per_s(stats.finished(), elapsed),
            http_requests: stats.http_requests,
            http_requests_per_s: per_s(stats.http_requests, elapsed),
            rpcs: stats.rpcs.clone(),
            state_changes: stats.state_changes,
            repeated_state_changes: stats.repeated_changes,
            events: stats.events.clone(),
            faults_injected: stats
                .faults
                .iter()
                .map(|(k, v)| (k.name().to_owned(), *v))
                .collect(),
            connection_requests: stats.connection_requests,
            value_changes: stats.value_changes,
            latency_ms: Latency {
                p50: ms(stats.latency(0.5)),
                p90: ms(stats.latency(0.9)),
                p99: ms(stats.latency(0.99)),
                max: ms(stats.latency_max()),
            },
            cpu_s: ms(me.cpu) / 1000.0,
            rss_bytes: me.rss_bytes,
            peak_rss_bytes: me.peak_rss_bytes,
            fleet_bytes_per_device,
            all_booted_s: None,
        }
    }

    /// The report as a table for a terminal.
    pub fn table(&self) -> String {
        let mut t = String::new();
        let mut row = |k: &str, v: String| {
            let _ = writeln!(t, "{k:<28} {v}");
        };
        row("devices", self.devices.to_string());
        row("mode", self.mode.clone());
        row("duration", format!("{:.1} s", self.duration_s));
        row(
            "sessions",
            format!(
                "{} started, {} ok, {} failed",
                self.sessions_started, self.sessions_ok, self.sessions_failed
            ),
        );
        for (k, v) in &self.failed_by_reason {
            row(&format!("  failed: {k}"), v.to_string());
        }
        row("sessions/s", format!("{:.1}", self.sessions_per_s));
        row(
            "HTTP requests",
            format!("{} ({:.1}/s)", self.http_requests, self.http_requests_per_s),
        );
        for (k, v) in &self.rpcs {
            row(&format!("  rpc: {k}"), v.to_string());
        }
        row(
            "state changes (repeated)",
            format!("{} ({})", self.state_changes, self.repeated_state_changes),
        );
        for (k, v) in &self.events {
            row(&format!("  event: {k}"), v.to_string());
        }
        for (k, v) in &self.faults_injected {
            row(&format!("  fault injected: {k}"), v.to_string());
        }
        row("connection requests", self.connection_requests.to_string());
        row("value changes", self.value_changes.to_string());
        let l = &self.latency_ms;
        row(
            "latency ms p50/p90/p99/max",
            format!("{:.1} / {:.1} / {:.1} / {:.1}", l.p50, l.p90, l.p99, l.max),
        );
        row("CPU", format!("{:.2} s", self.cpu_s));
        row(
            "RSS now / peak",
            format!(
                "{:.1} / {:.1} MiB",
                self.rss_bytes as f64 / 1048576.0,
                self.peak_rss_bytes as f64 / 1048576.0
            ),
        );
        if let Some(s) = self.all_booted_s {
            row("all devices booted after", format!("{s:.1} s"));
        }
        row(
            "fleet memory per device",
            format!("{} bytes", self.fleet_bytes_per_device),
        );
        t
    }
}
