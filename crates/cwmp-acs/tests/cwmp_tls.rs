//! The CWMP endpoint over TLS on 127.0.0.1, with certificates from cwmp-testkit's PKI and a
//! small hyper-over-rustls client as the CPE.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use cwmp::rpc::*;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Header};
use cwmp_acs::config::Config;
use cwmp_acs::cpe_auth::{CpeAuth, CpeAuthConfig, Secret};
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig, tls};
use cwmp_acs::store::*;
use cwmp_testkit::pki::TestCa;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Every exchange is bounded: a hung server fails the test instead of stalling it.
const STEP: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    /// The same endpoint (same store and CPE authentication) over plain HTTP.
    plain: SocketAddr,
    store: Arc<dyn Store>,
    ca: TestCa,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

/// An ACS serving HTTPS with a certificate for 127.0.0.1 issued by a fresh CA, open to every
/// CPE.
async fn start(header_read_timeout_secs: u64) -> Server {
    start_with(header_read_timeout_secs, CpeAuthConfig::default()).await
}

/// An ACS serving HTTPS (and plain HTTP on a second port) with the given CPE authentication.
async fn start_with(header_read_timeout_secs: u64, cpe_auth: CpeAuthConfig) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let ca = TestCa::new("Test ACS CA");
    let (cert, key) = ca.server(&["127.0.0.1"]).write(dir.path(), "acs");
    let config = Config {
        header_read_timeout_secs,
        cwmp_tls_cert_file: Some(cert),
        cwmp_tls_key_file: Some(key),
        cpe_auth,
        ..Config::default()
    };
    let auth = CpeAuth::new(config.cpe_auth.resolve().expect("valid section")).expect("rng");
    let acceptor = tls::cwmp_acceptor(&config)
        .expect("TLS files load")
        .expect("TLS configured");
    let endpoint = CwmpEndpoint::with_auth(
        Arc::clone(&store),
        EndpointConfig::from_config(&config),
        Arc::new(auth),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let plain_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let plain = plain_listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(
        endpoint
            .clone()
            .serve(plain_listener, std::future::pending()),
    );
    tokio::spawn(endpoint.serve_tls(listener, acceptor, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        plain,
        store,
        ca,
        _stop: stop,
        _dir: dir,
    }
}

/// One keep-alive HTTPS connection with a cookie jar of one cookie.
struct Cpe {
    send: SendRequest<Full<Bytes>>,
    cookie: Option<String>,
    /// Sent as `Authorization` with every request.
    authorization: Option<String>,
}

impl Cpe {
    async fn connect(server: &Server) -> Cpe {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(server.ca.cert_pem().as_bytes()).expect("pem"))
            .expect("root");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connect = async {
            let tcp = tokio::net::TcpStream::connect(server.addr)
                .await
                .expect("connect");
            let name = ServerName::try_from("127.0.0.1").expect("name");
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .expect("TLS handshake");
            hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .expect("HTTP handshake")
        };
        let (send, conn) = tokio::time::timeout(STEP, connect).await.expect("in time");
        tokio::spawn(conn);
        Cpe {
            send,
            cookie: None,
            authorization: None,
        }
    }

    async fn post(&mut self, env: Option<&Envelope>) -> (StatusCode, Bytes) {
        let body = env.map_or_else(Vec::new, |e| e.to_xml().expect("xml").into_bytes());
        let mut req = Request::post("/").header("content-type", "text/xml; charset=utf-8");
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c.as_str());
        }
        if let Some(a) = &self.authorization {
            req = req.header("authorization", a.as_str());
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let exchange = async {
            let resp = self.send.send_request(req).await.expect("send");
            let (parts, body) = resp.into_parts();
            (parts, body.collect().await.expect("body").to_bytes())
        };
        let (parts, body) = tokio::time::timeout(STEP, exchange).await.expect("in time");
        if let Some(set) = parts.headers.get("set-cookie") {
            let pair = set
                .to_str()
                .expect("ascii")
                .split(';')
                .next()
                .expect("pair");
            self.cookie = Some(pair.trim().to_owned());
        }
        (parts.status, body)
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
            parameter_list: vec![],
        },
    )
}

/// Sends the Inform and checks the InformResponse.
async fn inform_ok(cpe: &mut Cpe, serial: &str) {
    let (status, body) = cpe.post(Some(&inform(serial))).await;
    assert_eq!(status, StatusCode::OK, "body: {body:?}");
    let env = Envelope::parse_bytes(&body, None, &cwmp::Limits::default()).expect("parse");
    assert!(
        matches!(env.body, Body::InformResponse(_)),
        "{:?}",
        env.body
    );
}

