//! Plausible diagnostic results without touching the network, for the fleet simulator: the
//! inputs are validated as for a real run (a bad host or URL gives the same error state),
//! then round trips of 5–40 ms, a few hops through documentation addresses, and transfers at
//! 20–100 Mbit/s are made up from the device's random source.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use rand::Rng;

use super::target::{Host, HttpUrl};
use super::{Job, Kind, Results, timestamp};

/// Made-up results for `job`, as if it had run at `now`.
pub fn simulated(job: &Job, now: SystemTime, rng: &mut impl Rng) -> Results {
    match job.spec.kind {
        Kind::IpPing => ping(job, rng),
        Kind::TraceRoute => trace(job, rng),
        Kind::Download => transfer(job, now, rng, false),
        Kind::Upload => transfer(job, now, rng, true),
        Kind::ServerSelection => select(job, rng),
    }
}

/// The address a host "resolves" to: itself when it is one, else a documentation address.
fn address(host: &Host, rng: &mut impl Rng) -> String {
    match host.as_str().parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => format!("203.0.113.{}", rng.random_range(1..=254)),
    }
}

fn rtts(n: u64, rng: &mut impl Rng) -> Vec<u64> {
    let base = rng.random_range(5_000..40_000u64);
    (0..n).map(|_| base + rng.random_range(0..3_000)).collect()
}

fn ping(job: &Job, rng: &mut impl Rng) -> Results {
    let Ok(host) = Host::parse(job.input("Host")) else {
        return Results::error("Error_CannotResolveHostName");
    };
    let n = job.number("NumberOfRepetitions", 4, 100).max(1);
    let times = rtts(n, rng);
    let (min, max) = (
        times.iter().min().copied().unwrap_or(0),
        times.iter().max().copied().unwrap_or(0),
    );
    let avg = times.iter().sum::<u64>() / n;
    let ms = |us: u64| us.div_ceil(1000).to_string();
    Results::complete(vec![
        ("IPAddressUsed".into(), address(&host, rng)),
        ("SuccessCount".into(), n.to_string()),
        ("FailureCount".into(), "0".into()),
        ("AverageResponseTime".into(), ms(avg)),
        ("MinimumResponseTime".into(), ms(min)),
        ("MaximumResponseTime".into(), ms(max)),
        ("AverageResponseTimeDetailed".into(), avg.to_string()),
        ("MinimumResponseTimeDetailed".into(), min.to_string()),
        ("MaximumResponseTimeDetailed".into(), max.to_string()),
    ])
}

fn trace(job: &Job, rng: &mut impl Rng) -> Results {
    let Ok(host) = Host::parse(job.input("Host")) else {
        return Results::error("Error_CannotResolveHostName");
    };
    let target = address(&host, rng);
    let max_hops = job.number("MaxHopCount", 30, 64).max(1);
    let hops = rng.random_range(2..=8u64).min(max_hops);
    let tries = job.number("NumberOfTries", 3, 5).max(1);
    let names: [&str; 4] = if job.spec.tr098 {
        ["HopHost", "HopHostAddress", "HopErrorCode", "HopRTTimes"]
    } else {
        ["Host", "HostAddress", "ErrorCode", "RTTimes"]
    };
    let mut elapsed = 0;
    let rows = (1..=hops)
        .map(|i| {
            let addr = if i == hops {
                target.clone()
            } else {
                format!("198.51.100.{}", i * 10 + rng.random_range(0..10))
            };
            let times: Vec<String> = (0..tries)
                .map(|_| (i * 3 + rng.random_range(1..5)).to_string())
                .collect();
            elapsed = i * 3 + 2;
            vec![
                (names[0].to_owned(), addr.clone()),
                (names[1].to_owned(), addr),
                (names[2].to_owned(), "0".to_owned()),
                (names[3].to_owned(), times.join(",")),
            ]
        })
        .collect();
    let mut r = Results::complete(vec![
        ("IPAddressUsed".into(), target),
        ("ResponseTime".into(), elapsed.to_string()),
    ]);
    r.hops = Some(rows);
    r
}

