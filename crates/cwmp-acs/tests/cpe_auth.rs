//! CPE authentication towards the ACS, over real HTTP on 127.0.0.1: open mode, global and
//! per-device Digest (MD5, SHA-256), Basic, stale nonces, replays and throttling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use cwmp::rpc::{EventStruct, Inform, ParameterValueStruct};
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Header, Value};
use cwmp_acs::api::{self, ApiState, ApiTokens};
use cwmp_acs::config::Config;
use cwmp_acs::cpe_auth::digest::{Algorithm, ha1};
use cwmp_acs::cpe_auth::{CpeAuth, CpeAuthConfig, CpeAuthMode, Secret};
use cwmp_acs::http::{CwmpEndpoint, EndpointConfig};
use cwmp_acs::store::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};

/// Every exchange is bounded: a hung server fails the test instead of stalling it.
const STEP: Duration = Duration::from_secs(10);
const TOKEN: &str = "t";
const LIFETIME_SECS: u64 = 60;

struct Server {
    cwmp: SocketAddr,
    api: SocketAddr,
    store: Arc<dyn Store>,
    /// Milliseconds of the injected auth clock.
    clock: Arc<AtomicU64>,
    _stop: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).expect("small");
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }
}

async fn start(tune: impl FnOnce(&mut CpeAuthConfig)) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let mut config = Config::default();
    config.cpe_auth.nonce_lifetime_secs = LIFETIME_SECS;
    tune(&mut config.cpe_auth);
    let settings = config.cpe_auth.resolve().expect("valid section");
    let clock = Arc::new(AtomicU64::new(1_000));
    let c = Arc::clone(&clock);
    let auth = Arc::new(
        CpeAuth::new(settings)
            .expect("rng")
            .with_clock(Arc::new(move || {
                Duration::from_millis(c.load(Ordering::SeqCst))
            })),
    );
    let endpoint = CwmpEndpoint::with_auth(
        Arc::clone(&store),
        EndpointConfig::from_config(&config),
        Arc::clone(&auth),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let cwmp = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(endpoint.serve(listener, async {
        let _ = stopped.await;
    }));
    let router = api::router(
        ApiState {
            store: Arc::clone(&store),
            connection_request_timeout: Duration::from_secs(1),
            cpe_auth: auth,
        },
        ApiTokens::from_tokens([TOKEN]),
    );
    let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let api = api_listener.local_addr().expect("addr");
    tokio::spawn(api::serve(api_listener, router, std::future::pending()));
    Server {
        cwmp,
        api,
        store,
        clock,
        _stop: stop,
        _dir: dir,
    }
}

struct Reply {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
    cookie: Option<String>,
}

impl Reply {
    fn challenges(&self) -> Vec<String> {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED);
        self.headers
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .collect()
    }

    fn is_inform_response(&self) -> bool {
        self.status == StatusCode::OK
            && matches!(
                Envelope::parse_bytes(&self.body, None, &cwmp::Limits::default())
                    .expect("parse")
                    .body,
                Body::InformResponse(_)
            )
    }
}

/// One POST on a fresh connection.
async fn post(addr: SocketAddr, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::post("/acs").header("content-type", "text/xml");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = send
            .send_request(req.body(Full::new(Bytes::from(body))).expect("req"))
            .await
            .expect("send");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        let cookie = parts.headers.get("set-cookie").map(|v| {
            v.to_str()
                .expect("ascii")
                .split(';')
                .next()
                .expect("pair")
                .to_owned()
        });
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
            cookie,
        }
    };
    tokio::time::timeout(STEP, exchange).await.expect("in time")
}

fn inform(serial: &str) -> Vec<u8> {
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
                event_code: EventCode::Boot,
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
    .to_xml()
    .expect("xml")
    .into_bytes()
}

fn device_id(serial: &str) -> DeviceId {
    DeviceId::from_identity("00259E", "HG8245", serial)
}

/// An auth-param of a challenge.
fn param(challenge: &str, name: &str) -> Option<String> {
    let (_, rest) = cwmp::http_auth::split_scheme(challenge);
    let params = cwmp::http_auth::parse_params(rest).expect("params");
    cwmp::http_auth::param(&params, name).map(str::to_owned)
}

/// The Digest challenge for `alg` among the 401's.
fn challenge_for(reply: &Reply, alg: Algorithm) -> String {
    reply
        .challenges()
        .into_iter()
        .find(|c| c.starts_with("Digest") && param(c, "algorithm").as_deref() == Some(alg.name()))
        .unwrap_or_else(|| panic!("no {} challenge", alg.name()))
}

/// The `Authorization` answering `challenge` with `nc`.
fn answer(challenge: &str, alg: Algorithm, user: &str, password: &str, nc: u32) -> String {
    let realm = param(challenge, "realm").expect("realm");
    let nonce = param(challenge, "nonce").expect("nonce");
    let nc = format!("{nc:08x}");
    let cnonce = "0a4f113b";
    // RFC 7616 §3.4.1, written out here rather than taken from the code under test.
    let ha2 = alg.hash("POST:/acs");
    let ha1 = ha1(alg, user, &realm, password);
    let response = alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"/acs\", \
         algorithm={}, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\"",
        alg.name()
    )
}

