//! Crash safety of the real `cwmp-acs` binary: `kill -9` while sessions wait for the CPE's
//! answers, restart on the same data directory, and check that no task is lost or run
//! twice, that device records are intact and that the devices' leases are released at once.

mod common;

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use common::{Cpe, call, enc, gpv_answer, gpv_names, gpv_task, inform, run_session};
use hyper::StatusCode;
use serde_json::Value as Json;
use sha2::{Digest as _, Sha256};

const TOKEN: &str = "crash-test-token";
/// Session timeout given to the server; its leases last twice as long.
const SESSION_TIMEOUT_SECS: u64 = 2;
const CR_URL: &str = "http://127.0.0.1:9/cr";

/// The server process, killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    cwmp: SocketAddr,
    api: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on `dir` with random loopback ports, read back from its log.
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cwmp-acs"))
            .env_remove("CWMP_ACS_CONFIG")
            .env("CWMP_ACS_DATA_DIR", dir)
            .env("CWMP_ACS_CWMP_LISTEN", "127.0.0.1:0")
            .env("CWMP_ACS_API_LISTEN", "127.0.0.1:0")
            .env("CWMP_ACS_FILE_LISTEN", "127.0.0.1:0")
            .env(
                "CWMP_ACS_SESSION_TIMEOUT_SECS",
                SESSION_TIMEOUT_SECS.to_string(),
            )
            .env("CWMP_ACS_BUSY_RETRY_AFTER_SECS", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn cwmp-acs");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<String>();
        // Reads the log to the end so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let _ = tx.send(line);
            }
        });
        let (mut cwmp, mut api) = (None, None);
        let deadline = Instant::now() + common::STEP;
        while cwmp.is_none() || api.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("the server announces its addresses in time");
            let addr = || {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix("addr="))
                    .and_then(|a| a.parse::<SocketAddr>().ok())
            };
            if line.contains("CWMP endpoint listening") {
                cwmp = addr();
            } else if line.contains("northbound API listening") {
                api = addr();
            }
        }
        Server {
            child,
            cwmp: cwmp.expect("cwmp"),
            api: api.expect("api"),
        }
    }

    /// `kill -9`, and waits for the process to be gone.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

async fn tasks(api: SocketAddr) -> Vec<Json> {
    let (status, body) = call(api, "GET", "/tasks", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    body.as_array().expect("array").clone()
}

fn status_of<'a>(tasks: &'a [Json], id: &str) -> &'a str {
    tasks
        .iter()
        .find(|t| t["_id"] == id)
        .and_then(|t| t["status"].as_str())
        .unwrap_or_else(|| panic!("task {id} lost: {tasks:?}"))
}

/// A session of `serial`, which must get in at once: the restarted node released the leases
/// its killed run held. Returns the names asked for, request by request.
async fn session_after_restart(cwmp: SocketAddr, serial: &str) -> Vec<Vec<String>> {
    let mut cpe = Cpe::connect(cwmp).await;
    let first = cpe.post(Some(&inform(serial, CR_URL))).await;
    assert_ne!(
        first.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the old lease of {serial} still refuses it"
    );
    first.envelope();
    let mut asked = Vec::new();
    let mut reply = cpe.post(None).await;
    while reply.status == StatusCode::OK {
        let req = reply.envelope();
        asked.push(gpv_names(&req));
        reply = cpe.post(Some(&gpv_answer(&req))).await;
    }
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    asked
}

async fn queue(api: SocketAddr, serial: &str, param: &str) -> String {
    let path = format!("/devices/{}/tasks", enc(common::device_id(serial).as_str()));
    let (status, task) = call(api, "POST", &path, Some(TOKEN), Some(gpv_task(param))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    task["_id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn kill_9_mid_session_loses_no_task_and_runs_none_twice() {
    let dir = tempfile::tempdir().expect("tmp");
    let digest = common_hex(&Sha256::digest(TOKEN.as_bytes()));
    std::fs::write(dir.path().join("api-tokens"), format!("{digest}\n")).expect("tokens");

    let server = Server::start(dir.path());
    for serial in ["A", "B", "C"] {
        assert!(run_session(server.cwmp, serial, CR_URL).await.is_empty());
    }
    let a1 = queue(server.api, "A", "Device.A1").await;
    let a2 = queue(server.api, "A", "Device.A2").await;
    let b1 = queue(server.api, "B", "Device.B1").await;
    let c1 = queue(server.api, "C", "Device.C1").await;

    // A: the first task is answered and completed, the second is on the wire.
    let mut cpe_a = Cpe::connect(server.cwmp).await;
    cpe_a.post(Some(&inform("A", CR_URL))).await.envelope();
    let req = cpe_a.post(None).await.envelope();
    assert_eq!(gpv_names(&req), ["Device.A1"]);
    let req = cpe_a.post(Some(&gpv_answer(&req))).await.envelope();
    assert_eq!(gpv_names(&req), ["Device.A2"]);
    // B: its only task is on the wire.
    let mut cpe_b = Cpe::connect(server.cwmp).await;
    cpe_b.post(Some(&inform("B", CR_URL))).await.envelope();
    let req = cpe_b.post(None).await.envelope();
    assert_eq!(gpv_names(&req), ["Device.B1"]);

    server.kill();
    drop((cpe_a, cpe_b));

    let server = Server::start(dir.path());
    let before = tasks(server.api).await;
    // The completed task is gone (deleted, as GenieACS does); the others are all there.
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(before.iter().all(|t| t["_id"] != a1.as_str()), "{before:?}");
    assert_eq!(status_of(&before, &c1), "pending");
    // Sent but never answered: still owed to the device.
    status_of(&before, &a2);
    status_of(&before, &b1);
    let (_, devices) = call(server.api, "GET", "/devices", Some(TOKEN), None).await;
    let devices = devices.as_array().expect("array");
    assert_eq!(devices.len(), 3);
    let dev_a = devices
        .iter()
        .find(|d| d["_id"] == common::device_id("A").as_str())
        .expect("A");
    assert_eq!(dev_a["Device"]["A1"]["_value"], "v:Device.A1", "{dev_a}");

    // Each owed task is sent exactly once; the completed one is not sent again. A and B had
    // live leases when the server was killed: the restart released them.
    assert_eq!(
        session_after_restart(server.cwmp, "A").await,
        [["Device.A2"]]
    );
    assert_eq!(
        session_after_restart(server.cwmp, "B").await,
        [["Device.B1"]]
    );
    assert_eq!(
        session_after_restart(server.cwmp, "C").await,
        [["Device.C1"]]
    );
    for serial in ["A", "B", "C"] {
        assert!(session_after_restart(server.cwmp, serial).await.is_empty());
    }
    // Every task completed, hence deleted; none faulted.
    assert_eq!(tasks(server.api).await, Vec::<Json>::new());
    let (_, faults) = call(server.api, "GET", "/faults", Some(TOKEN), None).await;
    assert_eq!(faults, serde_json::json!([]));
}

fn common_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
