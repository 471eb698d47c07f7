//! Drives the ACS's northbound API the way an operator's OSS would: one task with a
//! Connection Request (`POST /devices/<id>/tasks?connection_request&timeout=…`) per device,
//! a fixed number in flight, and prints how many completed per second as JSON. Used by
//! `scripts/bench.sh` against devices a `cwmp-sim` run keeps alive.
//!
//! ```text
//! cargo run --release -p cwmp-sim --example api_tasks -- --api 127.0.0.1:7557 \
//!     --token TOKEN --serial-prefix CRQ --devices 1000 --concurrency 32 \
//!     --param Device.DeviceInfo.UpTime --param Device.DeviceInfo.SoftwareVersion
//! ```
//!
//! Before the timed part it lists the devices whose serial number starts with the prefix and
//! gives each the simulator's Connection Request credentials (`PUT …/credentials`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};
use tokio::net::TcpStream;

/// Longest wait for any one API call beyond the task's own timeout.
const CALL_SLACK: Duration = Duration::from_secs(10);
/// Largest page of `GET /devices`.
const PAGE: usize = 1000;

/// Command line.
#[derive(Debug, Parser)]
struct Args {
    /// Address of the ACS's API.
    #[arg(long)]
    api: SocketAddr,
    /// API bearer token.
    #[arg(long)]
    token: String,
    /// Serial number prefix of the devices to use.
    #[arg(long)]
    serial_prefix: String,
    /// Number of devices (tasks) to use.
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long the API waits for each task after its Connection Request (ms).
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Parameter names of the GetParameterValues (repeatable).
    #[arg(long = "param", required = true)]
    params: Vec<String>,
    /// ConnectionRequestUsername the devices accept.
    #[arg(long, default_value = "sim")]
    cr_username: String,
    /// ConnectionRequestPassword the devices accept.
    #[arg(long, default_value = "sim")]
    cr_password: String,
}

/// One keep-alive HTTP/1.1 connection to the API, reopened after an error.
struct Client {
    addr: SocketAddr,
    token: String,
    conn: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    fn new(addr: SocketAddr, token: &str) -> Client {
        Client {
            addr,
            token: token.to_owned(),
            conn: None,
        }
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Full<Bytes>>> {
        if self.conn.as_ref().is_none_or(|c| c.is_closed()) {
            let stream = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connecting to {}", self.addr))?;
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            self.conn = Some(send);
        }
        self.conn.as_mut().context("no connection")
    }

    /// Sends one request and returns the status and the body (JSON, or `null`).
    async fn call(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Json>,
        limit: Duration,
    ) -> anyhow::Result<(u16, Json)> {
        let bytes = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string())
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(Full::new(bytes))?;
        let exchange = async {
            let send = self.connect().await?;
            let response = send.send_request(request).await?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await?.to_bytes();
            let json = serde_json::from_slice(&body).unwrap_or(Json::Null);
            anyhow::Ok((status, json))
        };
        let result = tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("{method} {path}: no answer in {limit:?}")));
        if result.is_err() {
            self.conn = None;
        }
        result
    }
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved characters kept).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn device_ids(client: &mut Client, prefix: &str, want: usize) -> anyhow::Result<Vec<String>> {
    let query = json!({"_deviceId._SerialNumber": {"$regex": format!("^{prefix}")}}).to_string();
    let mut ids = Vec::new();
    while ids.len() < want {
        let path = format!(
            "/devices?query={}&projection=_id&limit={PAGE}&skip={}",
            enc(&query),
            ids.len()
        );
        let (status, body) = client.call("GET", &path, None, CALL_SLACK).await?;
        if status != 200 {
            bail!("GET /devices: HTTP {status}: {body}");
        }
        let page: Vec<String> = body
            .as_array()
            .context("GET /devices: not an array")?
            .iter()
            .filter_map(|d| d["_id"].as_str().map(str::to_owned))
            .collect();
        if page.is_empty() {
            break;
        }
        ids.extend(page);
    }
    ids.truncate(want);
    Ok(ids)
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let mut client = Client::new(args.api, &args.token);
    let ids = device_ids(&mut client, &args.serial_prefix, args.devices).await?;
    if ids.len() < args.devices {
        bail!(
            "only {} devices with serial prefix {} (wanted {})",
            ids.len(),
            args.serial_prefix,
            args.devices
        );
    }
    let creds = json!({"cr_username": args.cr_username, "cr_password": args.cr_password});
    for id in &ids {
        let path = format!("/devices/{}/credentials", enc(id));
        let (status, body) = client.call("PUT", &path, Some(&creds), CALL_SLACK).await?;
        if !(200..300).contains(&status) {
            bail!("PUT {path}: HTTP {status}: {body}");
        }
    }

    let task = Arc::new(json!({"name": "getParameterValues", "parameterNames": args.params}));
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let limit = Duration::from_millis(args.timeout_ms) + CALL_SLACK;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency.min(ids.len()) {
        let (ids, next, task) = (Arc::clone(&ids), Arc::clone(&next), Arc::clone(&task));
        let mut client = Client::new(args.api, &args.token);
        let timeout_ms = args.timeout_ms;
        workers.spawn(async move {
            let mut seen: Vec<(Result<u16, String>, Duration)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let path = format!(
                    "/devices/{}/tasks?connection_request&timeout={timeout_ms}",
                    enc(id)
                );
                let t0 = Instant::now();
                let result = client.call("POST", &path, Some(&task), limit).await;
                seen.push((
                    result.map(|(s, _)| s).map_err(|e| e.to_string()),
                    t0.elapsed(),
                ));
            }
            seen
        });
    }
    let mut latencies = Vec::new();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut first_error = None;
    while let Some(done) = workers.join_next().await {
        for (result, took) in done? {
            let key = match result {
                Ok(status) => status.to_string(),
                Err(e) => {
                    first_error.get_or_insert(e);
                    "error".to_owned()
                }
            };
            *by_status.entry(key).or_default() += 1;
            latencies.push(took);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let completed = by_status.get("200").copied().unwrap_or(0);
    let report = json!({
        "tasks": ids.len(),
        "completed": completed,
        "by_status": by_status,
        "first_error": first_error,
        "concurrency": args.concurrency,
        "duration_s": elapsed,
        "completed_per_s": completed as f64 / elapsed.max(1e-9),
        "latency_ms": {
            "p50": quantile(&latencies, 0.5),
            "p99": quantile(&latencies, 0.99),
            "max": quantile(&latencies, 1.0),
        },
    });
    println!("{report}");
    Ok(())
}
