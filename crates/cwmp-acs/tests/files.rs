//! Files and firmware end to end: the API, the file server and the CWMP endpoint in-process
//! on 127.0.0.1 (random ports) with one store, a scripted CPE over real HTTP.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{Cpe, STEP, call, enc};
use cwmp::rpc::*;
use cwmp::{Body, DateTime, Envelope, EventCode, FaultCode, Header};
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens};
use cwmp_acs::config::Config;
use cwmp_acs::events::{EventBus, EventKind};
use cwmp_acs::files::signing::Grant;
use cwmp_acs::files::{FileService, FileSettings};
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig, EndpointParts};
use cwmp_acs::store::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;

const TOKEN: &str = "files-token";

struct Acs {
    cwmp: SocketAddr,
    api: SocketAddr,
    file_server: SocketAddr,
    store: Arc<dyn Store>,
    files: Arc<FileService>,
    events: EventBus,
    _dir: tempfile::TempDir,
}

async fn start(max_file_bytes: u64) -> Acs {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let file_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let file_server = file_listener.local_addr().expect("addr");
    let config = Config {
        file_base_url: format!("http://{file_server}"),
        max_file_bytes,
        max_upload_bytes: 1 << 20,
        ..Config::default()
    };
    let files = Arc::new(
        FileService::open(
            dir.path(),
            Arc::clone(&store),
            FileSettings::from_config(&config),
        )
        .expect("files"),
    );
    tokio::spawn(cwmp_acs::files::server::serve(
        file_listener,
        cwmp_acs::files::server::router(Arc::clone(&files)),
        None,
        files.settings().idle_timeout,
        std::future::pending(),
    ));
    let events = EventBus::default();
    let endpoint = CwmpEndpoint::with_parts(
        Arc::clone(&store),
        EndpointConfig::from_config(&config),
        EndpointParts {
            events: events.clone(),
            files: Some(Arc::clone(&files)),
            ..EndpointParts::default()
        },
    );
    let cwmp_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let cwmp = cwmp_listener.local_addr().expect("addr");
    tokio::spawn(endpoint.serve(cwmp_listener, std::future::pending()));
    let router = api::router_with(
        ApiState {
            store: Arc::clone(&store),
            connection_request_timeout: Duration::from_secs(2),
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([TOKEN]),
        ApiExtras {
            events: events.clone(),
            files: Some(Arc::clone(&files)),
            ..ApiExtras::default()
        },
    );
    let api_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let api = api_listener.local_addr().expect("addr");
    tokio::spawn(api::serve(api_listener, router, std::future::pending()));
    Acs {
        cwmp,
        api,
        file_server,
        store,
        files,
        events,
        _dir: dir,
    }
}

/// An HTTP answer.
struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

/// One request on a fresh connection to `addr`.
async fn http(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Answer {
    let fut = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(target)
            .header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = sender
            .send_request(req.body(Full::new(body)).expect("request"))
            .await
            .expect("send");
        let (parts, body) = resp.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.expect("body").to_bytes(),
        }
    };
    tokio::time::timeout(STEP, fut).await.expect("in time")
}

/// A GET of a URL the ACS handed out (`http://host:port/path?query`).
async fn fetch(url: &str, headers: &[(&str, &str)]) -> Answer {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("path"));
    http(
        host.parse().expect("addr"),
        "GET",
        path,
        headers,
        Bytes::new(),
    )
    .await
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic content of `len` bytes.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

async fn put_file(acs: &Acs, name: &str, data: Vec<u8>) -> Answer {
    let auth = format!("Bearer {TOKEN}");
    http(
        acs.api,
        "PUT",
        &format!("/files/{name}"),
        &[
            ("authorization", &auth),
            ("fileType", "1 Firmware Upgrade Image"),
            ("oui", "00259E"),
            ("productClass", "HG8245"),
            ("version", "2.0"),
        ],
        Bytes::from(data),
    )
    .await
}

fn unix_now() -> u64 {
    u64::try_from(Timestamp::now().as_millis() / 1000).expect("after 1970")
}

