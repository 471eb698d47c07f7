//! A firmware upgrade with the real `cwmp-cpe` binary in `reboot = "exit"` mode: the process
//! installs the image through its hook and exits with the reboot status; started again (as a
//! supervisor would), it reports the TransferComplete with `1 BOOT`, `7 TRANSFER COMPLETE` and
//! `M Download`, and never again after a `kill -9`. Every wait is bounded.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Peer, Req, reply};
use cwmp::rpc::{Download, InformResponse, TransferCompleteResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::config::REBOOT_EXIT_STATUS;
use hyper::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_cwmp-cpe");
const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);
/// Guard for every wait: generous, only reached when something is broken.
const GUARD: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Script {
    informs: Vec<Vec<String>>,
    /// (CommandKey, FaultCode) of each TransferComplete.
    completes: Vec<(String, u32)>,
    /// Sent after the next empty POST.
    send: Option<Body>,
    /// Sessions the ACS ended (its empty answer to the CPE's empty POST).
    ended: usize,
}

type Shared = Arc<Mutex<Script>>;

fn xml(body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id("1"), body);
    Bytes::from(env.to_xml().expect("writes"))
}

async fn acs(script: Shared) -> Peer {
    Peer::start(move |req: Req| {
        let mut s = script.lock().expect("lock");
        if req.body.is_empty() {
            return match s.send.take() {
                Some(body) => reply(StatusCode::OK, xml(body)),
                None => {
                    s.ended += 1;
                    reply(StatusCode::NO_CONTENT, Bytes::new())
                }
            };
        }
        let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
            return reply(StatusCode::BAD_REQUEST, Bytes::new());
        };
        match env.body {
            Body::Inform(i) => {
                s.informs
                    .push(i.event.iter().map(|e| e.event_code.to_string()).collect());
                reply(StatusCode::OK, xml(InformResponse { max_envelopes: 1 }))
            }
            Body::TransferComplete(tc) => {
                let code = tc.fault_struct.fault_code.map_or(0, |c| c.value());
                s.completes.push((tc.command_key, code));
                reply(StatusCode::OK, xml(TransferCompleteResponse {}))
            }
            _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < GUARD, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn write_config(dir: &Path, acs_url: &str, hook: &str) -> PathBuf {
    let path = dir.join("cpe.toml");
    let text = format!(
        r#"state_dir = "{state}"
session_timeout = 5

[acs]
url = "{acs_url}"

[cpe]
listen = "127.0.0.1"
port = {port}

[inform]
enable = false

[transfer]
apply_firmware = "{hook}"
reboot = "exit"

[data_model]
file = "{TR181}"
"#,
        state = dir.join("state").display(),
        port = free_port(),
        hook = hook.replace('\\', "\\\\").replace('"', "\\\""),
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// The daemon; killed (SIGKILL) when dropped.
struct Daemon(Child);

impl Daemon {
    fn start(dir: &Path, config: &Path) -> Daemon {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("daemon.log"))
            .expect("log file");
        let child = Command::new(BIN)
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn cwmp-cpe");
        Daemon(child)
    }

    async fn exited(&mut self) -> ExitStatus {
        wait_for("cwmp-cpe to exit", || self.0.try_wait().expect("try_wait")).await
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firmware_upgrade_restarts_the_process_and_reports_once() {
    if !Path::new(TR181).is_file() {
        eprintln!("SKIPPED: {TR181} not found");
        return;
    }
    let files = Peer::start(|_| reply(StatusCode::OK, Bytes::from_static(b"4.2"))).await;
    let script = Shared::default();
    let acs = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let hook_log = dir.path().join("hook.log");
    let hook = format!(
        "sh -c 'echo \"$1|$2\" >> {}; echo version=$(cat \"$1\")' hook",
        hook_log.display()
    );
    let config = write_config(dir.path(), &acs.url("/acs"), &hook);
    script.lock().expect("lock").send = Some(
        Download {
            command_key: "fw-42".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: files.url("/fw.img"),
            username: String::new(),
            password: String::new(),
            file_size: 3,
            target_file_name: String::new(),
            delay_seconds: 0,
            success_url: String::new(),
            failure_url: String::new(),
        }
        .into(),
    );
    let log = || std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();

    let mut d = Daemon::start(dir.path(), &config);
    let status = d.exited().await;
    assert_eq!(status.code(), Some(REBOOT_EXIT_STATUS), "{}", log());
    let installed = std::fs::read_to_string(&hook_log).expect("the hook ran");
    assert!(
        installed.contains("|1 Firmware Upgrade Image"),
        "{installed}"
    );
    assert!(script.lock().expect("lock").completes.is_empty());

    // The supervisor starts it again: the report goes out with the boot.
    let mut d = Daemon::start(dir.path(), &config);
    let events = wait_for("the TransferComplete", || {
        let s = script.lock().expect("lock");
        (!s.completes.is_empty()).then(|| s.informs.last().cloned().unwrap_or_default())
    })
    .await;
    for e in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(
            events.contains(&e.to_owned()),
            "{e} in {events:?}\n{}",
            log()
        );
    }
    assert_eq!(
        script.lock().expect("lock").completes,
        [("fw-42".to_owned(), 0)]
    );
    // Once that session ended: kill -9 and start again, a plain boot.
    let ended = |n: usize| {
        let script = script.clone();
        move || (script.lock().expect("lock").ended >= n).then_some(())
    };
    wait_for("the end of the reporting session", ended(1)).await;
    let informs_before = script.lock().expect("lock").informs.len();
    d.0.kill().expect("kill -9");
    let _ = d.exited().await;
    let _d = Daemon::start(dir.path(), &config);
    let events = wait_for("the Inform after kill -9", || {
        let s = script.lock().expect("lock");
        s.informs.get(informs_before).cloned()
    })
    .await;
    assert!(events.contains(&"1 BOOT".to_owned()), "{events:?}");
    assert!(
        !events.contains(&"7 TRANSFER COMPLETE".to_owned()),
        "{events:?}"
    );
    wait_for("the end of the session after kill -9", ended(2)).await;
    assert_eq!(
        script.lock().expect("lock").completes.len(),
        1,
        "exactly once"
    );
}
