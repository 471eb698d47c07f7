//! Each diagnostic against loopback targets through the tree (TR-181 and TR-098), hostile
//! hosts and URLs, and a request changed while it ran.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cwmp_datamodel::{BuiltinModel, Model, ModelOptions, Profile, Tree};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::*;

fn tree(tr098: bool) -> Tree {
    let (m, p) = if tr098 {
        (BuiltinModel::Tr098, Profile::tr098_gateway())
    } else {
        (BuiltinModel::Tr181, Profile::tr181_gateway())
    };
    let schema = Arc::new(m.load().expect("schema"));
    Tree::new(Arc::new(
        Model::new(schema, &p.expect("profile"), ModelOptions::default()).expect("model"),
    ))
}

fn get(t: &Tree, path: &str) -> String {
    t.stored_value(path)
        .map(|v| v.as_text().into_owned())
        .unwrap_or_else(|| panic!("{path} missing"))
}

/// Sets the inputs and `DiagnosticsState = Requested`, runs what is requested, applies it.
async fn request(t: &mut Tree, root: &str, object: &str, inputs: &[(&str, &str)]) {
    for (k, v) in inputs {
        t.set_local(&format!("{object}{k}"), v).expect("input");
    }
    t.set_local(&format!("{object}DiagnosticsState"), "Requested")
        .expect("state");
    let jobs = requested(t, root);
    let job = jobs
        .into_iter()
        .find(|j| j.spec.object == object)
        .expect("requested");
    let results = run(&job).await;
    assert!(apply(t, &job, &results));
}

/// A loopback HTTP server: GET answers `size` bytes, PUT reads the body and answers 200.
/// Counts connections and the bytes of PUT bodies.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    put_bytes: Arc<AtomicUsize>,
}

async fn server(size: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let put_bytes = Arc::new(AtomicUsize::new(0));
    let (c, p) = (connections.clone(), put_bytes.clone());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let p = p.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                if head.starts_with("PUT ") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    let mut got = buf.len() - head_end;
                    while got < len {
                        let Ok(n) = s.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    p.fetch_add(got, Ordering::SeqCst);
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .await;
                } else {
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(&vec![b'x'; size]).await;
                }
            });
        }
    });
    Server {
        port,
        connections,
        put_bytes,
    }
}

const PING: &str = "Device.IP.Diagnostics.IPPing.";
const TRACE: &str = "Device.IP.Diagnostics.TraceRoute.";
const DOWN: &str = "Device.IP.Diagnostics.DownloadDiagnostics.";
const UP: &str = "Device.IP.Diagnostics.UploadDiagnostics.";
const SELECT: &str = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";

#[tokio::test]
async fn ip_ping_of_loopback_completes_with_every_echo_answered() {
    let mut t = tree(false);
    request(
        &mut t,
        "Device.",
        PING,
        &[("Host", "127.0.0.1"), ("NumberOfRepetitions", "3")],
    )
    .await;
    assert_eq!(get(&t, &format!("{PING}DiagnosticsState")), "Complete");
    assert_eq!(get(&t, &format!("{PING}SuccessCount")), "3");
    assert_eq!(get(&t, &format!("{PING}FailureCount")), "0");
    assert_eq!(get(&t, &format!("{PING}IPAddressUsed")), "127.0.0.1");
    let min: u32 = get(&t, &format!("{PING}MinimumResponseTime"))
        .parse()
        .expect("n");
    let max: u32 = get(&t, &format!("{PING}MaximumResponseTime"))
        .parse()
        .expect("n");
    assert!(min >= 1 && min <= max);
    // A name resolves (localhost) as well.
    request(
        &mut t,
        "Device.",
        PING,
        &[("Host", "localhost"), ("NumberOfRepetitions", "1")],
    )
    .await;
    assert_eq!(get(&t, &format!("{PING}SuccessCount")), "1");
}