/// The Inform of `serial` with `events`.
fn inform(serial: &str, events: &[EventCode]) -> Envelope {
    let mut env = common::inform(serial, "http://127.0.0.1:9/cr");
    if let Body::Inform(i) = &mut env.body {
        i.event = events
            .iter()
            .map(|e| EventStruct {
                event_code: e.clone(),
                command_key: String::new(),
            })
            .collect();
    }
    env
}

/// The answer to ACS request `req` with `body`, echoing its cwmp:ID.
fn answer(req: &Envelope, body: impl Into<Body>) -> Envelope {
    Envelope::new(
        req.version,
        Header {
            id: req.header.id.clone(),
            ..Header::default()
        },
        body.into(),
    )
}

/// Starts a session of `serial` and returns the ACS's first request after the empty POST.
async fn session_request(acs: &Acs, serial: &str) -> (Cpe, Envelope) {
    let mut cpe = Cpe::connect(acs.cwmp).await;
    let r = cpe
        .post(Some(&inform(serial, &[EventCode::ConnectionRequest])))
        .await
        .envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    let req = cpe.post(None).await.envelope();
    (cpe, req)
}

/// Creates the device with one empty session.
async fn bootstrap(acs: &Acs, serial: &str) {
    let mut cpe = Cpe::connect(acs.cwmp).await;
    cpe.post(Some(&inform(serial, &[EventCode::Bootstrap])))
        .await
        .envelope();
    assert_eq!(cpe.post(None).await.status, StatusCode::NO_CONTENT);
}