fn global(c: &mut CpeAuthConfig) {
    c.username = "cpe".into();
    c.password = Secret::new("secret");
}

/// Inform without credentials (401), then with; returns the second reply.
async fn digest_inform(
    s: &Server,
    serial: &str,
    alg: Algorithm,
    user: &str,
    password: &str,
) -> Reply {
    let first = post(s.cwmp, inform(serial), &[]).await;
    let challenge = challenge_for(&first, alg);
    let auth = answer(&challenge, alg, user, password, 1);
    post(s.cwmp, inform(serial), &[("authorization", &auth)]).await
}

async fn api_call(s: &Server, method: &str, path: &str, body: Option<Json>) -> (StatusCode, Json) {
    let exchange = async {
        let tcp = tokio::net::TcpStream::connect(s.api)
            .await
            .expect("connect");
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", s.api.to_string())
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("content-type", "application/json");
        let bytes = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let resp = send
            .send_request(req.body(Full::new(bytes)).expect("req"))
            .await
            .expect("send");
        let status = resp.status();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        let json = serde_json::from_slice(&body).unwrap_or(Json::Null);
        (status, json)
    };
    tokio::time::timeout(STEP, exchange).await.expect("in time")
}

#[tokio::test]
async fn open_mode_works_and_is_reported() {
    let s = start(|_| {}).await;
    let r = post(s.cwmp, inform("OPEN1"), &[]).await;
    assert!(r.is_inform_response());
    let (status, body) = api_call(&s, "GET", "/status", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["cpe_auth"], "open");
}

#[tokio::test]
async fn global_digest_md5_and_sha256_succeed_and_the_cookie_carries_the_session() {
    let s = start(global).await;
    let (_, status) = api_call(&s, "GET", "/status", None).await;
    assert_eq!(status["cpe_auth"], "global");
    let first = post(s.cwmp, inform("G1"), &[]).await;
    let challenges = first.challenges();
    assert_eq!(challenges.len(), 2, "{challenges:?}");
    assert_eq!(
        param(&challenges[0], "algorithm").as_deref(),
        Some("SHA-256")
    );
    assert_eq!(param(&challenges[1], "algorithm").as_deref(), Some("MD5"));
    assert!(
        challenges
            .iter()
            .all(|c| param(c, "qop").as_deref() == Some("auth"))
    );
    assert!(
        s.store
            .get_device(&device_id("G1"))
            .await
            .expect("get")
            .is_none()
    );
    for (serial, alg) in [("G1", Algorithm::Sha256), ("G2", Algorithm::Md5)] {
        let r = digest_inform(&s, serial, alg, "cpe", "secret").await;
        assert!(r.is_inform_response(), "{alg:?}: {}", r.status);
        let cookie = r.cookie.expect("session cookie");
        // The rest of the session needs no credentials.
        let end = post(s.cwmp, Vec::new(), &[("cookie", &cookie)]).await;
        assert_eq!(end.status, StatusCode::NO_CONTENT);
    }
    assert!(
        s.store
            .get_device(&device_id("G2"))
            .await
            .expect("get")
            .is_some()
    );
}

