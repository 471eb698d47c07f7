//! Connection Requests to the real `cwmp-cpe` binary from a client that behaves exactly as
//! GenieACS's (lib/connection-request.ts and lib/auth.ts, read, not copied):
//!
//! * Node's HTTP client hands it every `WWW-Authenticate` value joined into one with `", "`;
//! * it takes the scheme from the start of that string, then splits the rest on commas,
//!   re-joining quoted values, and lets a later `name=value` overwrite an earlier one, so the
//!   parameters of the LAST challenge win (the others' first fields land under keys such as
//!   `Digest realm`);
//! * it always computes MD5 (`HA1 = MD5(user:realm:password)`), with `qop=auth` when the
//!   challenge's qop lists several (else that qop), `nc=00000001` and a random `cnonce`;
//! * it echoes the challenge's `algorithm` (and `opaque`) in its Authorization header.
//!
//! With the agent's default challenges (MD5 alone) and with SHA-256 first and MD5 last, the
//! request succeeds and the agent Informs with `6 CONNECTION REQUEST`; with MD5 first and
//! SHA-256 last (the agent's former default) GenieACS's answer is refused, as it was in the
//! field.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::process::{Daemon, wait_for};
use common::rig::TR181;
use common::{Peer, Req, reply};
use cwmp::http_auth::hex;
use cwmp::rpc::InformResponse;
use cwmp::{Body, CwmpVersion, Envelope, EventCode, Header};
use cwmp_testkit::process::free_port;
use hyper::StatusCode;
use md5::{Digest as _, Md5};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const USER: &str = "genieacs";
const PASS: &str = "cr-secret";

