//! The real `cwmp-cpe` binary runs every diagnostic a scripted ACS requests, against loopback
//! targets: the ACS sets the inputs and `DiagnosticsState = Requested` in the bootstrap
//! session; after it the agent runs the tests, writes the results and comes back with
//! `8 DIAGNOSTICS COMPLETE`. Hostile hosts and URLs end in error states with nothing run or
//! sent. The results are read with the operator CLI.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::process::{Daemon, ok, wait_for};
use common::{Peer, Req, reply};
use cwmp::rpc::{InformResponse, ParameterValueStruct, SetParameterValues};
use cwmp::value::Value;
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_testkit::process::free_port;
use hyper::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

#[derive(Default)]
struct Script {
    /// Event codes of each Inform.
    informs: Vec<Vec<String>>,
    /// The SetParameterValues to send in the bootstrap session (taken once).
    spv: Option<Vec<ParameterValueStruct>>,
    /// SetParameterValuesResponse statuses, or the fault codes.
    answers: Vec<String>,
}

type Shared = Arc<Mutex<Script>>;

fn xml(body: impl Into<Body>, id: &str) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

async fn acs(script: Shared) -> Peer {
    Peer::start(move |req: Req| {
        let mut s = script.lock().expect("lock");
        if req.body.is_empty() {
            // The empty POST: the requests of the bootstrap session, else the end.
            let bootstrap = s
                .informs
                .last()
                .is_some_and(|e| e.iter().any(|c| c == "0 BOOTSTRAP"));
            if bootstrap {
                if let Some(list) = s.spv.take() {
                    let spv = SetParameterValues {
                        parameter_list: list,
                        parameter_key: "diag".into(),
                    };
                    return reply(StatusCode::OK, xml(spv, "spv"));
                }
            }
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
            return reply(StatusCode::BAD_REQUEST, Bytes::new());
        };
        match env.body {
            Body::Inform(i) => {
                s.informs
                    .push(i.event.iter().map(|e| e.event_code.to_string()).collect());
                reply(
                    StatusCode::OK,
                    xml(InformResponse { max_envelopes: 1 }, "1"),
                )
            }
            Body::SetParameterValuesResponse(r) => {
                s.answers.push(format!("status {:?}", r.status));
                reply(StatusCode::NO_CONTENT, Bytes::new())
            }
            Body::Fault(f) => {
                s.answers.push(format!("fault {:?}", f));
                reply(StatusCode::NO_CONTENT, Bytes::new())
            }
            _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

/// A loopback HTTP server: GET answers `size` bytes, PUT reads its body and answers 204.
struct Files {
    port: u16,
    connections: Arc<AtomicUsize>,
}

async fn files(size: usize) -> Files {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let count = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let Ok(n) = s.read(&mut buf).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                if head.starts_with("PUT ") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    let mut got = n - head.find("\r\n\r\n").map_or(n, |i| i + 4);
                    while got < len {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(m) => got += m,
                        }
                    }
                    let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                } else {
                    let h = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                    let _ = s.write_all(h.as_bytes()).await;
                    let _ = s.write_all(&vec![b'd'; size]).await;
                }
            });
        }
    });
    Files { port, connections }
}

fn write_config(dir: &Path, acs_url: &str) -> PathBuf {
    let path = dir.join("cpe.toml");
    let text = format!(
        "state_dir = \"{state}\"\nsession_timeout = 5\n\n[acs]\nurl = \"{acs_url}\"\n\n\
         [cpe]\nlisten = \"127.0.0.1\"\nport = {port}\n\n[inform]\nenable = true\ninterval = 3600\n",
        state = dir.join("state").display(),
        port = free_port(),
    );
    std::fs::write(&path, text).expect("write config");
    path
}