#[tokio::test]
async fn wrong_password_is_401() {
    let s = start(global).await;
    for (user, password) in [("cpe", "wrong"), ("nobody", "secret")] {
        let r = digest_inform(&s, "W1", Algorithm::Sha256, user, password).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.challenges().iter().all(|c| param(c, "stale").is_none()));
    }
    assert!(
        s.store
            .get_device(&device_id("W1"))
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn stale_nonce_gives_stale_true_and_the_retry_succeeds() {
    let s = start(global).await;
    let first = post(s.cwmp, inform("S1"), &[]).await;
    let old = challenge_for(&first, Algorithm::Md5);
    s.advance(Duration::from_secs(LIFETIME_SECS + 1));
    let auth = answer(&old, Algorithm::Md5, "cpe", "secret", 1);
    let r = post(s.cwmp, inform("S1"), &[("authorization", &auth)]).await;
    let fresh = challenge_for(&r, Algorithm::Md5);
    assert_eq!(param(&fresh, "stale").as_deref(), Some("true"));
    let auth = answer(&fresh, Algorithm::Md5, "cpe", "secret", 1);
    let r = post(s.cwmp, inform("S1"), &[("authorization", &auth)]).await;
    assert!(r.is_inform_response());
}

#[tokio::test]
async fn nonce_count_replay_is_rejected() {
    let s = start(global).await;
    let first = post(s.cwmp, inform("R1"), &[]).await;
    let challenge = challenge_for(&first, Algorithm::Sha256);
    let auth = answer(&challenge, Algorithm::Sha256, "cpe", "secret", 1);
    let ok = post(s.cwmp, inform("R1"), &[("authorization", &auth)]).await;
    assert!(ok.is_inform_response());
    let cookie = ok.cookie.expect("cookie");
    assert_eq!(
        post(s.cwmp, Vec::new(), &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // The same header again: a replay.
    let replay = post(s.cwmp, inform("R1"), &[("authorization", &auth)]).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    // The next nonce count with the same nonce is fine.
    let next = answer(&challenge, Algorithm::Sha256, "cpe", "secret", 2);
    assert!(
        post(s.cwmp, inform("R1"), &[("authorization", &next)])
            .await
            .is_inform_response()
    );
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

#[tokio::test]
async fn basic_is_refused_on_plain_http_unless_configured() {
    let s = start(global).await;
    let r = post(
        s.cwmp,
        inform("B1"),
        &[("authorization", &basic("cpe", "secret"))],
    )
    .await;
    assert!(r.challenges().iter().all(|c| !c.starts_with("Basic")));
    let s = start(|c| {
        global(c);
        c.basic_over_http = true;
    })
    .await;
    let first = post(s.cwmp, inform("B1"), &[]).await;
    assert!(first.challenges().iter().any(|c| c.starts_with("Basic")));
    let wrong = post(
        s.cwmp,
        inform("B1"),
        &[("authorization", &basic("cpe", "nope"))],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let ok = post(
        s.cwmp,
        inform("B1"),
        &[("authorization", &basic("cpe", "secret"))],
    )
    .await;
    assert!(ok.is_inform_response());
}

/// Creates the device as an Inform would.
async fn add_device(store: &Arc<dyn Store>, serial: &str) {
    store
        .upsert_inform(InformUpdate {
            identity: DeviceIdentity {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG8245".into(),
                serial_number: serial.into(),
            },
            time: Timestamp::now(),
            events: vec![EventCode::Bootstrap],
            ip: None,
            connection_request_url: None,
            udp_connection_request_address: None,
            parameters: Vec::new(),
        })
        .await
        .expect("inform");
}

#[tokio::test]
async fn per_device_credentials_are_accepted_only_for_their_device() {
    let s = start(|c| c.mode = Some(CpeAuthMode::PerDevice)).await;
    add_device(&s.store, "PA").await;
    add_device(&s.store, "PB").await;
    let path = format!("/devices/{}/credentials", device_id("PA").as_str());
    let (status, shown) = api_call(
        &s,
        "PUT",
        &path,
        Some(json!({"cpe_username": "pa", "cpe_password": "pa-pass",
                    "cr_username": "acs", "cr_password": "cr-pass"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let (status, shown) = api_call(&s, "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["cpe_username"], "pa");
    assert_eq!(shown["cpe_ha1_sha256_set"], true);
    assert_eq!(shown["cr_password_set"], true);
    let text = shown.to_string();
    assert!(
        !text.contains("pa-pass") && !text.contains("cr-pass"),
        "{text}"
    );
    let ha1_md5 = ha1(Algorithm::Md5, "pa", "cwmp", "pa-pass");
    assert!(!text.contains(&ha1_md5), "{text}");
    // Another device may not take the same username.
    let other = format!("/devices/{}/credentials", device_id("PB").as_str());
    let body = json!({"cpe_username": "pa", "cpe_password": "x"});
    assert_eq!(
        api_call(&s, "PUT", &other, Some(body)).await.0,
        StatusCode::CONFLICT
    );

    let r = digest_inform(&s, "PA", Algorithm::Sha256, "pa", "pa-pass").await;
    assert!(r.is_inform_response());
    let r = digest_inform(&s, "PB", Algorithm::Md5, "pa", "pa-pass").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = digest_inform(&s, "PA", Algorithm::Md5, "pa", "wrong").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    assert_eq!(api_call(&s, "DELETE", &path, None).await.0, StatusCode::OK);
    assert_eq!(
        api_call(&s, "GET", &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    let r = digest_inform(&s, "PA", Algorithm::Sha256, "pa", "pa-pass").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failures_are_throttled_per_address() {
    let s = start(|c| {
        global(c);
        c.max_failures = 3;
        c.block_secs = 120;
    })
    .await;
    for _ in 0..2 {
        let r = digest_inform(&s, "T1", Algorithm::Md5, "cpe", "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let third = digest_inform(&s, "T1", Algorithm::Md5, "cpe", "wrong").await;
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        third.headers.get("retry-after").expect("retry-after"),
        "120"
    );
    // Even the right password waits, without a challenge being issued.
    let blocked = post(s.cwmp, inform("T1"), &[]).await;
    assert_eq!(blocked.status, StatusCode::SERVICE_UNAVAILABLE);
    s.advance(Duration::from_secs(121));
    let r = digest_inform(&s, "T1", Algorithm::Md5, "cpe", "secret").await;
    assert!(r.is_inform_response());
}