fn transfer(job: &Job, now: SystemTime, rng: &mut impl Rng, upload: bool) -> Results {
    let field = if upload { "UploadURL" } else { "DownloadURL" };
    let Ok(url) = HttpUrl::parse(job.input(field)) else {
        return Results::error("Error_InitConnectionFailed");
    };
    let bytes = if upload {
        job.number("TestFileLength", 0, 1 << 30)
    } else {
        rng.random_range(1_000_000..20_000_000u64)
    };
    let bits_per_s = rng.random_range(20_000_000..100_000_000u64);
    let connect = Duration::from_micros(rng.random_range(2_000..30_000));
    let first = Duration::from_micros(rng.random_range(5_000..60_000));
    let body = Duration::from_secs_f64(bytes as f64 * 8.0 / bits_per_s as f64);
    let open_req = now;
    let open_resp = now + connect;
    let rom = open_resp;
    let bom = rom + first;
    let eom = bom + body;
    let at = |t: SystemTime| timestamp(t);
    let mut values = vec![
        ("IPAddressUsed".into(), address(&url.host, rng)),
        ("ROMTime".into(), at(rom)),
        ("BOMTime".into(), at(bom)),
        ("EOMTime".into(), at(eom)),
        ("TCPOpenRequestTime".into(), at(open_req)),
        ("TCPOpenResponseTime".into(), at(open_resp)),
    ];
    if upload {
        let test = if job.spec.tr098 {
            "TotalBytesSent"
        } else {
            "TestBytesSent"
        };
        values.push((test.into(), bytes.to_string()));
        if !job.spec.tr098 {
            values.push(("TotalBytesSent".into(), (bytes + 200).to_string()));
        }
    } else {
        values.push(("TestBytesReceived".into(), bytes.to_string()));
        values.push(("TotalBytesReceived".into(), (bytes + 250).to_string()));
        values.push(("TotalBytesSent".into(), "120".into()));
    }
    Results::complete(values)
}

fn select(job: &Job, rng: &mut impl Rng) -> Results {
    let hosts: Result<Vec<Host>, String> = job
        .input("HostList")
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(Host::parse)
        .collect();
    let Ok(hosts) = hosts else {
        return Results::error("Error_CannotResolveHostName");
    };
    let Some(fastest) = hosts.get(rng.random_range(0..hosts.len().max(1))) else {
        return Results::error("Error_Other");
    };
    let n = job.number("NumberOfRepetitions", 3, 100).max(1);
    let times = rtts(n, rng);
    let avg = times.iter().sum::<u64>() / n;
    Results::complete(vec![
        ("FastestHost".into(), fastest.as_str().to_owned()),
        ("IPAddressUsed".into(), address(fastest, rng)),
        (
            "MinimumResponseTime".into(),
            times.iter().min().copied().unwrap_or(0).to_string(),
        ),
        ("AverageResponseTime".into(), avg.to_string()),
        (
            "MaximumResponseTime".into(),
            times.iter().max().copied().unwrap_or(0).to_string(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::diagnostics::specs;

    fn job(kind: Kind, inputs: &[(&'static str, &str)]) -> Job {
        let spec = specs("Device.")
            .into_iter()
            .find(|s| s.kind == kind)
            .expect("spec");
        Job {
            spec,
            inputs: inputs
                .iter()
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn results_are_plausible_and_bad_inputs_fail_as_for_real() {
        let mut rng = StdRng::seed_from_u64(7);
        let now = SystemTime::now();
        let r = simulated(
            &job(
                Kind::IpPing,
                &[("Host", "example.com"), ("NumberOfRepetitions", "5")],
            ),
            now,
            &mut rng,
        );
        assert_eq!(r.state[0], "Complete");
        let get = |r: &Results, n: &str| {
            r.values
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(get(&r, "SuccessCount"), "5");
        let avg: u64 = get(&r, "AverageResponseTime").parse().expect("ms");
        assert!((5..=45).contains(&avg));
        let r = simulated(&job(Kind::IpPing, &[("Host", "a;b")]), now, &mut rng);
        assert_eq!(r.state[0], "Error_CannotResolveHostName");
        let r = simulated(
            &job(Kind::TraceRoute, &[("Host", "192.0.2.7")]),
            now,
            &mut rng,
        );
        let hops = r.hops.expect("hops");
        assert!(!hops.is_empty());
        assert_eq!(hops.last().expect("last")[1].1, "192.0.2.7");
        let r = simulated(
            &job(
                Kind::Upload,
                &[("UploadURL", "http://h/u"), ("TestFileLength", "1000")],
            ),
            now,
            &mut rng,
        );
        assert_eq!(get(&r, "TestBytesSent"), "1000");
        let r = simulated(
            &job(Kind::Download, &[("DownloadURL", "https://h/")]),
            now,
            &mut rng,
        );
        assert_eq!(r.state[0], "Error_InitConnectionFailed");
        let r = simulated(
            &job(
                Kind::ServerSelection,
                &[("HostList", "a.example,b.example")],
            ),
            now,
            &mut rng,
        );
        assert!(get(&r, "FastestHost").ends_with(".example"));
    }
}