async fn device_known(server: &Server, serial: &str) -> bool {
    let id = cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", serial);
    server.store.get_device(&id).await.expect("store").is_some()
}

/// Writes a plain HTTP request to the TLS port; returns what came back before the close.
async fn plain_http(addr: SocketAddr) -> Vec<u8> {
    let exchange = async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = "POST / HTTP/1.1\r\nHost: acs\r\nContent-Length: 0\r\n\r\n";
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut back = Vec::new();
        // The server closes the connection (a reset counts as closed too).
        let _ = tcp.read_to_end(&mut back).await;
        back
    };
    tokio::time::timeout(STEP, exchange)
        .await
        .expect("the server closes a plain HTTP connection")
}

#[tokio::test]
async fn cwmp_session_over_tls() {
    let server = start(30).await;
    let mut cpe = Cpe::connect(&server).await;
    inform_ok(&mut cpe, "T1").await;
    assert!(
        cpe.cookie
            .as_deref()
            .is_some_and(|c| c.starts_with("session="))
    );
    let (status, _) = cpe.post(None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(device_known(&server, "T1").await);
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_rejected_without_disturbing_sessions() {
    let server = start(30).await;
    let mut cpe = Cpe::connect(&server).await;
    inform_ok(&mut cpe, "T2").await;

    let back = plain_http(server.addr).await;
    assert!(
        !back.starts_with(b"HTTP/"),
        "no HTTP answer in clear: {:?}",
        String::from_utf8_lossy(&back)
    );

    // The session opened before goes on, and new TLS sessions are still served.
    let (status, _) = cpe.post(None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut other = Cpe::connect(&server).await;
    inform_ok(&mut other, "T3").await;
    assert_eq!(other.post(None).await.0, StatusCode::NO_CONTENT);
    assert!(device_known(&server, "T2").await && device_known(&server, "T3").await);
}

#[tokio::test]
async fn a_silent_client_neither_blocks_the_accept_loop_nor_stays_forever() {
    let server = start(3).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");

    // While the silent client holds its handshake open, another CPE gets a session.
    let mut cpe = Cpe::connect(&server).await;
    inform_ok(&mut cpe, "T4").await;
    assert_eq!(cpe.post(None).await.0, StatusCode::NO_CONTENT);
    // Had the accept loop waited for the silent handshake, the session above could only have
    // run after its 3 s timeout, and the silent connection would be closed by now.
    let mut buf = [0u8; 16];
    assert!(
        matches!(silent.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the silent connection is still waiting"
    );

    // The handshake timeout (the header read timeout) closes the silent connection.
    let read = tokio::time::timeout(STEP, silent.read(&mut buf))
        .await
        .expect("closed by the handshake timeout");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// One POST of `body` over plain HTTP on a fresh connection: the status and the
/// `WWW-Authenticate` challenges.
async fn plain_post(
    addr: SocketAddr,
    body: Vec<u8>,
    authorization: &str,
) -> (StatusCode, Vec<String>) {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let req = Request::post("/")
            .header("content-type", "text/xml; charset=utf-8")
            .header("authorization", authorization)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let resp = send.send_request(req).await.expect("send");
        let challenges = resp
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect();
        (resp.status(), challenges)
    };
    tokio::time::timeout(STEP, exchange).await.expect("in time")
}

#[tokio::test]
async fn basic_is_accepted_over_tls_by_default_and_refused_over_plain_http() {
    let auth = CpeAuthConfig {
        username: "cpe".into(),
        password: Secret::new("secret"),
        ..CpeAuthConfig::default()
    };
    assert!(!auth.basic_over_http, "the default under test");
    let server = start_with(30, auth).await;

    let mut wrong = Cpe::connect(&server).await;
    wrong.authorization = Some(basic("cpe", "nope"));
    let (status, _) = wrong.post(Some(&inform("TB1"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let mut cpe = Cpe::connect(&server).await;
    cpe.authorization = Some(basic("cpe", "secret"));
    inform_ok(&mut cpe, "TB1").await;
    assert_eq!(cpe.post(None).await.0, StatusCode::NO_CONTENT);
    assert!(device_known(&server, "TB1").await);

    // The same endpoint and credentials over plain HTTP: refused, and Basic is not offered.
    let inform_xml = inform("TB2").to_xml().expect("xml").into_bytes();
    let (status, challenges) = plain_post(server.plain, inform_xml, &basic("cpe", "secret")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!challenges.is_empty(), "a Digest challenge instead");
    assert!(
        challenges.iter().all(|c| !c.starts_with("Basic")),
        "{challenges:?}"
    );
    assert!(!device_known(&server, "TB2").await);
}
