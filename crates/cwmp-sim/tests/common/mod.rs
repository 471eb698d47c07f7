//! Test support: a scripted minimal ACS on 127.0.0.1 that counts what it sees, a raw HTTP
//! GET with Digest for Connection Requests, and the reference schema directory.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::{InformResponse, TransferCompleteResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header, Limits};
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Every test is bounded by this.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the ACS sends in a session, after the InformResponse.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Requests of a session whose Inform carries `0 BOOTSTRAP`.
    pub bootstrap: Vec<Body>,
    /// Requests of every other session.
    pub other: Vec<Body>,
}

/// What the ACS saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Informs parsed (duplicates included).
    pub informs: u64,
    /// Inform events by code.
    pub events: BTreeMap<String, u64>,
    /// Each Inform's events, by serial number.
    pub by_serial: BTreeMap<String, Vec<Vec<String>>>,
    /// Sessions ended by the ACS's empty response.
    pub completed: u64,
    /// Connections closed after an Inform, before the end of the session.
    pub incomplete: u64,
    /// Bodies that were not CWMP.
    pub malformed: u64,
    /// Answers whose cwmp:ID was not the request's.
    pub wrong_ids: u64,
    /// Fault answers.
    pub cpe_faults: u64,
    /// Second Informs on one session.
    pub duplicate_informs: u64,
    /// Requests sent, by method.
    pub requests: BTreeMap<String, u64>,
    /// TransferCompletes received: (CommandKey, FaultCode).
    pub transfer_completes: Vec<(String, u32)>,
}

#[derive(Default)]
struct Conn {
    inform_seen: bool,
    completed: bool,
    pending: VecDeque<Body>,
    last_id: Option<String>,
    next_id: u32,
}