fn md5(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// One HTTP/1.1 GET on a fresh connection: the status and every header (name lower-cased,
/// in order, repeats kept).
async fn get(port: u16, path: &str, authorization: Option<&str>) -> (u16, Vec<(String, String)>) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(a) = authorization {
        request.push_str(&format!("Authorization: {a}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(common::process::GUARD, stream.read_to_end(&mut raw))
        .await
        .expect("in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().expect("head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

/// GenieACS's reading of a `WWW-Authenticate` string: scheme, then comma-split fields where a
/// later name overwrites an earlier one.
fn genieacs_parse(header: &str) -> HashMap<String, String> {
    let header = header.trim();
    let method = header.split(' ').next().unwrap_or("");
    let mut out = HashMap::from([("method".to_owned(), method.to_owned())]);
    let mut parts = header[method.len()..].split(',').map(str::to_owned);
    while let Some(part) = parts.next() {
        let Some((name, value)) = part.split_once('=') else {
            assert!(part.trim().is_empty(), "GenieACS would throw on {part:?}");
            continue;
        };
        let mut value = value.to_owned();
        if value.trim_start().starts_with('"') {
            // Re-join the pieces of a quoted value that contained commas.
            while !(value.trim_end().ends_with('"') && value.trim().len() > 1) {
                value.push(',');
                value.push_str(&parts.next().expect("unterminated quoted value"));
            }
            let inner = value.trim();
            value = inner[1..inner.len() - 1].replace("\\\"", "\"");
        } else {
            value = value.trim().to_owned();
        }
        out.insert(name.trim().to_owned(), value);
    }
    out
}

/// GenieACS's `Authorization` for `GET uri`: always MD5, labelled with the challenge's
/// algorithm.
fn genieacs_solve(challenge: &HashMap<String, String>, uri: &str) -> String {
    let field = |k: &str| challenge.get(k).cloned().unwrap_or_default();
    let qop = challenge.get("qop").map(|q| {
        if q.contains(',') {
            "auth".to_owned()
        } else {
            q.clone()
        }
    });
    let (cnonce, nc) = ("0a4f113b9c8d7e6f", "00000001");
    let ha1 = md5(&format!("{USER}:{}:{PASS}", field("realm")));
    let ha2 = md5(&format!("GET:{uri}"));
    let response = match &qop {
        Some(q) => md5(&format!("{ha1}:{}:{nc}:{cnonce}:{q}:{ha2}", field("nonce"))),
        None => md5(&format!("{ha1}:{}:{ha2}", field("nonce"))),
    };
    let mut h = format!(
        "Digest username=\"{USER}\",realm=\"{}\",nonce=\"{}\",uri=\"{uri}\"",
        field("realm"),
        field("nonce")
    );
    if let Some(a) = challenge.get("algorithm") {
        h.push_str(&format!(",algorithm={a}"));
    }
    if let Some(q) = &qop {
        h.push_str(&format!(",qop={q},nc={nc},cnonce=\"{cnonce}\""));
    }
    h.push_str(&format!(",response=\"{response}\""));
    if let Some(o) = challenge.get("opaque") {
        h.push_str(&format!(",opaque=\"{o}\""));
    }
    h
}

/// GenieACS's Connection Request: unauthenticated GET, then one answer to the 401. Returns
/// the final status and the algorithm its answer was labelled with.
async fn genieacs_connection_request(port: u16) -> (u16, Option<String>) {
    let (status, headers) = get(port, "/cr", None).await;
    assert_eq!(status, 401);
    let joined = headers
        .iter()
        .filter(|(k, _)| k == "www-authenticate")
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let challenge = genieacs_parse(&joined);
    assert_eq!(challenge["method"], "Digest", "{joined}");
    let authorization = genieacs_solve(&challenge, "/cr");
    let (status, _) = get(port, "/cr", Some(&authorization)).await;
    (status, challenge.get("algorithm").cloned())
}

type Informs = Arc<Mutex<Vec<Vec<EventCode>>>>;

async fn acs(informs: Informs) -> Peer {
    Peer::start(move |req: Req| {
        if req.body.is_empty() {
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
            return reply(StatusCode::BAD_REQUEST, Bytes::new());
        };
        if let Body::Inform(i) = env.body {
            let codes = i.event.iter().map(|e| e.event_code.clone()).collect();
            informs.lock().expect("lock").push(codes);
        }
        let env = Envelope::new(
            CwmpVersion::V1_2,
            Header::with_id("1"),
            InformResponse { max_envelopes: 1 },
        );
        reply(StatusCode::OK, Bytes::from(env.to_xml().expect("writes")))
    })
    .await
}

fn write_config(dir: &Path, acs_url: &str, port: u16, algorithms: Option<&str>) -> PathBuf {
    let path = dir.join("cpe.toml");
    let algorithms = algorithms
        .map(|a| format!("digest_algorithms = {a}\n"))
        .unwrap_or_default();
    let text = format!(
        r#"state_dir = "{state}"
session_timeout = 5

[acs]
url = "{acs_url}"

[cpe]
listen = "127.0.0.1"
port = {port}
path = "/cr"
username = "{USER}"
password = "{PASS}"
{algorithms}
[inform]
enable = true
interval = 3600

[data_model]
file = "{TR181}"
"#,
        state = dir.join("state").display(),
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// A running agent with its ACS and directory (dropped in this order: the daemon first).
struct Running {
    daemon: Daemon,
    informs: Informs,
    _peer: Peer,
    _dir: tempfile::TempDir,
}

async fn run(algorithms: Option<&str>) -> (u16, Option<String>, Running) {
    let informs = Informs::default();
    let peer = acs(informs.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let config = write_config(dir.path(), &peer.url("/acs"), port, algorithms);
    let daemon = Daemon::start(dir.path(), &config).await;
    wait_for("the boot Inform", || {
        (!informs.lock().expect("lock").is_empty()).then_some(())
    })
    .await;
    let (status, algorithm) = genieacs_connection_request(port).await;
    let running = Running {
        daemon,
        informs,
        _peer: peer,
        _dir: dir,
    };
    (status, algorithm, running)
}

fn have_model() -> bool {
    let ok = Path::new(TR181).is_file();
    if !ok {
        eprintln!("SKIPPED: {TR181} not found");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genieacs_connection_request_succeeds_with_the_default_challenges() {
    if !have_model() {
        return;
    }
    let (status, algorithm, agent) = run(None).await;
    assert_eq!(status, 200, "{}", agent.daemon.log());
    assert_eq!(algorithm.as_deref(), Some("MD5"));
    wait_for("an Inform with 6 CONNECTION REQUEST", || {
        agent
            .informs
            .lock()
            .expect("lock")
            .iter()
            .any(|e| e.contains(&EventCode::ConnectionRequest))
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genieacs_succeeds_when_md5_is_last_and_fails_when_it_is_not() {
    if !have_model() {
        return;
    }
    let (status, algorithm, agent) = run(Some(r#"["SHA-256", "MD5"]"#)).await;
    assert_eq!(status, 200, "{}", agent.daemon.log());
    assert_eq!(algorithm.as_deref(), Some("MD5"));
    drop(agent);
    // The former default: GenieACS labels its MD5 answer SHA-256 and is refused.
    let (status, algorithm, _agent) = run(Some(r#"["MD5", "SHA-256"]"#)).await;
    assert_eq!(status, 401);
    assert_eq!(algorithm.as_deref(), Some("SHA-256"));
}
