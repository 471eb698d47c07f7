//! TraceRoute: echoes with a growing TTL until the host answers or `MaxHopCount`.

use std::time::{Duration, Instant};

use super::probe::{Answer, Prober};
use super::target::{Host, IpVersion};
use super::{Job, Results};

/// Most hops.
const MAX_HOPS: u64 = 64;
/// Most tries per hop.
const MAX_TRIES: u64 = 5;
/// Longest wait per try, in milliseconds.
const MAX_TIMEOUT_MS: u64 = 30_000;

/// TraceRoute.
pub async fn trace_route(job: &Job) -> Results {
    let host = match Host::parse(job.input("Host")) {
        Ok(h) => h,
        Err(e) => {
            tracing::info!("TraceRoute refused: {e}");
            return Results::error("Error_CannotResolveHostName");
        }
    };
    let version = IpVersion::from_param(job.input("ProtocolVersion"));
    let Some(addr) = host.resolve(0, version).await else {
        return Results::error("Error_CannotResolveHostName");
    };
    let tries = job.number("NumberOfTries", 3, MAX_TRIES).max(1);
    let timeout = Duration::from_millis(job.number("Timeout", 5000, MAX_TIMEOUT_MS).max(1));
    let size = job.number("DataBlockSize", 38, 1500) as usize;
    let max_hops = job.number("MaxHopCount", 30, MAX_HOPS).max(1);
    let tr098 = job.spec.tr098;
    let ip = addr.ip();
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut prober = Prober::open();
        let mut hops = Vec::new();
        let mut reached = false;
        let mut seq: u16 = 0;
        for ttl in 1..=max_hops {
            let mut from = None;
            let mut times = Vec::new();
            let mut error = 0u32;
            for _ in 0..tries {
                seq = seq.wrapping_add(1);
                match prober.probe(ip, seq, size, Some(ttl as u8), timeout) {
                    Answer::Reached(rtt) => {
                        from = Some(ip);
                        times.push(rtt);
                        reached = true;
                    }
                    Answer::Hop(h, rtt) => {
                        from = Some(h);
                        times.push(rtt);
                    }
                    Answer::Unreachable(h, code) => {
                        from = Some(h);
                        error = u32::from(code);
                        reached = true;
                    }
                    Answer::Silent => {}
                }
            }
            hops.push((from, times, error));
            if reached {
                break;
            }
        }
        (hops, reached)
    })
    .await;
    let Ok((hops, reached)) = outcome else {
        return Results::error("Error_Internal");
    };
    if !reached {
        return Results::error("Error_MaxHopCountExceeded");
    }
    let names: [&str; 4] = if tr098 {
        ["HopHost", "HopHostAddress", "HopErrorCode", "HopRTTimes"]
    } else {
        ["Host", "HostAddress", "ErrorCode", "RTTimes"]
    };
    let rows = hops
        .iter()
        .map(|(from, times, error)| {
            let addr = from.map(|a| a.to_string()).unwrap_or_default();
            let rtts = times
                .iter()
                .map(|t| t.as_millis().to_string())
                .collect::<Vec<_>>()
                .join(",");
            vec![
                (names[0].to_owned(), addr.clone()),
                (names[1].to_owned(), addr),
                (names[2].to_owned(), error.to_string()),
                (names[3].to_owned(), rtts),
            ]
        })
        .collect();
    let mut r = Results::complete(vec![
        ("IPAddressUsed".into(), ip.to_string()),
        (
            "ResponseTime".into(),
            started
                .elapsed()
                .as_millis()
                .min(u128::from(u32::MAX))
                .to_string(),
        ),
    ]);
    r.hops = Some(rows);
    r
}