#[tokio::test]
async fn trace_route_to_loopback_ends_at_the_host() {
    let mut t = tree(false);
    request(
        &mut t,
        "Device.",
        TRACE,
        &[("Host", "127.0.0.1"), ("NumberOfTries", "1")],
    )
    .await;
    assert_eq!(get(&t, &format!("{TRACE}DiagnosticsState")), "Complete");
    let rows = t
        .instance_numbers(&format!("{TRACE}RouteHops."))
        .expect("table");
    assert!(!rows.is_empty());
    assert_eq!(
        get(&t, &format!("{TRACE}RouteHopsNumberOfEntries")),
        rows.len().to_string()
    );
    let last = rows.last().expect("a hop");
    assert_eq!(
        get(&t, &format!("{TRACE}RouteHops.{last}.HostAddress")),
        "127.0.0.1"
    );
}

#[tokio::test]
async fn download_and_upload_move_the_bytes_and_time_each_step() {
    let s = server(200_000).await;
    let mut t = tree(false);
    let url = format!("http://127.0.0.1:{}/file", s.port);
    request(&mut t, "Device.", DOWN, &[("DownloadURL", &url)]).await;
    assert_eq!(get(&t, &format!("{DOWN}DiagnosticsState")), "Complete");
    assert_eq!(get(&t, &format!("{DOWN}TestBytesReceived")), "200000");
    let times: Vec<(i64, u32)> = [
        "TCPOpenRequestTime",
        "TCPOpenResponseTime",
        "ROMTime",
        "BOMTime",
        "EOMTime",
    ]
    .iter()
    .map(|n| {
        let text = get(&t, &format!("{DOWN}{n}"));
        let at: cwmp::DateTime = text.parse().expect("a dateTime");
        at.to_unix().expect("known")
    })
    .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(
        times.iter().any(|(_, nanos)| *nanos != 0),
        "sub-second: {times:?}"
    );

    request(
        &mut t,
        "Device.",
        UP,
        &[("UploadURL", &url), ("TestFileLength", "300000")],
    )
    .await;
    assert_eq!(get(&t, &format!("{UP}DiagnosticsState")), "Complete");
    assert_eq!(get(&t, &format!("{UP}TestBytesSent")), "300000");
    assert_eq!(s.put_bytes.load(Ordering::SeqCst), 300_000);
}

#[tokio::test]
async fn server_selection_picks_a_host_of_the_list() {
    let mut t = tree(false);
    request(
        &mut t,
        "Device.",
        SELECT,
        &[
            ("HostList", "127.0.0.1,127.0.0.2"),
            ("NumberOfRepetitions", "2"),
        ],
    )
    .await;
    assert_eq!(get(&t, &format!("{SELECT}DiagnosticsState")), "Complete");
    let fastest = get(&t, &format!("{SELECT}FastestHost"));
    assert!(
        fastest == "127.0.0.1" || fastest == "127.0.0.2",
        "{fastest}"
    );
}