async fn create_task(acs: &Acs, serial: &str, task: Json) -> String {
    let path = format!("/devices/{}/tasks", enc(common::device_id(serial).as_str()));
    let (status, body) = call(acs.api, "POST", &path, Some(TOKEN), Some(task)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body["_id"].as_str().expect("id").to_owned()
}

async fn task(acs: &Acs, id: &str) -> Task {
    acs.store.get_task(id).await.expect("get").expect("task")
}

const PENDING: Status = Status::Pending;

fn transfer_complete(key: &str, fault: Option<FaultCode>) -> TransferComplete {
    TransferComplete {
        command_key: key.into(),
        fault_struct: TransferCompleteFaultStruct {
            fault_code: fault,
            fault_string: fault.map_or_else(String::new, |_| "server unreachable".into()),
        },
        start_time: DateTime::from_unix(1_800_000_000, 0).expect("time"),
        complete_time: DateTime::from_unix(1_800_000_060, 0).expect("time"),
    }
}

/// A session of `serial` reporting `tc`; the ACS has nothing else to send.
async fn report(acs: &Acs, serial: &str, tc: TransferComplete) {
    let mut cpe = Cpe::connect(acs.cwmp).await;
    let r = cpe
        .post(Some(&inform(serial, &[EventCode::TransferComplete])))
        .await
        .envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    let env = Envelope::new(cwmp::CwmpVersion::V1_2, Header::with_id("tc-1"), tc);
    let r = cpe.post(Some(&env)).await.envelope();
    assert!(matches!(r.body, Body::TransferCompleteResponse(_)), "{r:?}");
    assert_eq!(cpe.post(None).await.status, StatusCode::NO_CONTENT);
}

/// Waits for the bus to announce the end of task `id`.
async fn task_event(
    rx: &mut tokio::sync::broadcast::Receiver<Arc<cwmp_acs::events::Event>>,
    id: &str,
) -> EventKind {
    let wait = async {
        loop {
            let event = rx.recv().await.expect("bus open");
            match &event.kind {
                EventKind::TaskDone { task, .. } | EventKind::TaskFault { task, .. }
                    if task == id =>
                {
                    return event.kind.clone();
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(STEP, wait).await.expect("task event")
}

#[tokio::test]
async fn files_api_and_signed_urls() {
    let acs = start(1 << 20).await;
    let data = content(100_000);
    let put = put_file(&acs, "fw-2.0.bin", data.clone()).await;
    assert_eq!(put.status, StatusCode::CREATED, "{:?}", put.body);

    let (status, list) = call(acs.api, "GET", "/files", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    let entry = &list[0];
    assert_eq!(entry["_id"], "fw-2.0.bin");
    assert_eq!(entry["length"], 100_000);
    assert_eq!(entry["sha256"], sha256_hex(&data));
    assert_eq!(entry["metadata"]["fileType"], "1 Firmware Upgrade Image");
    assert_eq!(entry["metadata"]["productClass"], "HG8245");
    assert_eq!(entry["metadata"]["version"], "2.0");
    assert!(entry["uploadDate"].as_str().expect("date").ends_with('Z'));

    // The operator's download through the API.
    let auth = format!("Bearer {TOKEN}");
    let got = http(
        acs.api,
        "GET",
        "/files/fw-2.0.bin",
        &[("authorization", &auth)],
        Bytes::new(),
    )
    .await;
    assert_eq!(
        (got.status, got.body.as_ref()),
        (StatusCode::OK, data.as_slice())
    );
    let unauth = http(acs.api, "GET", "/files/fw-2.0.bin", &[], Bytes::new()).await;
    assert_eq!(unauth.status, StatusCode::UNAUTHORIZED);

    // A CPE's download by signed URL: whole, one range, HEAD.
    let device = common::device_id("FILES1");
    let url = acs
        .files
        .signed_url(Grant::File, "fw-2.0.bin", &device, unix_now() + 600);
    let full = fetch(&url, &[]).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(sha256_hex(&full.body), sha256_hex(&data));
    assert_eq!(full.headers["content-length"], "100000");
    assert_eq!(full.headers["etag"], format!("\"{}\"", sha256_hex(&data)));
    let part = fetch(&url, &[("range", "bytes=1000-1999")]).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body.as_ref(), &data[1000..2000]);
    assert_eq!(part.headers["content-range"], "bytes 1000-1999/100000");
    // A resumed download of a replaced file starts over (If-Range, RFC 9110 §13.1.5).
    let etag = format!("\"{}\"", sha256_hex(&data));
    let same = fetch(&url, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(same.status, StatusCode::PARTIAL_CONTENT);
    let changed = fetch(&url, &[("range", "bytes=0-9"), ("if-range", "\"old\"")]).await;
    assert_eq!(
        (changed.status, changed.body.len()),
        (StatusCode::OK, 100_000)
    );
    let tail = fetch(&url, &[("range", "bytes=-10")]).await;
    assert_eq!(tail.body.as_ref(), &data[99_990..]);
    let beyond = fetch(&url, &[("range", "bytes=100000-")]).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers["content-range"], "bytes */100000");
    let path = url
        .split_once(&acs.file_server.to_string())
        .expect("host")
        .1;
    let head = http(acs.file_server, "HEAD", path, &[], Bytes::new()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-length"], "100000");
    assert!(head.body.is_empty());

    // Unsigned, expired, tampered: 403.
    let unsigned = http(
        acs.file_server,
        "GET",
        "/files/fw-2.0.bin",
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN);
    let expired = acs
        .files
        .signed_url(Grant::File, "fw-2.0.bin", &device, unix_now() - 1);
    assert_eq!(fetch(&expired, &[]).await.status, StatusCode::FORBIDDEN);
    let other_device = url.replace("FILES1", "FILES2");
    assert_eq!(
        fetch(&other_device, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let later = url.replace("&e=", "&e=1");
    assert_eq!(fetch(&later, &[]).await.status, StatusCode::FORBIDDEN);
    let mut bad_sig = url.clone();
    let last = bad_sig.pop().expect("char");
    bad_sig.push(if last == '0' { '1' } else { '0' });
    assert_eq!(fetch(&bad_sig, &[]).await.status, StatusCode::FORBIDDEN);

    // Names and sizes are bounded.
    assert_eq!(
        put_file(&acs, ".hidden", vec![1]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put_file(&acs, "a%2F..%2Fb", vec![1]).await.status,
        StatusCode::BAD_REQUEST
    );
    let big = put_file(&acs, "big.bin", vec![0; (1 << 20) + 1]).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let (_, list) = call(acs.api, "GET", "/files", Some(TOKEN), None).await;
    assert_eq!(list.as_array().expect("list").len(), 1);

    let (status, _) = call(acs.api, "DELETE", "/files/fw-2.0.bin", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetch(&url, &[]).await.status, StatusCode::NOT_FOUND);
    let (status, _) = call(acs.api, "DELETE", "/files/fw-2.0.bin", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Queues a download of a stored file and returns (task id, the Download request, the CPE
/// connection in the session, the file's bytes).
async fn download_started(acs: &Acs, serial: &str) -> (String, Download, Cpe, Envelope, Vec<u8>) {
    let data = content(300_000);
    assert_eq!(
        put_file(acs, "fw.bin", data.clone()).await.status,
        StatusCode::CREATED
    );
    bootstrap(acs, serial).await;
    let id = create_task(
        acs,
        serial,
        json!({"name": "download", "file": "fw.bin", "fileType": "1 Firmware Upgrade Image",
               "targetFileName": "fw.img", "delaySeconds": 5}),
    )
    .await;
    let (cpe, req) = session_request(acs, serial).await;
    let Body::Download(d) = &req.body else {
        panic!("expected Download, got {req:?}")
    };
    (id, d.clone(), cpe, req, data)
}

#[tokio::test]
async fn download_task_completes_on_transfer_complete() {
    let acs = start(1 << 20).await;
    let mut rx = acs.events.subscribe();
    let (id, d, mut cpe, req, data) = download_started(&acs, "DL1").await;
    assert_eq!(d.command_key, id);
    assert!(d.command_key.len() <= 32);
    assert_eq!(d.file_type, "1 Firmware Upgrade Image");
    assert_eq!(d.file_size, 300_000);
    assert_eq!(d.target_file_name, "fw.img");
    assert_eq!(d.delay_seconds, 5);
    let got = fetch(&d.url, &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(sha256_hex(&got.body), sha256_hex(&data));

    let accepted = DownloadResponse {
        status: PENDING,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert_eq!(
        cpe.post(Some(&answer(&req, accepted))).await.status,
        StatusCode::NO_CONTENT
    );
    let t = task(&acs, &id).await;
    assert_eq!(t.status, TaskStatus::Transferring);

    report(&acs, "DL1", transfer_complete(&id, None)).await;
    let EventKind::TaskDone { result, .. } = task_event(&mut rx, &id).await else {
        panic!("not done")
    };
    assert_eq!(acs.store.get_task(&id).await.expect("get"), None, "deleted");
    assert_eq!(result["startTime"], "2027-01-15T08:00:00Z");
    assert_eq!(result["completeTime"], "2027-01-15T08:01:00Z");
    assert_eq!(result["commandKey"], id.as_str());
}

#[tokio::test]
async fn faulted_transfer_complete_faults_the_task() {
    let acs = start(1 << 20).await;
    let mut rx = acs.events.subscribe();
    let (id, _, mut cpe, req, _) = download_started(&acs, "DL2").await;
    let accepted = DownloadResponse {
        status: PENDING,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert_eq!(
        cpe.post(Some(&answer(&req, accepted))).await.status,
        StatusCode::NO_CONTENT
    );
    report(
        &acs,
        "DL2",
        transfer_complete(&id, Some(FaultCode::FILE_TRANSFER_FAILURE)),
    )
    .await;
    let EventKind::TaskFault { fault, .. } = task_event(&mut rx, &id).await else {
        panic!("expected a task fault")
    };
    assert_eq!(fault.code, "cwmp.9010");
    let t = task(&acs, &id).await;
    assert_eq!(t.status, TaskStatus::Fault);
    let f = t.fault.expect("fault");
    assert_eq!(f.message, "server unreachable");
    let detail = f.detail.expect("detail");
    assert_eq!(detail["faultCode"], 9010);
    assert_eq!(detail["startTime"], "2027-01-15T08:00:00Z");
    // Not retried: the transfer needs a new task.
    assert!(
        acs.store
            .due_tasks(&common::device_id("DL2"), Timestamp::now())
            .await
            .expect("due")
            .is_empty()
    );
}

#[tokio::test]
async fn unreported_transfer_times_out() {
    let acs = start(1 << 20).await;
    let mut rx = acs.events.subscribe();
    let (id, _, mut cpe, req, _) = download_started(&acs, "DL3").await;
    let accepted = DownloadResponse {
        status: PENDING,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert_eq!(
        cpe.post(Some(&answer(&req, accepted))).await.status,
        StatusCode::NO_CONTENT
    );
    let now = Timestamp::now();
    let expired = cwmp_acs::session::expire_transfers(&acs.store, &acs.events, now).await;
    assert_eq!(expired.expect("sweep"), 0, "not overdue yet");
    // The default timeout is an hour past the 5 s delay.
    let later = now.plus(Duration::from_secs(3600 + 6));
    let expired = cwmp_acs::session::expire_transfers(&acs.store, &acs.events, later).await;
    assert_eq!(expired.expect("sweep"), 1);
    let EventKind::TaskFault { fault, .. } = task_event(&mut rx, &id).await else {
        panic!("expected a task fault")
    };
    assert_eq!(fault.code, "transfer_timeout");
    assert_eq!(task(&acs, &id).await.status, TaskStatus::Fault);
    // A late report changes nothing.
    report(&acs, "DL3", transfer_complete(&id, None)).await;
    assert_eq!(task(&acs, &id).await.status, TaskStatus::Fault);
}

#[tokio::test]
async fn upload_task_stores_the_file_and_a_download_pushes_it_back() {
    let acs = start(1 << 20).await;
    bootstrap(&acs, "UP1").await;
    let id = create_task(
        &acs,
        "UP1",
        json!({"name": "upload", "fileType": "1 Vendor Configuration File"}),
    )
    .await;
    let (mut cpe, req) = session_request(&acs, "UP1").await;
    let Body::Upload(u) = &req.body else {
        panic!("expected Upload, got {req:?}")
    };
    assert_eq!(u.command_key, id);
    assert_eq!(u.file_type, "1 Vendor Configuration File");
    let config = b"<config>backup</config>".to_vec();
    let target = u
        .url
        .split_once(&acs.file_server.to_string())
        .expect("host")
        .1
        .to_owned();
    // Another device's URL, or a tampered one, cannot upload.
    let forged = target.replace("UP1", "UP2");
    let refused = http(
        acs.file_server,
        "PUT",
        &forged,
        &[],
        Bytes::from(config.clone()),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let put = http(
        acs.file_server,
        "PUT",
        &target,
        &[],
        Bytes::from(config.clone()),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK);
    let too_big = http(
        acs.file_server,
        "PUT",
        &target,
        &[],
        Bytes::from(vec![0; (1 << 20) + 1]),
    )
    .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let accepted = UploadResponse {
        status: PENDING,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert_eq!(
        cpe.post(Some(&answer(&req, accepted))).await.status,
        StatusCode::NO_CONTENT
    );
    report(&acs, "UP1", transfer_complete(&id, None)).await;
    assert_eq!(acs.store.get_task(&id).await.expect("get"), None, "done");
    // Once the task is over its URL is dead.
    let replay = http(
        acs.file_server,
        "PUT",
        &target,
        &[],
        Bytes::from(config.clone()),
    )
    .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN);

    let dev = enc(common::device_id("UP1").as_str());
    let (status, list) = call(
        acs.api,
        "GET",
        &format!("/devices/{dev}/uploads"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let uploads = list.as_array().expect("list");
    assert_eq!(uploads.len(), 1, "{list}");
    assert_eq!(uploads[0]["fileType"], "1 Vendor Configuration File");
    assert_eq!(uploads[0]["task"], id.as_str());
    assert_eq!(uploads[0]["size"], config.len());
    assert!(uploads[0]["timestamp"].as_i64().expect("time") > 0);
    let uid = uploads[0]["_id"].as_str().expect("uid").to_owned();
    let auth = format!("Bearer {TOKEN}");
    let got = http(
        acs.api,
        "GET",
        &format!("/devices/{dev}/uploads/{uid}"),
        &[("authorization", &auth)],
        Bytes::new(),
    )
    .await;
    assert_eq!(
        (got.status, got.body.as_ref()),
        (StatusCode::OK, config.as_slice())
    );

    // The backup goes back with a download naming the upload.
    let restore = create_task(&acs, "UP1", json!({"name": "download", "upload": uid})).await;
    let (_cpe, req) = session_request(&acs, "UP1").await;
    let Body::Download(d) = &req.body else {
        panic!("expected Download, got {req:?}")
    };
    assert_eq!(d.command_key, restore);
    assert_eq!(d.file_type, "3 Vendor Configuration File");
    assert_eq!(d.file_size as usize, config.len());
    let got = fetch(&d.url, &[]).await;
    assert_eq!(
        (got.status, got.body.as_ref()),
        (StatusCode::OK, config.as_slice())
    );
    // A download of an upload that does not exist is refused when queued.
    let path = format!("/devices/{dev}/tasks");
    let (status, _) = call(
        acs.api,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({"name": "download", "upload": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn schedule_download_then_cancel_transfer() {
    let acs = start(1 << 20).await;
    assert_eq!(
        put_file(&acs, "fw.bin", content(1000)).await.status,
        StatusCode::CREATED
    );
    bootstrap(&acs, "SD1").await;
    let sd = create_task(
        &acs,
        "SD1",
        json!({"name": "scheduleDownload", "file": "fw.bin",
               "timeWindows": [{"windowStart": 60, "windowEnd": 7200,
                                "windowMode": "2 Immediately", "userMessage": "",
                                "maxRetries": 3}]}),
    )
    .await;
    let (mut cpe, req) = session_request(&acs, "SD1").await;
    let Body::ScheduleDownload(s) = &req.body else {
        panic!("expected ScheduleDownload, got {req:?}")
    };
    assert_eq!(s.command_key, sd);
    assert_eq!(s.file_type, "1 Firmware Upgrade Image");
    assert_eq!(s.file_size, 1000);
    assert_eq!(s.time_window_list.len(), 1);
    let w = &s.time_window_list[0];
    assert_eq!((w.window_start, w.window_end, w.max_retries), (60, 7200, 3));
    assert_eq!(w.window_mode, "2 Immediately");
    assert_eq!(fetch(&s.url, &[]).await.status, StatusCode::OK);
    assert_eq!(
        cpe.post(Some(&answer(&req, ScheduleDownloadResponse {})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let t = task(&acs, &sd).await;
    assert_eq!(t.status, TaskStatus::Transferring);
    // The deadline counts from the window's end.
    let deadline = t.result.expect("result")["transferDeadline"]
        .as_i64()
        .expect("deadline");
    assert!(deadline >= Timestamp::now().as_millis() + 7200 * 1000);

    let cancel = create_task(
        &acs,
        "SD1",
        json!({"name": "cancelTransfer", "commandKey": sd}),
    )
    .await;
    let (mut cpe, req) = session_request(&acs, "SD1").await;
    let Body::CancelTransfer(c) = &req.body else {
        panic!("expected CancelTransfer, got {req:?}")
    };
    assert_eq!(c.command_key, sd);
    assert_eq!(
        cpe.post(Some(&answer(&req, CancelTransferResponse {})))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        acs.store.get_task(&cancel).await.expect("get"),
        None,
        "done"
    );
    let t = task(&acs, &sd).await;
    assert_eq!(t.status, TaskStatus::Fault);
    assert_eq!(t.fault.expect("fault").code, "transfer_cancelled");
}

/// Runs the ACS's turn of a session of `serial` reporting `version` as its
/// SoftwareVersion (and `tc`, if any); returns the Download the ACS sent, if any, after
/// answering it with Status 1.
async fn firmware_session(
    acs: &Acs,
    serial: &str,
    version: &str,
    tc: Option<TransferComplete>,
) -> Option<Download> {
    let mut env = inform(serial, &[EventCode::Periodic]);
    if let Body::Inform(i) = &mut env.body {
        i.parameter_list.push(ParameterValueStruct {
            name: "Device.DeviceInfo.SoftwareVersion".into(),
            value: cwmp::Value::string(version),
        });
    }
    let mut cpe = Cpe::connect(acs.cwmp).await;
    cpe.post(Some(&env)).await.envelope();
    if let Some(tc) = tc {
        let env = Envelope::new(cwmp::CwmpVersion::V1_2, Header::with_id("tc"), tc);
        let r = cpe.post(Some(&env)).await.envelope();
        assert!(matches!(r.body, Body::TransferCompleteResponse(_)));
    }
    let mut download = None;
    let mut reply = cpe.post(None).await;
    while reply.status == StatusCode::OK {
        let req = reply.envelope();
        let body: Body = match &req.body {
            Body::GetParameterValues(g) => GetParameterValuesResponse {
                parameter_list: g
                    .parameter_names
                    .iter()
                    .map(|n| ParameterValueStruct {
                        name: n.clone(),
                        value: cwmp::Value::string(version),
                    })
                    .collect(),
            }
            .into(),
            Body::Download(d) => {
                download = Some(d.clone());
                DownloadResponse {
                    status: PENDING,
                    start_time: DateTime::UNKNOWN,
                    complete_time: DateTime::UNKNOWN,
                }
                .into()
            }
            other => panic!("unexpected {other:?}"),
        };
        reply = cpe.post(Some(&answer(&req, body))).await;
    }
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    download
}

#[tokio::test]
async fn preset_firmware_download_is_signed_and_settles() {
    let acs = start(1 << 20).await;
    let data = content(5000);
    assert_eq!(
        put_file(&acs, "fw.bin", data.clone()).await.status,
        StatusCode::CREATED
    );
    bootstrap(&acs, "FW1").await;
    acs.store
        .put_preset(Preset {
            name: "fw".into(),
            weight: 0,
            precondition: json!({}),
            events: Default::default(),
            channel: "default".into(),
            schedule: None,
            configuration: json!({"firmware": {"version": "2.0", "file": "fw.bin"}}),
        })
        .await
        .expect("preset");
    let d = firmware_session(&acs, "FW1", "1.0", None)
        .await
        .expect("a Download");
    assert!(d.command_key.len() <= 32, "{}", d.command_key);
    assert_eq!(d.file_size, 5000);
    let got = fetch(&d.url, &[]).await;
    assert_eq!(
        (got.status, got.body.as_ref()),
        (StatusCode::OK, data.as_slice())
    );
    let unsigned = d.url.split_once('?').expect("query").0.to_owned();
    assert_eq!(fetch(&unsigned, &[]).await.status, StatusCode::FORBIDDEN);
    // Upgraded: the next session reports the transfer and the target version.
    let tc = transfer_complete(&d.command_key, None);
    assert!(
        firmware_session(&acs, "FW1", "2.0", Some(tc))
            .await
            .is_none()
    );
}

/// Streams a GET of `url` through SHA-256: `(status, bytes, hex digest)`.
async fn fetch_hashed(url: &str) -> (StatusCode, u64, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("path"));
    let stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let req = Request::get(path)
        .header("host", host)
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = sender.send_request(req).await.expect("send");
    let status = resp.status();
    let mut body = resp.into_body();
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.expect("frame").into_data() {
            n += data.len() as u64;
            hasher.update(&data);
        }
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (status, n, hex)
}

/// Figures for docs/BENCHMARKS.md ("File server"); run in release:
/// `cargo test --release -p cwmp-acs --test files -- --ignored --nocapture file_server_figures`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement, run in release"]
async fn file_server_figures() {
    let acs = start(200 << 20).await;
    let device = common::device_id("BENCH");
    let big = content(100 << 20);
    let digest = sha256_hex(&big);
    assert_eq!(
        put_file(&acs, "big.bin", big).await.status,
        StatusCode::CREATED
    );
    let url = acs
        .files
        .signed_url(Grant::File, "big.bin", &device, unix_now() + 600);
    let started = std::time::Instant::now();
    let (status, n, got) = tokio::time::timeout(Duration::from_secs(120), fetch_hashed(&url))
        .await
        .expect("in time");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!((status, n, got), (StatusCode::OK, 100 << 20, digest));
    println!(
        "one 100 MiB download: {secs:.2} s, {:.0} MiB/s (client hashing included)",
        100.0 / secs
    );

    let small = content(1 << 20);
    let digest = sha256_hex(&small);
    assert_eq!(
        put_file(&acs, "small.bin", small).await.status,
        StatusCode::CREATED
    );
    let url = acs
        .files
        .signed_url(Grant::File, "small.bin", &device, unix_now() + 600);
    let started = std::time::Instant::now();
    let downloads: Vec<_> = (0..200)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { fetch_hashed(&url).await })
        })
        .collect();
    let all = async {
        let mut ok = 0;
        for d in downloads {
            let (status, n, got) = d.await.expect("join");
            assert_eq!((status, n), (StatusCode::OK, 1 << 20));
            assert_eq!(got, digest);
            ok += 1;
        }
        ok
    };
    let ok = tokio::time::timeout(Duration::from_secs(120), all)
        .await
        .expect("in time");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "200 concurrent 1 MiB downloads: {ok} complete in {secs:.2} s ({:.0} MiB/s aggregate)",
        200.0 / secs
    );
}
