//! The real `cwmp-cpe` binary with handler programs (shell scripts) for two subtrees, driven
//! by a scripted ACS: a SetParameterValues that one handler refuses, or during which one
//! hangs, is answered with a 9003 fault naming the parameters (9007 / 9002), the other
//! handler's applied value is set back, and the tree keeps its values.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::process::{Daemon, ok, wait_for};
use common::{Peer, Req, reply};
use cwmp::rpc::{InformResponse, ParameterValueStruct, SetParameterValues};
use cwmp::value::Value;
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_testkit::process::free_port;
use hyper::StatusCode;

#[derive(Default)]
struct Script {
    informs: usize,
    spv: Option<Vec<ParameterValueStruct>>,
    /// `status …` or `fault CODE: PARAM=CODE,…`.
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
            if let Some(list) = s.spv.take() {
                let spv = SetParameterValues {
                    parameter_list: list,
                    parameter_key: "h".into(),
                };
                return reply(StatusCode::OK, xml(spv, "spv"));
            }
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
            return reply(StatusCode::BAD_REQUEST, Bytes::new());
        };
        match env.body {
            Body::Inform(_) => {
                s.informs += 1;
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
                let detail = f.detail.expect("a CWMP fault");
                let params: Vec<String> = detail
                    .set_parameter_values_faults
                    .iter()
                    .map(|p| format!("{}={}", p.parameter_name, p.fault_code.value()))
                    .collect();
                s.answers.push(format!(
                    "fault {}: {}",
                    detail.code.value(),
                    params.join(",")
                ));
                reply(StatusCode::NO_CONTENT, Bytes::new())
            }
            _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

/// An executable script logging its arguments to `<name>.log`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    let text = format!("#!/bin/sh\necho \"$*\" >> '{}'\n{body}\n", log.display());
    std::fs::write(&path, text).expect("write");
    let mut perm = std::fs::metadata(&path).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
    path
}

fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
}

const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
const NTP: &str = "Device.Time.NTPServer1";

/// Starts the agent with `ms` handling ManagementServer and `time` handling Time (1 s
/// timeout), has the ACS set both parameters in the bootstrap session; the answer.
async fn spv_with_handlers(dir: &Path, time_body: &str) -> (String, Daemon) {
    let ms = script(dir, "ms", "exit 0");
    let time = script(dir, "time", time_body);
    let s = Shared::default();
    s.lock().expect("lock").spv = Some(vec![
        ParameterValueStruct {
            name: INTERVAL.into(),
            value: Value::UnsignedInt(77),
        },
        ParameterValueStruct {
            name: NTP.into(),
            value: Value::String("ntp.example".into()),
        },
    ]);
    let peer = acs(s.clone()).await;
    let config = dir.join("cpe.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"{state}\"\nsession_timeout = 10\n[acs]\nurl = \"{url}\"\n\
             [cpe]\nlisten = \"127.0.0.1\"\nport = {port}\n[inform]\ninterval = 3600\n\
             [handlers]\ntimeout = 1\n\
             [[handlers.program]]\nsubtree = \"Device.ManagementServer.\"\ncommand = [\"{ms}\"]\n\
             [[handlers.program]]\nsubtree = \"Device.Time.\"\ncommand = [\"{time}\", \"--fixed arg\"]\n",
            state = dir.join("state").display(),
            url = peer.url("/acs"),
            port = free_port(),
            ms = ms.display(),
            time = time.display(),
        ),
    )
    .expect("config");
    let daemon = Daemon::start(dir, &config).await;
    let answer = wait_for("the SetParameterValues answer", || {
        s.lock().expect("lock").answers.first().cloned()
    })
    .await;
    drop(peer);
    (answer, daemon)
}

async fn value(socket: &Path, path: &str) -> String {
    let out = ok(socket, &["get", path]).await;
    out.split_whitespace().nth(2).unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_refusing_in_the_middle_of_an_spv_rolls_the_other_back() {
    let tmp = tempfile::tempdir().expect("tmp");
    // Refuses the new server, accepts the roll-back (the old value, "pool.ntp.org").
    let refuse = "case \"$4\" in ntp.example) printf 'Device.Time.NTPServer1\\tno such server\\n'; exit 20;; esac\nexit 0";
    let (answer, daemon) = spv_with_handlers(tmp.path(), refuse).await;
    assert_eq!(answer, format!("fault 9003: {NTP}=9007"));
    assert_eq!(
        log(tmp.path(), "ms"),
        format!("set {INTERVAL} 77\nset {INTERVAL} 3600\n")
    );
    assert_eq!(
        log(tmp.path(), "time"),
        format!("--fixed arg set {NTP} ntp.example\n--fixed arg set {NTP} pool.ntp.org\n")
    );
    assert_eq!(value(&daemon.socket, INTERVAL).await, "3600");
    assert_eq!(value(&daemon.socket, NTP).await, "pool.ntp.org");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_hangs_is_killed_and_the_spv_faults_9002() {
    let tmp = tempfile::tempdir().expect("tmp");
    let hang = "case \"$4\" in ntp.example) sleep 30;; esac\nexit 0";
    let started = Instant::now();
    let (answer, daemon) = spv_with_handlers(tmp.path(), hang).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(answer, format!("fault 9003: {NTP}=9002"));
    assert!(log(tmp.path(), "ms").ends_with(&format!("set {INTERVAL} 3600\n")));
    assert_eq!(value(&daemon.socket, INTERVAL).await, "3600");
    assert_eq!(value(&daemon.socket, NTP).await, "pool.ntp.org");
}