#[tokio::test]
async fn hostile_hosts_and_urls_are_refused_before_anything_is_run_or_sent() {
    let s = server(10).await;
    let mut t = tree(false);
    let marker = std::env::temp_dir().join(format!("cwmp-diag-pwned-{}", std::process::id()));
    let m = marker.display();
    for host in [
        format!("127.0.0.1; touch {m}"),
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        "-c 1 127.0.0.1".to_owned(),
        "127.0.0.1\n127.0.0.2".to_owned(),
        "127.0.0.1 | id".to_owned(),
    ] {
        for object in [PING, TRACE] {
            request(&mut t, "Device.", object, &[("Host", &host)]).await;
            assert_eq!(
                get(&t, &format!("{object}DiagnosticsState")),
                "Error_CannotResolveHostName",
                "{object} {host:?}"
            );
        }
        request(
            &mut t,
            "Device.",
            SELECT,
            &[("HostList", &format!("127.0.0.1,{host}"))],
        )
        .await;
        assert_eq!(
            get(&t, &format!("{SELECT}DiagnosticsState")),
            "Error_CannotResolveHostName",
            "{host:?}"
        );
    }
    let p = s.port;
    for url in [
        format!("http://127.0.0.1:{p}/x\r\nX-Injected: 1"),
        format!("http://127.0.0.1:{p}/a b"),
        format!("http://127.0.0.1:{p};touch {m}/"),
        format!("http://$(touch {m}):{p}/"),
        format!("http://u:p@127.0.0.1:{p}/"),
        "file:///etc/passwd".to_owned(),
        format!("ftp://127.0.0.1:{p}/"),
    ] {
        for (object, field) in [(DOWN, "DownloadURL"), (UP, "UploadURL")] {
            // A value the data model refuses (CR LF) never reaches the diagnostic.
            if t.set_local(&format!("{object}{field}"), &url).is_err() {
                continue;
            }
            request(&mut t, "Device.", object, &[]).await;
            assert_eq!(
                get(&t, &format!("{object}DiagnosticsState")),
                "Error_InitConnectionFailed",
                "{object} {url:?}"
            );
        }
    }
    assert_eq!(s.connections.load(Ordering::SeqCst), 0, "nothing was sent");
    assert!(!marker.exists());
}

#[tokio::test]
async fn tr098_objects_use_their_own_names() {
    let s = server(1000).await;
    let mut t = tree(true);
    let root = "InternetGatewayDevice.";
    let ping = "InternetGatewayDevice.IPPingDiagnostics.";
    request(
        &mut t,
        root,
        ping,
        &[("Host", "127.0.0.1"), ("NumberOfRepetitions", "2")],
    )
    .await;
    assert_eq!(get(&t, &format!("{ping}DiagnosticsState")), "Complete");
    assert_eq!(get(&t, &format!("{ping}SuccessCount")), "2");
    let trace = "InternetGatewayDevice.TraceRouteDiagnostics.";
    request(
        &mut t,
        root,
        trace,
        &[("Host", "127.0.0.1"), ("NumberOfTries", "1")],
    )
    .await;
    assert_eq!(get(&t, &format!("{trace}DiagnosticsState")), "Complete");
    assert_eq!(
        get(&t, &format!("{trace}RouteHops.1.HopHostAddress")),
        "127.0.0.1"
    );
    let url = format!("http://127.0.0.1:{}/f", s.port);
    let up = "InternetGatewayDevice.UploadDiagnostics.";
    request(
        &mut t,
        root,
        up,
        &[("UploadURL", &url), ("TestFileLength", "5000")],
    )
    .await;
    assert_eq!(get(&t, &format!("{up}DiagnosticsState")), "Completed");
    assert_eq!(get(&t, &format!("{up}TotalBytesSent")), "5000");
    let down = "InternetGatewayDevice.DownloadDiagnostics.";
    request(&mut t, root, down, &[("DownloadURL", &url)]).await;
    assert_eq!(get(&t, &format!("{down}TestBytesReceived")), "1000");
}

#[tokio::test]
async fn a_request_changed_while_it_ran_is_not_overwritten() {
    let mut t = tree(false);
    t.set_local(&format!("{PING}Host"), "127.0.0.1")
        .expect("host");
    t.set_local(&format!("{PING}NumberOfRepetitions"), "1")
        .expect("n");
    t.set_local(&format!("{PING}DiagnosticsState"), "Requested")
        .expect("state");
    let job = requested(&t, "Device.").remove(0);
    let results = run(&job).await;
    t.set_local(&format!("{PING}Host"), "127.0.0.2")
        .expect("changed");
    assert!(!apply(&mut t, &job, &results));
    assert_eq!(get(&t, &format!("{PING}DiagnosticsState")), "Requested");
    assert_eq!(get(&t, &format!("{PING}SuccessCount")), "0");
}
