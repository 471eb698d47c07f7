//! IPPing and ServerSelectionDiagnostics: echoes to a host (or to each host of a list) with
//! the [`super::probe`] methods.

use std::net::IpAddr;
use std::time::Duration;

use super::probe::{Answer, Prober};
use super::target::{Host, IpVersion};
use super::{Job, Results};

/// Most repetitions of one test.
const MAX_REPETITIONS: u64 = 100;
/// Longest wait for one answer, in milliseconds.
const MAX_TIMEOUT_MS: u64 = 30_000;
/// Most hosts in a ServerSelectionDiagnostics HostList.
const MAX_HOSTS: usize = 10;

/// Round-trip times of a series of echoes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    /// Answers received.
    pub success: u32,
    /// Echoes without an answer.
    pub failure: u32,
    /// Round-trip times of the answers.
    pub times: Vec<Duration>,
}

impl Series {
    fn min(&self) -> Duration {
        self.times.iter().min().copied().unwrap_or_default()
    }
    fn max(&self) -> Duration {
        self.times.iter().max().copied().unwrap_or_default()
    }
    fn avg(&self) -> Duration {
        let n = u32::try_from(self.times.len()).unwrap_or(u32::MAX).max(1);
        self.times.iter().sum::<Duration>() / n
    }
}

/// Sends `count` echoes to `ip`, one after the other (on a blocking thread).
pub async fn series(ip: IpAddr, count: u64, size: usize, timeout: Duration) -> Series {
    tokio::task::spawn_blocking(move || {
        let mut prober = Prober::open();
        let mut s = Series::default();
        for seq in 0..count {
            match prober.probe(ip, seq as u16, size, None, timeout) {
                Answer::Reached(rtt) => {
                    s.success += 1;
                    s.times.push(rtt);
                }
                _ => s.failure += 1,
            }
        }
        tracing::debug!(%ip, method = ?prober.method(ip), "ping series done");
        s
    })
    .await
    .unwrap_or_default()
}

fn ms(d: Duration) -> String {
    // Rounded up: an answer in 0.2 ms is "1", not "0" (0 means no answer).
    d.as_micros().div_ceil(1000).to_string()
}

fn inputs(job: &Job) -> (u64, Duration, usize) {
    let count = job.number("NumberOfRepetitions", 4, MAX_REPETITIONS).max(1);
    let timeout = Duration::from_millis(job.number("Timeout", 5000, MAX_TIMEOUT_MS).max(1));
    let size = job.number("DataBlockSize", 56, super::probe::MAX_PAYLOAD as u64) as usize;
    (count, timeout, size)
}

/// IPPing.
pub async fn ip_ping(job: &Job) -> Results {
    let host = match Host::parse(job.input("Host")) {
        Ok(h) => h,
        Err(e) => {
            tracing::info!("IPPing refused: {e}");
            return Results::error("Error_CannotResolveHostName");
        }
    };
    let version = IpVersion::from_param(job.input("ProtocolVersion"));
    let Some(addr) = host.resolve(0, version).await else {
        return Results::error("Error_CannotResolveHostName");
    };
    let (count, timeout, size) = inputs(job);
    let s = series(addr.ip(), count, size, timeout).await;
    let detailed = |d: Duration| d.as_micros().to_string();
    Results::complete(vec![
        ("IPAddressUsed".into(), addr.ip().to_string()),
        ("SuccessCount".into(), s.success.to_string()),
        ("FailureCount".into(), s.failure.to_string()),
        ("AverageResponseTime".into(), ms(s.avg())),
        ("MinimumResponseTime".into(), ms(s.min())),
        ("MaximumResponseTime".into(), ms(s.max())),
        ("AverageResponseTimeDetailed".into(), detailed(s.avg())),
        ("MinimumResponseTimeDetailed".into(), detailed(s.min())),
        ("MaximumResponseTimeDetailed".into(), detailed(s.max())),
    ])
}

/// ServerSelectionDiagnostics: the host of `HostList` with the lowest average time.
pub async fn server_selection(job: &Job) -> Results {
    let list: Vec<&str> = job
        .input("HostList")
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    if list.is_empty() || list.len() > MAX_HOSTS {
        return Results::error("Error_Other");
    }
    let hosts = match list
        .iter()
        .map(|h| Host::parse(h))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::info!("ServerSelectionDiagnostics refused: {e}");
            return Results::error("Error_CannotResolveHostName");
        }
    };
    let version = IpVersion::from_param(job.input("ProtocolVersion"));
    let (count, timeout, _) = inputs(job);
    let mut best: Option<(String, IpAddr, Series)> = None;
    for h in hosts {
        let Some(addr) = h.resolve(0, version).await else {
            continue;
        };
        let s = series(addr.ip(), count, 24, timeout).await;
        if s.success == 0 {
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, b)| s.avg() < b.avg()) {
            best = Some((h.as_str().to_owned(), addr.ip(), s));
        }
    }
    let Some((host, ip, s)) = best else {
        return Results::error("Error_CannotResolveHostName");
    };
    Results::complete(vec![
        ("FastestHost".into(), host),
        ("IPAddressUsed".into(), ip.to_string()),
        (
            "MinimumResponseTime".into(),
            s.min().as_micros().to_string(),
        ),
        (
            "AverageResponseTime".into(),
            s.avg().as_micros().to_string(),
        ),
        (
            "MaximumResponseTime".into(),
            s.max().as_micros().to_string(),
        ),
    ])
}
