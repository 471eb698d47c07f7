//! The API's Connection Request wait, rate limit, event stream and metrics, end to end: the
//! CWMP endpoint and the API in-process on 127.0.0.1 with one store, event bus and metrics,
//! scripted CPEs over real HTTP.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{STEP, call, call_raw, enc, gpv_task, run_session};
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens};
use cwmp_acs::config::Config;
use cwmp_acs::events::{EventBus, EventKind};
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig};
use cwmp_acs::metrics::Metrics;
use cwmp_acs::store::*;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const TOKEN: &str = "events-token";

struct Acs {
    cwmp: SocketAddr,
    api: SocketAddr,
    events: EventBus,
    _dir: tempfile::TempDir,
}

async fn start(tune: impl FnOnce(&mut ApiExtras)) -> Acs {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let events = EventBus::default();
    let metrics = Arc::new(Metrics::default());
    let endpoint = CwmpEndpoint::with_observers(
        Arc::clone(&store),
        EndpointConfig::from_config(&Config::default()),
        events.clone(),
        Arc::clone(&metrics),
    );
    let cwmp_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let cwmp = cwmp_listener.local_addr().expect("addr");
    tokio::spawn(endpoint.serve(cwmp_listener, std::future::pending()));
    let mut extras = ApiExtras {
        events: events.clone(),
        metrics,
        ..ApiExtras::default()
    };
    tune(&mut extras);
    let router = api::router_with(
        ApiState {
            store,
            connection_request_timeout: Duration::from_secs(2),
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([TOKEN]),
        extras,
    );
    let api_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = api_listener.local_addr().expect("addr");
    tokio::spawn(api::serve(api_listener, router, std::future::pending()));
    Acs {
        cwmp,
        api,
        events,
        _dir: dir,
    }
}

/// A CPE's Connection Request server: answers 200 and, when `cwmp` is given, runs a session
/// of `serial` there, sending the names the ACS asked for on the returned channel.
async fn cr_server(
    cwmp: Option<SocketAddr>,
    serial: &'static str,
) -> (String, mpsc::UnboundedReceiver<Vec<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/cr", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::unbounded_channel();
    let own_url = url.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (tx, url) = (tx.clone(), own_url.clone());
            let svc = hyper::service::service_fn(move |_req| {
                let (tx, url) = (tx.clone(), url.clone());
                async move {
                    if let Some(addr) = cwmp {
                        tokio::spawn(async move {
                            let _ = tx.send(run_session(addr, serial, &url).await);
                        });
                    }
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc),
            );
        }
    });
    (url, rx)
}

fn tasks_path(serial: &str, query: &str) -> String {
    format!(
        "/devices/{}/tasks?{query}",
        enc(common::device_id(serial).as_str())
    )
}

