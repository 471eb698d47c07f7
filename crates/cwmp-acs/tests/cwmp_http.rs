//! The CWMP endpoint over real HTTP on 127.0.0.1, with a small hyper client as the CPE.

use cwmp_acs::task::TaskSpec;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::*;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Header, Value};
use cwmp_acs::config::Config;
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig};
use cwmp_acs::store::*;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;

/// Every exchange is bounded: a hung server fails the test instead of stalling it.
const STEP: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn start(tune: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let mut config = Config {
        max_body_bytes: 64 * 1024,
        ..Config::default()
    };
    tune(&mut config);
    let endpoint = CwmpEndpoint::new(Arc::clone(&store), EndpointConfig::from_config(&config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(endpoint.serve(listener, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        store,
        _stop: stop,
        _dir: dir,
    }
}

/// One keep-alive HTTP connection with a cookie jar of one cookie.
struct Cpe {
    send: SendRequest<Full<Bytes>>,
    cookie: Option<String>,
}

struct Reply {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn envelope(&self) -> Envelope {
        assert_eq!(self.status, StatusCode::OK, "body: {:?}", self.body);
        assert_eq!(
            self.headers.get("content-type").expect("content-type"),
            "text/xml; charset=\"utf-8\""
        );
        Envelope::parse_bytes(&self.body, None, &cwmp::Limits::default()).expect("parse")
    }

    fn retry_after(&self) -> u64 {
        assert_eq!(self.status, StatusCode::SERVICE_UNAVAILABLE);
        self.headers
            .get("retry-after")
            .expect("retry-after")
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds")
    }
}

impl Cpe {
    async fn connect(addr: SocketAddr) -> Cpe {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Cpe { send, cookie: None }
    }

    async fn post_raw(&mut self, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::post("/").header("content-type", "text/xml; charset=utf-8");
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c.as_str());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let exchange = async {
            let resp = self.send.send_request(req).await.expect("send");
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        };
        let reply = tokio::time::timeout(STEP, exchange).await.expect("in time");
        if let Some(set) = reply.headers.get("set-cookie") {
            let set = set.to_str().expect("ascii");
            let pair = set.split(';').next().expect("pair").trim().to_owned();
            self.cookie = Some(pair);
        }
        reply
    }

    async fn post(&mut self, env: Option<&Envelope>) -> Reply {
        let body = env.map_or_else(Vec::new, |e| e.to_xml().expect("xml").into_bytes());
        self.post_raw(body, &[]).await
    }
}

fn inform(serial: &str) -> Envelope {
    Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("inf-1"),
        Inform {
            device_id: cwmp::rpc::DeviceId {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG8245".into(),
                serial_number: serial.into(),
            },
            event: vec![EventStruct {
                event_code: EventCode::Bootstrap,
                command_key: String::new(),
            }],
            max_envelopes: 1,
            current_time: DateTime::UNKNOWN,
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.ConnectionRequestURL".into(),
                value: Value::string("http://192.0.2.9:7547/cr"),
            }],
        },
    )
}

/// Inform, then the empty POST that hands over to the ACS; returns the answer to the latter.
async fn open(cpe: &mut Cpe, serial: &str) -> Reply {
    let r = cpe.post(Some(&inform(serial))).await.envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    assert_eq!(r.header.id.as_deref(), Some("inf-1"));
    cpe.post(None).await
}

#[tokio::test]
async fn full_session_runs_a_stored_task_and_ends_with_204() {
    let server = start(|_| {}).await;
    // A first session creates the device.
    let mut cpe = Cpe::connect(server.addr).await;
    let first = cpe.post(Some(&inform("S1"))).await;
    let set_cookie = first.headers.get("set-cookie").expect("set-cookie");
    assert!(set_cookie.to_str().expect("ascii").starts_with("session="));
    assert!(set_cookie.to_str().expect("ascii").contains("Path=/"));
    assert!(matches!(first.envelope().body, Body::InformResponse(_)));
    assert_eq!(cpe.post(None).await.status, StatusCode::NO_CONTENT);

    let device = cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", "S1");
    let task = server
        .store
        .create_task(NewTask {
            device: device.clone(),
            spec: TaskSpec::from_json(json!({"name": "getParameterValues", "parameterNames": ["Device.DeviceInfo.UpTime"]})).expect("task"),
            expiry: None,
        })
        .await
        .expect("task");

    // The next session, on a fresh connection with no cookie, carries the task out.
    let mut cpe = Cpe::connect(server.addr).await;
    let req = open(&mut cpe, "S1").await.envelope();
    let Body::GetParameterValues(gpv) = &req.body else {
        panic!("expected GetParameterValues, got {:?}", req.body);
    };
    assert_eq!(gpv.parameter_names, ["Device.DeviceInfo.UpTime"]);
    let answer = Envelope::new(
        req.version,
        Header {
            id: req.header.id.clone(),
            ..Header::default()
        },
        GetParameterValuesResponse {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.DeviceInfo.UpTime".into(),
                value: Value::UnsignedInt(42),
            }],
        },
    );
    let end = cpe.post(Some(&answer)).await;
    assert_eq!(end.status, StatusCode::NO_CONTENT);

    // Completed, hence deleted.
    assert_eq!(server.store.get_task(&task.id).await.expect("get"), None);
    let params = server
        .store
        .get_parameters(&device, "Device.DeviceInfo.UpTime")
        .await
        .expect("params");
    assert_eq!(params.len(), 1);
    let sessions = server.store.list_sessions(&device, 10).await.expect("list");
    assert_eq!(sessions.len(), 2);
}