/// The running ACS.
pub struct ScriptedAcs {
    /// Its address.
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedAcs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedAcs {
    /// Starts on a random loopback port.
    pub async fn start(script: Script) -> ScriptedAcs {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let script = Arc::new(script);
        let s2 = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, script) = (s2.clone(), script.clone());
                tokio::spawn(async move {
                    let conn = Arc::new(Mutex::new(Conn::default()));
                    let c2 = conn.clone();
                    let seen2 = seen.clone();
                    let service = service_fn(move |req| {
                        let (conn, seen, script) = (c2.clone(), seen2.clone(), script.clone());
                        async move { Ok::<_, Infallible>(handle(req, &conn, &seen, &script).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    let c = conn.lock().unwrap();
                    if c.inform_seen && !c.completed {
                        seen.lock().unwrap().incomplete += 1;
                    }
                });
            }
        });
        ScriptedAcs { addr, seen, task }
    }

    /// The URL the devices use.
    pub fn url(&self) -> String {
        format!("http://{}/acs", self.addr)
    }

    /// A copy of the counters.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }
}

fn reply(status: StatusCode, env: Option<Envelope>) -> Response<Full<Bytes>> {
    let body = env
        .map(|e| Bytes::from(e.to_xml().unwrap()))
        .unwrap_or_default();
    let has_body = !body.is_empty();
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if has_body {
        r.headers_mut().insert(
            "content-type",
            "text/xml; charset=\"utf-8\"".parse().unwrap(),
        );
    }
    r
}

/// The next scripted request, or the empty 204 that ends the session.
fn next(conn: &mut Conn, seen: &mut Seen) -> Response<Full<Bytes>> {
    match conn.pending.pop_front() {
        Some(body) => {
            conn.next_id += 1;
            let id = format!("acs-{}", conn.next_id);
            conn.last_id = Some(id.clone());
            *seen.requests.entry(body.name().to_owned()).or_default() += 1;
            reply(
                StatusCode::OK,
                Some(Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body)),
            )
        }
        None => {
            conn.completed = true;
            seen.completed += 1;
            reply(StatusCode::NO_CONTENT, None)
        }
    }
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    conn: &Mutex<Conn>,
    seen: &Mutex<Seen>,
    script: &Script,
) -> Response<Full<Bytes>> {
    let Ok(body) = req.into_body().collect().await else {
        return reply(StatusCode::BAD_REQUEST, None);
    };
    let body = body.to_bytes();
    let mut conn = conn.lock().unwrap();
    let mut seen = seen.lock().unwrap();
    if body.iter().all(u8::is_ascii_whitespace) {
        return next(&mut conn, &mut seen);
    }
    let Ok(env) = Envelope::parse_bytes(&body, None, &Limits::default()) else {
        seen.malformed += 1;
        return reply(StatusCode::BAD_REQUEST, None);
    };
    match &env.body {
        Body::Inform(inform) => {
            seen.informs += 1;
            if conn.inform_seen {
                seen.duplicate_informs += 1;
            }
            let codes: Vec<String> = inform
                .event
                .iter()
                .map(|e| e.event_code.to_string())
                .collect();
            for c in &codes {
                *seen.events.entry(c.clone()).or_default() += 1;
            }
            let bootstrap = codes.iter().any(|c| c == "0 BOOTSTRAP");
            seen.by_serial
                .entry(inform.device_id.serial_number.clone())
                .or_default()
                .push(codes);
            if !conn.inform_seen {
                conn.inform_seen = true;
                let list = if bootstrap {
                    &script.bootstrap
                } else {
                    &script.other
                };
                conn.pending = list.iter().cloned().collect();
            }
            reply(
                StatusCode::OK,
                Some(Envelope::new(
                    env.version,
                    Header::with_id(env.header.id.clone().unwrap_or_default()),
                    InformResponse { max_envelopes: 1 },
                )),
            )
        }
        Body::TransferComplete(tc) => {
            let code = tc.fault_struct.fault_code.map_or(0, |c| c.value());
            seen.transfer_completes.push((tc.command_key.clone(), code));
            reply(
                StatusCode::OK,
                Some(Envelope::new(
                    env.version,
                    Header::with_id(env.header.id.clone().unwrap_or_default()),
                    TransferCompleteResponse {},
                )),
            )
        }
        answer => {
            if env.header.id != conn.last_id {
                seen.wrong_ids += 1;
            }
            if matches!(answer, Body::Fault(_)) {
                seen.cpe_faults += 1;
            }
            next(&mut conn, &mut seen)
        }
    }
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One raw HTTP/1.1 GET; returns the status and the `WWW-Authenticate` values.
async fn get(addr: &str, path: &str, authorization: Option<&str>) -> (u16, Vec<String>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let challenges = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("www-authenticate")
                .then(|| v.trim().to_owned())
        })
        .collect();
    (status, challenges)
}

fn param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    challenge.split(", ").find_map(|kv| {
        let (k, v) = kv.trim_start_matches("Digest ").split_once('=')?;
        (k.trim() == name).then(|| v.trim_matches('"'))
    })
}

/// A Connection Request to `url` (`http://addr/path`) with Digest MD5; returns the final
/// status.
pub async fn connection_request(url: &str, user: &str, password: &str) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_at(rest.find('/').unwrap());
    let (status, challenges) = get(addr, path, None).await;
    if status != 401 {
        return status;
    }
    let md5 = challenges
        .iter()
        .find(|c| c.contains("algorithm=MD5"))
        .expect("an MD5 challenge");
    let realm = param(md5, "realm").unwrap();
    let nonce = param(md5, "nonce").unwrap();
    let opaque = param(md5, "opaque").unwrap_or_default();
    let (nc, cnonce) = ("00000001", "0a4f113b");
    let ha1 = md5_hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5_hex(&format!("GET:{path}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    let header = format!(
        "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{path}\", \
         algorithm=MD5, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\", \
         opaque=\"{opaque}\""
    );
    get(addr, path, Some(&header)).await.0
}

/// Waits (bounded) until `f` holds for the ACS's counters.
pub async fn wait_for(acs: &ScriptedAcs, what: &str, f: impl Fn(&Seen) -> bool) {
    let deadline = tokio::time::Instant::now() + TEST_TIMEOUT;
    while !f(&acs.seen()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            acs.seen()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