#[tokio::test]
async fn connection_request_waits_for_the_task_and_a_second_one_is_queued_without_a_request() {
    let acs = start(|_| {}).await;
    let (url, mut sessions) = cr_server(Some(acs.cwmp), "W1").await;
    // A first session creates the device (nothing to do yet).
    assert!(run_session(acs.cwmp, "W1", &url).await.is_empty());

    let task = gpv_task("Device.DeviceInfo.UpTime");
    let started = Instant::now();
    let path = tasks_path("W1", "connection_request&timeout=8000");
    let (status, body) = call(acs.api, "POST", &path, Some(TOKEN), Some(task.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "done", "{body}");
    assert_eq!(
        body["connectionRequest"],
        json!({"ok": true, "status": 200})
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    let asked = tokio::time::timeout(STEP, sessions.recv())
        .await
        .expect("in time")
        .expect("session");
    assert_eq!(asked, vec![vec!["Device.DeviceInfo.UpTime".to_owned()]]);

    // The first task completed: it is gone from /tasks, as in GenieACS.
    let (_, tasks) = call(acs.api, "GET", "/tasks", Some(TOKEN), None).await;
    assert_eq!(tasks, json!([]));

    // A second task at once: queued all the same, with no second Connection Request; it
    // waits for the device's next session.
    let quick = tasks_path("W1", "connection_request&timeout=300");
    let (status, body) = call(acs.api, "POST", &quick, Some(TOKEN), Some(task.clone())).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending", "{body}");
    assert!(body["connectionRequest"]["skipped"].is_string(), "{body}");
    let (_, tasks) = call(acs.api, "GET", "/tasks", Some(TOKEN), None).await;
    assert_eq!(tasks.as_array().expect("array").len(), 1, "{tasks}");
    assert_eq!(tasks[0]["_id"], body["_id"]);
    assert_eq!(
        run_session(acs.cwmp, "W1", &url).await,
        vec![vec!["Device.DeviceInfo.UpTime".to_owned()]]
    );
    let (_, tasks) = call(acs.api, "GET", "/tasks", Some(TOKEN), None).await;
    assert_eq!(tasks, json!([]));

    // The outcome is on the device.
    let (_, devices) = call(acs.api, "GET", "/devices", Some(TOKEN), None).await;
    let dev = &devices.as_array().expect("array")[0];
    assert_eq!(dev["_lastConnectionRequest"]["ok"], json!(true), "{dev}");
    assert!(
        dev["_lastConnectionRequest"]["time"]
            .as_i64()
            .expect("time")
            > 0
    );
}

#[tokio::test]
async fn connection_request_without_a_session_answers_202_at_the_timeout() {
    let acs = start(|_| {}).await;
    let (url, _) = cr_server(None, "Q1").await;
    assert!(run_session(acs.cwmp, "Q1", &url).await.is_empty());
    let started = Instant::now();
    let path = tasks_path("Q1", "connection_request&timeout=300");
    let (status, body) = call(
        acs.api,
        "POST",
        &path,
        Some(TOKEN),
        Some(gpv_task("Device.DeviceInfo.UpTime")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["connectionRequest"]["ok"], json!(true));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

/// Opens `GET /events` on a raw connection; the returned channel carries what it reads.
async fn open_stream(api: SocketAddr, query: &str) -> mpsc::UnboundedReceiver<String> {
    let mut tcp = tokio::net::TcpStream::connect(api).await.expect("connect");
    let req =
        format!("GET /events{query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.expect("write");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                return;
            }
        }
    });
    rx
}

/// Reads the stream until `pred` holds for the text so far.
async fn read_until(
    rx: &mut mpsc::UnboundedReceiver<String>,
    pred: impl Fn(&str) -> bool,
) -> String {
    let mut text = String::new();
    let fut = async {
        while !pred(&text) {
            match rx.recv().await {
                Some(chunk) => text.push_str(&chunk),
                None => break,
            }
        }
    };
    let _ = tokio::time::timeout(STEP, fut).await;
    assert!(pred(&text), "stream so far:\n{text}");
    text
}

#[tokio::test]
async fn event_stream_metrics_and_openapi() {
    let acs = start(|e| e.sse_heartbeat = Duration::from_millis(100)).await;
    let (url, _) = cr_server(None, "E1").await;
    assert!(run_session(acs.cwmp, "E1", &url).await.is_empty());
    let (status, _) = call(acs.api, "GET", "/events", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let id = common::device_id("E1");
    let mut stream = open_stream(acs.api, &format!("?device={}", enc(id.as_str()))).await;
    let mut other = open_stream(acs.api, "?device=nobody").await;
    read_until(&mut stream, |t| {
        t.contains("text/event-stream") && t.contains(": heartbeat")
    })
    .await;

    let (status, task) = call(
        acs.api,
        "POST",
        &tasks_path("E1", ""),
        Some(TOKEN),
        Some(gpv_task("Device.DeviceInfo.UpTime")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let task_id = task["_id"].as_str().expect("id").to_owned();
    assert_eq!(
        run_session(acs.cwmp, "E1", &url).await,
        vec![vec!["Device.DeviceInfo.UpTime".to_owned()]]
    );
    let text = read_until(&mut stream, |t| t.contains("\"type\":\"session_end\"")).await;
    let events: Vec<Json> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|l| serde_json::from_str(l).expect("event JSON"))
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, ["inform", "task_done", "session_end"], "{text}");
    assert_eq!(events[0]["events"], json!(["6 CONNECTION REQUEST"]));
    assert_eq!(events[1]["task"], json!(task_id));
    assert_eq!(events[2]["outcome"], "ok");
    assert!(events.iter().all(|e| e["device"] == id.as_str()));
    // The other subscription only saw heartbeats.
    let other_text = read_until(&mut other, |t| t.contains(": heartbeat")).await;
    assert!(!other_text.contains("data:"), "{other_text}");

    let (status, _, _) = call_raw(acs.api, "GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, text) = call_raw(acs.api, "GET", "/metrics", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .contains("version=0.0.4")
    );
    for line in [
        "acs_sessions_started_total 2",
        "acs_sessions_ended_total{outcome=\"ok\"} 2",
        "acs_sessions_active 0",
        "acs_rpcs_sent_total{method=\"GetParameterValues\"} 1",
        "acs_store_operation_seconds_count{op=\"begin_session\"} 2",
        "acs_store_operation_seconds_count{op=\"write_batch\"} 1",
        "acs_http_requests_total{server=\"cwmp\",code=\"2xx\"} 5",
        "acs_cpe_auth_open 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }

    let (status, doc) = call(acs.api, "GET", "/openapi.json", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["paths"]["/events"]["get"].is_object());
}

#[tokio::test]
async fn public_metrics_need_no_token_but_the_rest_does() {
    let acs = start(|e| e.metrics_public = true).await;
    let (status, _, text) = call_raw(acs.api, "GET", "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("acs_sessions_active 0"));
    let (status, _) = call(acs.api, "GET", "/devices", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_slow_event_client_is_dropped_and_frees_its_slot() {
    let acs = start(|e| e.sse_slots = Arc::new(tokio::sync::Semaphore::new(1))).await;
    // A client that never reads.
    let mut tcp = tokio::net::TcpStream::connect(acs.api)
        .await
        .expect("connect");
    let req = format!("GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.expect("write");
    // Its slot is taken: a second client is refused.
    let deadline = Instant::now() + STEP;
    loop {
        let (status, _, _) = call_raw(acs.api, "GET", "/events?device=x", Some(TOKEN), None).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first client never took its slot"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Far more events than the bus keeps, published without waiting for anyone.
    let dev = DeviceId::from_escaped("flood");
    let published = Instant::now();
    for i in 0..(cwmp_acs::events::DEFAULT_CAPACITY * 4) {
        acs.events.publish(
            &dev,
            EventKind::TaskDone {
                task: format!("t{i}"),
                result: serde_json::json!({}),
            },
        );
    }
    assert!(published.elapsed() < Duration::from_secs(2));
    // The slow client is dropped: its slot is free again.
    let mut next = loop {
        let s = open_stream(acs.api, "?device=x").await;
        let mut s = s;
        let mut text = String::new();
        let got = tokio::time::timeout(Duration::from_millis(500), async {
            while !text.contains("\r\n\r\n") {
                match s.recv().await {
                    Some(c) => text.push_str(&c),
                    None => break,
                }
            }
        })
        .await;
        if got.is_ok() && text.starts_with("HTTP/1.1 200") {
            break s;
        }
        assert!(Instant::now() < deadline, "slot never freed: {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    drop(tcp);
    acs.events.publish(
        &DeviceId::from_escaped("x"),
        EventKind::TaskDone {
            task: "last".into(),
            result: serde_json::json!({}),
        },
    );
    read_until(&mut next, |t| t.contains("\"task\":\"last\"")).await;
}
