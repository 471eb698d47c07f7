//! The real `cwmp-cpe` binary against a scripted ACS on 127.0.0.1: the operator CLI over the
//! control socket, an ACS URL change, a clean stop on SIGTERM, and the event queue across a
//! `kill -9`. Every wait is bounded.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::process::{Daemon, cli, ok, stderr, wait_for};
use common::rig::TR181;
use common::{Peer, Req, reply};
use cwmp::rpc::{GetRPCMethodsResponse, InformResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_testkit::process::free_port;
use hyper::StatusCode;

#[derive(Default)]
struct Script {
    informs: Vec<Vec<String>>,
    /// Answer Informs with HTTP 500.
    fail: bool,
}

type Shared = Arc<Mutex<Script>>;

async fn acs(script: Shared) -> Peer {
    Peer::start(move |req: Req| {
        let mut s = script.lock().expect("lock");
        if req.body.is_empty() {
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
            return reply(StatusCode::BAD_REQUEST, Bytes::new());
        };
        let i = match env.body {
            Body::Inform(i) => i,
            Body::GetRPCMethods(_) => {
                let env = Envelope::new(
                    CwmpVersion::V1_2,
                    Header::with_id("2"),
                    GetRPCMethodsResponse {
                        method_list: vec!["Inform".into(), "GetRPCMethods".into()],
                    },
                );
                return reply(StatusCode::OK, Bytes::from(env.to_xml().expect("writes")));
            }
            _ => return reply(StatusCode::NO_CONTENT, Bytes::new()),
        };
        s.informs
            .push(i.event.iter().map(|e| e.event_code.to_string()).collect());
        if s.fail {
            return reply(StatusCode::INTERNAL_SERVER_ERROR, Bytes::new());
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

fn informs(script: &Shared) -> Vec<Vec<String>> {
    script.lock().expect("lock").informs.clone()
}

/// Waits for an Inform after the first `after` ones that satisfies `pred`; returns its index.
async fn inform_where(
    script: &Shared,
    after: usize,
    what: &str,
    pred: impl Fn(&[String]) -> bool,
) -> usize {
    wait_for(what, || {
        informs(script)
            .iter()
            .enumerate()
            .skip(after)
            .find(|(_, e)| pred(e))
            .map(|(i, _)| i)
    })
    .await
}

fn write_config(dir: &Path, acs_url: &str) -> PathBuf {
    let path = dir.join("cpe.toml");
    let text = format!(
        r#"state_dir = "{state}"
session_timeout = 5

[acs]
url = "{acs_url}"
username = "cpe"
password = "acs-secret"

[cpe]
listen = "127.0.0.1"
port = {port}
username = "acs"
password = "cr-secret"

[inform]
enable = true
interval = 3600

[data_model]
file = "{TR181}"
"#,
        state = dir.join("state").display(),
        port = free_port(),
    );
    std::fs::write(&path, text).expect("write config");
    path
}

fn have_model() -> bool {
    let ok = Path::new(TR181).is_file();
    if !ok {
        eprintln!("SKIPPED: {TR181} not found");
    }
    ok
}

#[tokio::test]
async fn cli_says_when_the_daemon_is_not_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("none.sock");
    let o = cli(&socket, &["show", "status"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "cwmp-cpe is not running (no socket at {})",
            socket.display()
        )
    );
    let o = cli(&socket, &["config", "timeout", "10"]).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not running"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_against_the_running_daemon() {
    if !have_model() {
        return;
    }
    let script = Shared::default();
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &peer.url("/acs"));
    let mut daemon = Daemon::start(dir.path(), &config).await;
    let socket = daemon.socket.clone();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&socket).expect("socket").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    inform_where(&script, 0, "the first Inform", |e| {
        e == ["0 BOOTSTRAP", "1 BOOT"]
    })
    .await;
    let shown = ok(&socket, &["show", "configuration"]).await;
    assert!(shown.contains(&format!("ACS URL           : {}", peer.url("/acs"))));
    assert!(shown.contains("ACS username      : cpe\n"), "{shown}");
    assert!(shown.contains("ACS password      : ********\n"), "{shown}");
    assert!(shown.contains("CPE password      : ********\n"), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("Inform interval   : 3600 s"), "{shown}");
    assert!(shown.contains("Wait timeout      : 5 s"), "{shown}");
    let mut status = String::new();
    for _ in 0..200 {
        status = ok(&socket, &["show", "status"]).await;
        if status.contains("Connected        : yes") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(status.contains("Connected        : yes"), "{status}");
    assert!(status.contains("Last result      : ok"), "{status}");
    assert!(status.contains("Pending events   : (none)"), "{status}");
    assert!(status.contains("Queued transfers : (none)"), "{status}");

    // get: one value with its type; a partial path gives the subtree.
    let got = ok(
        &socket,
        &["get", "Device.ManagementServer.PeriodicInformInterval"],
    )
    .await;
    assert_eq!(
        got.split_whitespace().collect::<Vec<_>>(),
        [
            "Device.ManagementServer.PeriodicInformInterval",
            "unsignedInt",
            "3600"
        ]
    );
    let sub = ok(&socket, &["get", "Device.ManagementServer."]).await;
    assert!(sub.lines().count() > 5 && sub.contains("Device.ManagementServer.URL "));
    let o = cli(&socket, &["get", "Device.NoSuchThing."]).await;
    assert_eq!(o.status.code(), Some(1));

    // set: a local change the next get sees; a bad value is refused.
    ok(
        &socket,
        &[
            "set",
            "Device.ManagementServer.PeriodicInformInterval",
            "120",
        ],
    )
    .await;
    let shown = ok(&socket, &["show", "configuration"]).await;
    assert!(shown.contains("Inform interval   : 120 s"), "{shown}");
    let o = cli(
        &socket,
        &["set", "Device.ManagementServer.PeriodicInformInterval", "x"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));

    // event and inform: sessions now.
    let n = informs(&script).len();
    ok(&socket, &["event", "X ACME TEST"]).await;
    let i = inform_where(&script, n, "X ACME TEST", |e| {
        e.contains(&"X ACME TEST".to_owned())
    })
    .await;
    ok(&socket, &["inform"]).await;
    let i = inform_where(&script, i + 1, "the requested Inform", |_| true).await;

    // request: the CPE's own request goes out in a session of its own; status shows the answer.
    ok(&socket, &["request", "get-rpc-methods"]).await;
    inform_where(&script, i + 1, "the session of the request", |_| true).await;
    let mut status = String::new();
    for _ in 0..200 {
        status = ok(&socket, &["show", "status"]).await;
        if status.contains("ACS methods      : Inform, GetRPCMethods") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        status.contains("ACS methods      : Inform, GetRPCMethods\n"),
        "{status}"
    );
    assert!(status.contains("Pending requests : (none)"), "{status}");
    let o = cli(
        &socket,
        &[
            "request",
            "kicked",
            "--command",
            &"c".repeat(33),
            "--referer",
            "r",
            "--next",
            "n",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "an over-long Command is refused");

    // Validation as device CLIs do it.
    for bad in [
        &["config", "acs-password", ""][..],
        &["config", "cpe-password", "123456789012345678901234567"],
        &["config", "acs-url", "ftp://x/"],
        &["config", "timeout", "0"],
        &["config", "inform", "--interval", "0"],
    ] {
        let o = cli(&socket, bad).await;
        assert_eq!(o.status.code(), Some(1), "{bad:?} accepted");
    }
    // Settings outside the data model: effective at once, kept across a restart.
    ok(&socket, &["config", "timeout", "7"]).await;
    ok(&socket, &["config", "download", "disable"]).await;
    ok(&socket, &["config", "backup", "--delay-time", "30"]).await;
    let cr_port = free_port();
    let cr_url = format!("http://127.0.0.1:{cr_port}/cr");
    ok(&socket, &["config", "cpe-url", &cr_url]).await;
    ok(&socket, &["config", "inform", "--disable"]).await;

    // A new ACS URL: 0 BOOTSTRAP to the new ACS at once.
    let script2 = Shared::default();
    let peer2 = acs(script2.clone()).await;
    ok(&socket, &["config", "acs-url", &peer2.url("/new")]).await;
    inform_where(&script2, 0, "BOOTSTRAP to the new ACS", |e| {
        e.first().map(String::as_str) == Some("0 BOOTSTRAP")
    })
    .await;

    // SIGTERM: a clean stop that removes the socket; a restart keeps everything.
    let status = daemon.terminate().await;
    assert!(status.success(), "exit status {status}");
    assert!(!socket.exists(), "the socket is removed");
    let n2 = informs(&script2).len();
    let daemon = Daemon::start(dir.path(), &config).await;
    inform_where(&script2, n2, "1 BOOT after the restart", |e| {
        e == ["1 BOOT"]
    })
    .await;
    let shown = ok(&daemon.socket, &["show", "configuration"]).await;
    for line in [
        format!("ACS URL           : {}", peer2.url("/new")),
        format!("CPE URL           : {cr_url}"),
        format!("CPE listener      : 127.0.0.1 port {cr_port} path /cr"),
        "Inform status     : disabled".into(),
        "Wait timeout      : 7 s".into(),
        "Download status   : disabled".into(),
        "Upload status     : enabled".into(),
        "Backup delay      : 30 s".into(),
    ] {
        assert!(shown.contains(&line), "{line:?} not in\n{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_kept_and_dropped_across_kill_9() {
    if !have_model() {
        return;
    }
    let script = Shared::default();
    script.lock().expect("lock").fail = true;
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &peer.url("/acs"));
    let mut daemon = Daemon::start(dir.path(), &config).await;
    let socket = daemon.socket.clone();
    let boot = inform_where(&script, 0, "the first Inform", |e| {
        e == ["0 BOOTSTRAP", "1 BOOT"]
    })
    .await;

    // Each new event cuts the retry wait short; the ACS keeps failing the sessions.
    ok(&socket, &["event", "6 CONNECTION REQUEST"]).await;
    let cr = inform_where(&script, boot + 1, "6 in an Inform", |e| {
        e.contains(&"6 CONNECTION REQUEST".to_owned())
    })
    .await;
    ok(&socket, &["event", "4 VALUE CHANGE"]).await;
    ok(&socket, &["event", "X ACME KEEP"]).await;
    let last = inform_where(&script, cr + 1, "4 and X in an Inform", |e| {
        e.contains(&"4 VALUE CHANGE".to_owned()) && e.contains(&"X ACME KEEP".to_owned())
    })
    .await;
    // 6 CONNECTION REQUEST is not retried after its failed session (Table 7).
    for e in &informs(&script)[cr + 1..=last] {
        assert!(!e.contains(&"6 CONNECTION REQUEST".to_owned()), "{e:?}");
    }
    let status = ok(&socket, &["show", "status"]).await;
    assert!(status.contains("Connected        : no"), "{status}");
    assert!(
        status.contains("Pending events   : 0 BOOTSTRAP, 1 BOOT, 4 VALUE CHANGE, X ACME KEEP"),
        "{status}"
    );

    // Power cut while the events wait; then the ACS answers again.
    daemon.kill9();
    assert!(socket.exists(), "kill -9 leaves a stale socket file");
    let seen = informs(&script).len();
    script.lock().expect("lock").fail = false;
    let _daemon = Daemon::start(dir.path(), &config).await;
    let first = inform_where(&script, seen, "the Inform after the restart", |_| true).await;
    assert_eq!(
        informs(&script)[first],
        ["0 BOOTSTRAP", "1 BOOT", "X ACME KEEP"],
        "BOOTSTRAP and vendor events kept, BOOT once, VALUE CHANGE dropped by the reboot"
    );
}
