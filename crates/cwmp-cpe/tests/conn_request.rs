//! The HTTP Connection Request listener on 127.0.0.1:0.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cwmp::http_auth::hex;
use cwmp_cpe::conn_request::{
    ConnRequestServer, DigestAuth, DigestConfig, RateLimiter, ServerConfig,
};
use cwmp_cpe::{Clock, ManualClock};
use http_body_util::Empty;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest as _, Md5};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use tokio::sync::mpsc;

fn md5(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

fn param<'a>(challenge: &'a str, name: &str) -> &'a str {
    let key = format!("{name}=\"");
    let start = challenge.find(&key).expect("param") + key.len();
    let end = challenge[start..].find('"').expect("closing quote");
    &challenge[start..start + end]
}

/// The Digest MD5 answer to `challenge` for `GET uri`.
fn answer(challenge: &str, user: &str, pass: &str, uri: &str, nc: u32) -> String {
    let (realm, nonce) = (param(challenge, "realm"), param(challenge, "nonce"));
    let ha1 = md5(&format!("{user}:{realm}:{pass}"));
    let ha2 = md5(&format!("GET:{uri}"));
    let nc = format!("{nc:08x}");
    let response = md5(&format!("{ha1}:{nonce}:{nc}:abc:auth:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm=MD5, qop=auth, nc={nc}, cnonce=\"abc\", response=\"{response}\""
    )
}

async fn send(
    addr: std::net::SocketAddr,
    method: Method,
    path: &str,
    auth: Option<&str>,
) -> Response<hyper::body::Incoming> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    sender
        .send_request(req.body(Empty::<Bytes>::new()).expect("request"))
        .await
        .expect("response")
}

struct Rig {
    server: ConnRequestServer,
    signals: mpsc::Receiver<()>,
}

async fn rig(burst: u32) -> Rig {
    let clock = Arc::new(ManualClock::at_unix(1_700_000_000));
    let config = DigestConfig {
        username: "acs".into(),
        password: "secret".into(),
        ..DigestConfig::default()
    };
    let auth = DigestAuth::new(config, StdRng::seed_from_u64(3));
    let limiter = RateLimiter::new(burst, Duration::from_secs(5), clock.monotonic());
    let (tx, signals) = mpsc::channel(1);
    let cfg = ServerConfig {
        addr: "127.0.0.1:0".parse().expect("addr"),
        path: "/cr".into(),
        ..ServerConfig::default()
    };
    let server = ConnRequestServer::bind(cfg, auth, limiter, clock, tx)
        .await
        .expect("bind");
    Rig { server, signals }
}

async fn challenge(addr: std::net::SocketAddr) -> String {
    let r = send(addr, Method::GET, "/cr", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    r.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn valid_digest_answers_200_and_signals() {
    let mut rig = rig(2).await;
    let addr = rig.server.local_addr();
    let c = challenge(addr).await;
    assert!(rig.signals.try_recv().is_err());
    let r = send(
        addr,
        Method::GET,
        "/cr",
        Some(&answer(&c, "acs", "secret", "/cr", 1)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(2), rig.signals.recv())
        .await
        .expect("signalled")
        .expect("open");
    // The same nc again is a replay.
    let r = send(
        addr,
        Method::GET,
        "/cr",
        Some(&answer(&c, "acs", "secret", "/cr", 1)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_password_is_401() {
    let mut rig = rig(2).await;
    let addr = rig.server.local_addr();
    let c = challenge(addr).await;
    let r = send(
        addr,
        Method::GET,
        "/cr",
        Some(&answer(&c, "acs", "wrong", "/cr", 1)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    assert!(rig.signals.try_recv().is_err());
}

#[tokio::test]
async fn non_get_is_405_and_other_paths_404() {
    let rig = rig(2).await;
    let addr = rig.server.local_addr();
    let r = send(addr, Method::POST, "/cr", None).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET");
    let r = send(addr, Method::GET, "/other", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn burst_beyond_the_limit_is_503() {
    let mut rig = rig(2).await;
    let addr = rig.server.local_addr();
    let c = challenge(addr).await;
    let mut statuses = Vec::new();
    for nc in 1..=4 {
        let r = send(
            addr,
            Method::GET,
            "/cr",
            Some(&answer(&c, "acs", "secret", "/cr", nc)),
        )
        .await;
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(r.headers()["retry-after"], "5");
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 503, 503]);
    // Capacity 1: the two valid requests coalesce into one pending signal.
    assert!(rig.signals.try_recv().is_ok());
    assert!(rig.signals.try_recv().is_err());
}

#[tokio::test]
async fn changed_credentials_apply_to_the_next_request() {
    let mut rig = rig(5).await;
    let addr = rig.server.local_addr();
    rig.server.credentials().set("acs2", "new-secret");
    let c = challenge(addr).await;
    let old = answer(&c, "acs", "secret", "/cr", 1);
    let r = send(addr, Method::GET, "/cr", Some(&old)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(rig.signals.try_recv().is_err());
    let c = challenge(addr).await;
    let new = answer(&c, "acs2", "new-secret", "/cr", 1);
    let r = send(addr, Method::GET, "/cr", Some(&new)).await;
    assert_eq!(r.status(), StatusCode::OK);
    tokio::time::timeout(Duration::from_secs(2), rig.signals.recv())
        .await
        .expect("signalled")
        .expect("open");
}