#[tokio::test]
async fn first_message_must_be_an_inform() {
    let server = start(|_| {}).await;
    let mut cpe = Cpe::connect(server.addr).await;
    assert_eq!(cpe.post(None).await.status, StatusCode::BAD_REQUEST);
    let gpv = Envelope::new(CwmpVersion::V1_2, Header::with_id("x"), GetRPCMethods {});
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post(Some(&gpv)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn garbage_is_400_and_unknown_methods_get_a_fault() {
    let server = start(|_| {}).await;
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post_raw(b"<<<not xml".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The connection stays usable after a 400.
    assert!(matches!(
        open(&mut cpe, "S2").await.status,
        StatusCode::NO_CONTENT
    ));

    // Within a session, an unknown CPE method is answered with a fault, not a 400.
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post(Some(&inform("S3"))).await.envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    let unknown = "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Header><cwmp:ID soap-env:mustUnderstand=\"1\">u-7</cwmp:ID>\
        </soap-env:Header><soap-env:Body><cwmp:X_Frobnicate/></soap-env:Body></soap-env:Envelope>";
    let r = cpe
        .post_raw(unknown.as_bytes().to_vec(), &[])
        .await
        .envelope();
    assert!(matches!(r.body, Body::Fault(_)), "got {:?}", r.body);
    assert_eq!(r.header.id.as_deref(), Some("u-7"));
    assert_eq!(cpe.post(None).await.status, StatusCode::NO_CONTENT);
}

/// `message` (an Inform or a TransferComplete as XML) with an extra header `header`.
fn with_header(message: &Envelope, header: &str) -> Vec<u8> {
    let xml = message.to_xml().expect("xml");
    xml.replacen(
        "<soap-env:Header>",
        &format!("<soap-env:Header>{header}"),
        1,
    )
    .into_bytes()
}

const TRACE: &str =
    r#"<x:Trace xmlns:x="urn:example:trace" soap-env:mustUnderstand="1">on</x:Trace>"#;

/// SOAP 1.1 §4.2.3: a CPE message with a header marked `mustUnderstand="1"` that the ACS
/// does not process is answered with the SOAP `MustUnderstand` fault (HTTP 500, SOAP 1.1
/// §6.2), carrying the request's ID and no CWMP detail; nothing of it is processed.
#[tokio::test]
async fn unknown_mandatory_header_gets_a_must_understand_fault() {
    let server = start(|_| {}).await;
    // On the Inform: no session opens, no device is created.
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post_raw(with_header(&inform("MU1"), TRACE), &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.headers.get("set-cookie").is_none());
    let env = Envelope::parse_bytes(&r.body, None, &cwmp::Limits::default()).expect("parse");
    assert_eq!(env.header.id.as_deref(), Some("inf-1"));
    let Body::Fault(f) = &env.body else {
        panic!("{:?}", env.body)
    };
    assert_eq!(f.kind, cwmp::FaultKind::MustUnderstand);
    assert!(f.detail.is_none());
    assert!(f.fault_string.contains("Trace"), "{}", f.fault_string);
    let text = String::from_utf8_lossy(&r.body);
    assert!(text.contains(":MustUnderstand</faultcode>"), "{text}");
    let id = cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", "MU1");
    assert!(server.store.get_device(&id).await.expect("store").is_none());
    // Optional (mustUnderstand="0") unknown headers are ignored: the session opens.
    let optional = TRACE.replace("mustUnderstand=\"1\"", "mustUnderstand=\"0\"");
    let r = cpe
        .post_raw(with_header(&inform("MU1"), &optional), &[])
        .await;
    assert!(matches!(r.envelope().body, Body::InformResponse(_)));

    // Inside a session, on a CPE request: the fault, and the session ends.
    let transfer = Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("tc-9"),
        TransferComplete {
            command_key: "k".into(),
            fault_struct: TransferCompleteFaultStruct::success(),
            start_time: DateTime::UNKNOWN,
            complete_time: DateTime::UNKNOWN,
        },
    );
    let r = cpe.post_raw(with_header(&transfer, TRACE), &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let env = Envelope::parse_bytes(&r.body, None, &cwmp::Limits::default()).expect("parse");
    assert_eq!(env.header.id.as_deref(), Some("tc-9"));
    assert!(matches!(&env.body, Body::Fault(f) if f.kind == cwmp::FaultKind::MustUnderstand));
    // The session is over: its cookie no longer opens anything but a new Inform.
    assert_eq!(cpe.post(None).await.status, StatusCode::BAD_REQUEST);

    // A response of the CPE cannot be answered with a fault (TR-069 §3.5): 400.
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post(Some(&inform("MU2"))).await.envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    let response = Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("r-1"),
        GetParameterValuesResponse {
            parameter_list: Vec::new(),
        },
    );
    let r = cpe.post_raw(with_header(&response, TRACE), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oversized_and_compressed_bodies() {
    let server = start(|_| {}).await;
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post_raw(vec![b' '; 100 * 1024], &[]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A gzip body that inflates past the limit is refused the same way.
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&vec![b' '; 1024 * 1024]).expect("gz");
    let bomb = gz.finish().expect("gz");
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe.post_raw(bomb, &[("content-encoding", "gzip")]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A gzip Inform within the limit opens a session.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(inform("S4").to_xml().expect("xml").as_bytes())
        .expect("gz");
    let mut cpe = Cpe::connect(server.addr).await;
    let r = cpe
        .post_raw(gz.finish().expect("gz"), &[("content-encoding", "gzip")])
        .await;
    assert!(matches!(r.envelope().body, Body::InformResponse(_)));
}

#[tokio::test]
async fn a_new_inform_takes_over_the_idle_session_of_its_device() {
    let server = start(|_| {}).await;
    let mut first = Cpe::connect(server.addr).await;
    assert!(matches!(
        first.post(Some(&inform("S5"))).await.envelope().body,
        Body::InformResponse(_)
    ));
    // The CPE started over (rebooted, lost its connection): served at once, not refused.
    let mut second = Cpe::connect(server.addr).await;
    assert!(matches!(
        second.post(Some(&inform("S5"))).await.envelope().body,
        Body::InformResponse(_)
    ));
    assert_eq!(second.post(None).await.status, StatusCode::NO_CONTENT);
    // The old session is over: its cookie names nothing, and an empty POST opens nothing.
    assert_eq!(first.post(None).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_device_in_session_on_another_node_is_503() {
    let server = start(|c| c.busy_retry_after_secs = 7).await;
    let mut first = Cpe::connect(server.addr).await;
    assert_eq!(open(&mut first, "S6").await.status, StatusCode::NO_CONTENT);
    let device = cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", "S6");
    assert!(
        server
            .store
            .try_acquire_lease(&device, "other-node/1", Duration::from_secs(60))
            .await
            .expect("lease")
    );
    let mut second = Cpe::connect(server.addr).await;
    let r = second.post(Some(&inform("S6"))).await;
    assert_eq!(r.retry_after(), 7);
    // Once the other node lets go, the device comes in.
    server
        .store
        .release_lease(&device, "other-node/1")
        .await
        .expect("release");
    let mut third = Cpe::connect(server.addr).await;
    assert_eq!(open(&mut third, "S6").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn overload_refuses_new_sessions_only() {
    let server = start(|c| {
        c.max_sessions = 1;
        c.overload_retry_after_secs = 3;
    })
    .await;
    let mut first = Cpe::connect(server.addr).await;
    assert!(matches!(
        first.post(Some(&inform("A"))).await.envelope().body,
        Body::InformResponse(_)
    ));
    let mut other = Cpe::connect(server.addr).await;
    assert_eq!(other.post(Some(&inform("B"))).await.retry_after(), 3);
    // The session in progress continues, and its end frees the slot.
    assert_eq!(first.post(None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(open(&mut other, "B").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn expired_sessions_are_reaped() {
    let server = start(|c| {
        c.session_timeout_secs = 1;
        c.max_sessions = 1;
    })
    .await;
    let mut idle = Cpe::connect(server.addr).await;
    assert!(matches!(
        idle.post(Some(&inform("R1"))).await.envelope().body,
        Body::InformResponse(_)
    ));
    // The idle session holds the only slot until the reaper closes it.
    let deadline = tokio::time::Instant::now() + STEP;
    let mut other = Cpe::connect(server.addr).await;
    loop {
        let r = other.post(Some(&inform("R2"))).await;
        if r.status == StatusCode::OK {
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(tokio::time::Instant::now() < deadline, "never reaped");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(other.post(None).await.status, StatusCode::NO_CONTENT);
    // The reaped session's cookie no longer opens anything: without an Inform it is a 400.
    assert_eq!(idle.post(None).await.status, StatusCode::BAD_REQUEST);
    let device = cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", "R1");
    let sessions = server.store.list_sessions(&device, 10).await.expect("list");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].outcome, "timeout");
}