fn pv(name: &str, value: Value) -> ParameterValueStruct {
    ParameterValueStruct {
        name: name.into(),
        value,
    }
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

const D: &str = "Device.IP.Diagnostics.";

/// `cwmp-cpe get Device.IP.Diagnostics.` as path → value.
async fn diagnostics(socket: &Path) -> Vec<(String, String)> {
    ok(socket, &["get", D])
        .await
        .lines()
        .filter_map(|l| {
            // `path  type  value` (columns padded with spaces; a value may hold spaces).
            let (path, rest) = l.split_once(char::is_whitespace)?;
            let rest = rest.trim_start();
            let value = rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, v)| v.trim());
            Some((path.to_owned(), value.to_owned()))
        })
        .collect()
}

fn value<'a>(all: &'a [(String, String)], path: &str) -> &'a str {
    all.iter()
        .find(|(p, _)| p == path)
        .map_or("", |(_, v)| v.as_str())
}

const STATES: [&str; 5] = [
    "IPPing.DiagnosticsState",
    "TraceRoute.DiagnosticsState",
    "DownloadDiagnostics.DiagnosticsState",
    "UploadDiagnostics.DiagnosticsState",
    "ServerSelectionDiagnostics.DiagnosticsState",
];

/// Runs the agent with the ACS requesting `spv`; the diagnostics subtree once no state is
/// `Requested` any more, and the Informs.
async fn run_requested(
    spv: Vec<ParameterValueStruct>,
) -> (Vec<(String, String)>, Vec<Vec<String>>, Vec<String>) {
    let script = Shared::default();
    script.lock().expect("lock").spv = Some(spv);
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &peer.url("/acs"));
    let daemon = Daemon::start(dir.path(), &config).await;
    wait_for("the SetParameterValues answer", || {
        let s = script.lock().expect("lock");
        (!s.answers.is_empty()).then_some(())
    })
    .await;
    let answers = script.lock().expect("lock").answers.clone();
    assert_eq!(answers, ["status Applied"], "{answers:?}");
    let mut all = Vec::new();
    for _ in 0..600 {
        all = diagnostics(&daemon.socket).await;
        let done = STATES
            .iter()
            .all(|st| value(&all, &format!("{D}{st}")) != "Requested");
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let pending: Vec<&str> = STATES
        .iter()
        .copied()
        .filter(|st| value(&all, &format!("{D}{st}")) == "Requested")
        .collect();
    assert!(
        pending.is_empty(),
        "still requested: {pending:?}\n{}",
        daemon.log()
    );
    // The session that reports them.
    let reported = || {
        let s = script.lock().expect("lock");
        s.informs
            .iter()
            .any(|e| e.iter().any(|c| c == "8 DIAGNOSTICS COMPLETE"))
    };
    for _ in 0..600 {
        if reported() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reported(), "no 8 DIAGNOSTICS COMPLETE:\n{}", daemon.log());
    let s = script.lock().expect("lock");
    (all, s.informs.clone(), s.answers.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_diagnostic_runs_after_the_session_and_reports_diagnostics_complete() {
    let f = files(50_000).await;
    let url = format!("http://127.0.0.1:{}/test.bin", f.port);
    let (all, informs, answers) = run_requested(vec![
        pv(&format!("{D}IPPing.Host"), s("127.0.0.1")),
        pv(
            &format!("{D}IPPing.NumberOfRepetitions"),
            Value::UnsignedInt(3),
        ),
        pv(&format!("{D}IPPing.DiagnosticsState"), s("Requested")),
        pv(&format!("{D}TraceRoute.Host"), s("127.0.0.1")),
        pv(
            &format!("{D}TraceRoute.NumberOfTries"),
            Value::UnsignedInt(1),
        ),
        pv(&format!("{D}TraceRoute.DiagnosticsState"), s("Requested")),
        pv(&format!("{D}DownloadDiagnostics.DownloadURL"), s(&url)),
        pv(
            &format!("{D}DownloadDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
        pv(&format!("{D}UploadDiagnostics.UploadURL"), s(&url)),
        pv(
            &format!("{D}UploadDiagnostics.TestFileLength"),
            Value::UnsignedLong(70_000),
        ),
        pv(
            &format!("{D}UploadDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
        pv(
            &format!("{D}ServerSelectionDiagnostics.HostList"),
            s("127.0.0.1,127.0.0.3"),
        ),
        pv(
            &format!("{D}ServerSelectionDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
    ])
    .await;
    assert_eq!(answers, ["status Applied"], "{answers:?}");
    for st in STATES {
        assert_eq!(
            value(&all, &format!("{D}{st}")),
            "Complete",
            "{st}: {all:?}"
        );
    }
    assert_eq!(value(&all, &format!("{D}IPPing.SuccessCount")), "3");
    assert_eq!(value(&all, &format!("{D}IPPing.FailureCount")), "0");
    assert_eq!(
        value(&all, &format!("{D}TraceRoute.RouteHops.1.HostAddress")),
        "127.0.0.1"
    );
    assert_eq!(
        value(&all, &format!("{D}DownloadDiagnostics.TestBytesReceived")),
        "50000"
    );
    assert_eq!(
        value(&all, &format!("{D}UploadDiagnostics.TestBytesSent")),
        "70000"
    );
    let fastest = value(&all, &format!("{D}ServerSelectionDiagnostics.FastestHost"));
    assert!(fastest.starts_with("127.0.0."), "{fastest}");
    // The first Inform bootstraps; the diagnostics come back in later sessions.
    assert!(informs[0].iter().any(|c| c == "0 BOOTSTRAP"), "{informs:?}");
    assert!(
        informs[1..]
            .iter()
            .all(|e| !e.iter().any(|c| c == "0 BOOTSTRAP")),
        "{informs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_hosts_and_urls_end_in_errors_with_nothing_run_or_sent() {
    let f = files(10).await;
    let marker = std::env::temp_dir().join(format!("cwmp-diag-process-{}", std::process::id()));
    let m = marker.display().to_string();
    let p = f.port;
    let (all, _, answers) = run_requested(vec![
        pv(
            &format!("{D}IPPing.Host"),
            s(&format!("127.0.0.1;touch {m}")),
        ),
        pv(&format!("{D}IPPing.DiagnosticsState"), s("Requested")),
        pv(&format!("{D}TraceRoute.Host"), s(&format!("$(touch {m})"))),
        pv(&format!("{D}TraceRoute.DiagnosticsState"), s("Requested")),
        pv(
            &format!("{D}DownloadDiagnostics.DownloadURL"),
            s(&format!("http://127.0.0.1:{p}/x;touch${{IFS}}{m}")),
        ),
        pv(
            &format!("{D}DownloadDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
        pv(
            &format!("{D}UploadDiagnostics.UploadURL"),
            s(&format!("http://`touch {m}`:{p}/")),
        ),
        pv(
            &format!("{D}UploadDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
        pv(
            &format!("{D}ServerSelectionDiagnostics.HostList"),
            s(&format!("127.0.0.1,-c1 {m}")),
        ),
        pv(
            &format!("{D}ServerSelectionDiagnostics.DiagnosticsState"),
            s("Requested"),
        ),
    ])
    .await;
    assert_eq!(answers, ["status Applied"], "{answers:?}");
    let state = |o: &str| value(&all, &format!("{D}{o}.DiagnosticsState")).to_owned();
    assert_eq!(state("IPPing"), "Error_CannotResolveHostName");
    assert_eq!(state("TraceRoute"), "Error_CannotResolveHostName");
    assert_eq!(state("UploadDiagnostics"), "Error_InitConnectionFailed");
    assert_eq!(
        state("ServerSelectionDiagnostics"),
        "Error_CannotResolveHostName"
    );
    // `;touch${IFS}…` is a legal (if odd) URL path: it is only requested as a path.
    assert_eq!(state("DownloadDiagnostics"), "Complete");
    assert_eq!(
        value(&all, &format!("{D}DownloadDiagnostics.TestBytesReceived")),
        "10"
    );
    assert!(!marker.exists(), "nothing was run");
    assert_eq!(
        f.connections.load(Ordering::SeqCst),
        1,
        "only the download connected"
    );
}
