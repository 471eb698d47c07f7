//! File transfers with the real `cwmp-cpe` binary, killed and started again as a supervisor
//! would: a firmware upgrade in `reboot = "exit"` mode (the process installs the image through
//! its hook and exits with the reboot status, then reports with `1 BOOT`, `7 TRANSFER
//! COMPLETE` and `M Download`), and a Download cut by `kill -9` mid-body or before the ACS
//! acknowledged its TransferComplete. Each TransferComplete is acknowledged exactly once
//! (TR-069 §A.3.3.2). A stalled download does not stop the CLI or sessions. Every wait is
//! bounded.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::process::{Daemon, ok, wait_for};
use common::rig::TR181;
use common::stalling::StallingFiles;
use common::{Peer, Req, reply};
use cwmp::rpc::{Download, InformResponse, TransferCompleteResponse};
use cwmp::{Body, CwmpVersion, DateTime, Envelope, Header};
use cwmp_cpe::config::REBOOT_EXIT_STATUS;
use cwmp_testkit::process::free_port;
use http_body_util::Full;
use hyper::{Response, StatusCode};

/// One TransferComplete the ACS received.
#[derive(Debug, Clone)]
struct Completion {
    command_key: String,
    fault_code: u32,
    start: Option<i64>,
    complete: Option<i64>,
    /// The events of the Inform that opened its session.
    events: Vec<String>,
    /// Sessions ended before it arrived (its own ends when `ended` passes this).
    ended_before: usize,
    /// The ACS answered it (a TransferCompleteResponse), rather than holding it.
    answered: bool,
}

#[derive(Default)]
struct Script {
    informs: Vec<Vec<String>>,
    completes: Vec<Completion>,
    /// Sent after the next empty POST.
    send: Option<Body>,
    /// Sessions the ACS ended (its empty answer to the CPE's empty POST).
    ended: usize,
    /// Never answer a TransferComplete while set.
    hold_completes: bool,
}

impl Script {
    fn answered(&self) -> usize {
        self.completes.iter().filter(|c| c.answered).count()
    }
}

type Shared = Arc<Mutex<Script>>;

fn xml(body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id("1"), body);
    Bytes::from(env.to_xml().expect("writes"))
}

/// The scripted ACS: answers Informs, sends `send` once, records TransferCompletes and
/// answers them unless told to hold them.
async fn acs(script: Shared) -> Peer {
    Peer::start_async(move |req: Req| {
        let answer = answer(&script, &req);
        Box::pin(async move {
            match answer {
                Some(response) => response,
                None => std::future::pending().await,
            }
        })
    })
    .await
}

/// The ACS's answer to one request; `None` to hold it.
fn answer(script: &Shared, req: &Req) -> Option<Response<Full<Bytes>>> {
    let mut s = script.lock().expect("lock");
    if req.body.is_empty() {
        return Some(match s.send.take() {
            Some(body) => reply(StatusCode::OK, xml(body)),
            None => {
                s.ended += 1;
                reply(StatusCode::NO_CONTENT, Bytes::new())
            }
        });
    }
    let Ok(env) = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()) else {
        return Some(reply(StatusCode::BAD_REQUEST, Bytes::new()));
    };
    Some(match env.body {
        Body::Inform(i) => {
            s.informs
                .push(i.event.iter().map(|e| e.event_code.to_string()).collect());
            reply(StatusCode::OK, xml(InformResponse { max_envelopes: 1 }))
        }
        Body::TransferComplete(tc) => {
            let unix = |t: DateTime| (t != DateTime::UNKNOWN).then(|| t.to_unix()).flatten();
            let answered = !s.hold_completes;
            let completion = Completion {
                command_key: tc.command_key,
                fault_code: tc.fault_struct.fault_code.map_or(0, |c| c.value()),
                start: unix(tc.start_time).map(|(secs, _)| secs),
                complete: unix(tc.complete_time).map(|(secs, _)| secs),
                events: s.informs.last().cloned().unwrap_or_default(),
                ended_before: s.ended,
                answered,
            };
            s.completes.push(completion);
            if !answered {
                return None;
            }
            reply(StatusCode::OK, xml(TransferCompleteResponse {}))
        }
        _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
    })
}

fn completes(script: &Shared) -> Vec<Completion> {
    script.lock().expect("lock").completes.clone()
}

/// Waits until the session of the `n`-th TransferComplete (from 0) has ended.
async fn session_of_complete_ended(script: &Shared, n: usize) {
    wait_for("the end of the reporting session", || {
        let s = script.lock().expect("lock");
        let c = s.completes.get(n)?;
        (s.ended > c.ended_before).then_some(())
    })
    .await;
}

/// Waits for the `n`-th TransferComplete (from 0).
async fn nth_complete(script: &Shared, n: usize) -> Completion {
    wait_for("a TransferComplete", || completes(script).get(n).cloned()).await
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

fn have_model() -> bool {
    let ok = Path::new(TR181).is_file();
    if !ok {
        eprintln!("SKIPPED: {TR181} not found");
    }
    ok
}

/// A Download of a vendor configuration file (kept in the download dir: no hook) named
/// `target`.
fn config_download(command_key: &str, url: String, size: usize, target: &str) -> Body {
    Download {
        command_key: command_key.into(),
        file_type: "3 Vendor Configuration File".into(),
        url,
        username: String::new(),
        password: String::new(),
        file_size: u32::try_from(size).expect("small"),
        target_file_name: target.into(),
        delay_seconds: 0,
        success_url: String::new(),
        failure_url: String::new(),
    }
    .into()
}

/// The file's bytes: not all alike, so a misplaced chunk would show.
fn file_body(len: usize) -> Bytes {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Checks a successful report of `key` in a session opened by `7 TRANSFER COMPLETE` and
/// `M Download`.
fn assert_reported(c: &Completion, key: &str, log: &str) {
    assert_eq!((c.command_key.as_str(), c.fault_code), (key, 0), "{log}");
    let (start, complete) = (
        c.start.expect("StartTime"),
        c.complete.expect("CompleteTime"),
    );
    assert!(start > 0 && complete >= start, "{start}..{complete}");
    for e in ["7 TRANSFER COMPLETE", "M Download"] {
        assert!(c.events.contains(&e.to_owned()), "{e} in {:?}", c.events);
    }
}

/// After a kill -9 and restart, a session asked for with the CLI carries no report: no
/// `7 TRANSFER COMPLETE`, no `M Download`, no TransferComplete.
async fn restart_reports_nothing(daemon: &mut Daemon, dir: &Path, config: &Path, script: &Shared) {
    daemon.kill9();
    let (informs, ended) = {
        let s = script.lock().expect("lock");
        (s.informs.len(), s.ended)
    };
    *daemon = Daemon::start(dir, config).await;
    // The boot session, then one the CLI asks for.
    wait_for("the boot session", || {
        (script.lock().expect("lock").ended > ended).then_some(())
    })
    .await;
    ok(&daemon.socket, &["inform"]).await;
    wait_for("the session the CLI asked for", || {
        (script.lock().expect("lock").ended > ended + 1).then_some(())
    })
    .await;
    let s = script.lock().expect("lock");
    assert!(s.informs.len() >= informs + 2, "{:?}", s.informs);
    for events in &s.informs[informs..] {
        assert!(
            !events
                .iter()
                .any(|e| e == "7 TRANSFER COMPLETE" || e == "M Download"),
            "{events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_killed_mid_body_runs_again_and_reports_once() {
    if !have_model() {
        return;
    }
    let body = file_body(64 * 1024);
    let files = StallingFiles::start(body.clone(), 1000).await;
    let script = Shared::default();
    let acs = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &acs.url("/acs"), "true");
    script.lock().expect("lock").send = Some(config_download(
        "cfg-7",
        files.url("/vendor.cfg"),
        body.len(),
        "vendor.cfg",
    ));
    let dest = dir.path().join("state/downloads/vendor.cfg");
    let queue_file = dir.path().join("state/transfers.json");

    let mut d = Daemon::start(dir.path(), &config).await;
    wait_for("the first part of the body", || {
        (files.stalled() == 1).then_some(())
    })
    .await;
    let queued = std::fs::read_to_string(&queue_file).expect("the queue is saved");
    assert!(queued.contains("\"InProgress\""), "{queued}");
    d.kill9();
    assert!(!dest.exists(), "the file is not complete");
    assert!(completes(&script).is_empty());

    // Power back: the download runs again, whole this time, and is reported once.
    files.open();
    let mut d = Daemon::start(dir.path(), &config).await;
    let c = nth_complete(&script, 0).await;
    assert_eq!(files.gets(), 2, "one more GET after the restart");
    assert_reported(&c, "cfg-7", &d.log());
    assert_eq!(std::fs::read(&dest).expect("downloaded"), body);
    session_of_complete_ended(&script, 0).await;

    restart_reports_nothing(&mut d, dir.path(), &config, &script).await;
    assert_eq!(completes(&script).len(), 1, "exactly once");
    assert_eq!(files.gets(), 2, "not downloaded again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_sessions_are_served_while_a_download_is_stalled() {
    if !have_model() {
        return;
    }
    let body = file_body(32 * 1024);
    let files = StallingFiles::start(body.clone(), 500).await;
    let script = Shared::default();
    let acs = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &acs.url("/acs"), "true");
    script.lock().expect("lock").send = Some(config_download(
        "cfg-9",
        files.url("/vendor.cfg"),
        body.len(),
        "vendor.cfg",
    ));

    let d = Daemon::start(dir.path(), &config).await;
    wait_for("the first part of the body", || {
        (files.stalled() == 1).then_some(())
    })
    .await;
    // The fetch is stalled: the operator and the ACS are still served.
    let status = ok(&d.socket, &["show", "status"]).await;
    assert!(status.contains("\"cfg-9\""), "{status}");
    assert!(status.contains("(in progress)"), "{status}");
    let ended = script.lock().expect("lock").ended;
    ok(&d.socket, &["inform"]).await;
    wait_for("a session during the download", || {
        (script.lock().expect("lock").ended > ended).then_some(())
    })
    .await;
    assert!(completes(&script).is_empty());
    assert_eq!(files.stalled(), 1, "still the one fetch");

    files.open();
    let c = nth_complete(&script, 0).await;
    assert_reported(&c, "cfg-9", &d.log());
    session_of_complete_ended(&script, 0).await;
    assert_eq!(completes(&script).len(), 1);
    assert_eq!(files.gets(), 1);
    assert_eq!(
        std::fs::read(dir.path().join("state/downloads/vendor.cfg")).expect("downloaded"),
        body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_complete_unanswered_at_kill_is_sent_again_once() {
    if !have_model() {
        return;
    }
    let body = file_body(4096);
    let served = body.clone();
    let files = Peer::start(move |_| reply(StatusCode::OK, served.clone())).await;
    let script = Shared::default();
    let acs = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &acs.url("/acs"), "true");
    {
        let mut s = script.lock().expect("lock");
        s.send = Some(config_download(
            "cfg-8",
            files.url("/vendor.cfg"),
            body.len(),
            "vendor.cfg",
        ));
        s.hold_completes = true;
    }
    let dest = dir.path().join("state/downloads/vendor.cfg");

    // The transfer finishes; the ACS holds its answer to the TransferComplete: power cut.
    let mut d = Daemon::start(dir.path(), &config).await;
    let held = nth_complete(&script, 0).await;
    assert!(!held.answered);
    assert_reported(&held, "cfg-8", &d.log());
    d.kill9();
    assert_eq!(std::fs::read(&dest).expect("downloaded"), body);
    script.lock().expect("lock").hold_completes = false;

    // Power back: the same report again, with the boot; answered this time.
    let mut d = Daemon::start(dir.path(), &config).await;
    let again = wait_for("the TransferComplete answered", || {
        completes(&script).into_iter().find(|c| c.answered)
    })
    .await;
    assert_reported(&again, "cfg-8", &d.log());
    assert!(again.events.contains(&"1 BOOT".to_owned()), "{again:?}");
    let n = completes(&script).len() - 1;
    session_of_complete_ended(&script, n).await;

    restart_reports_nothing(&mut d, dir.path(), &config, &script).await;
    let all = completes(&script);
    assert_eq!(script.lock().expect("lock").answered(), 1, "{all:?}");
    assert!(all.iter().all(|c| c.command_key == "cfg-8"), "{all:?}");
    assert_eq!(files.connections(), 1, "downloaded once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firmware_upgrade_restarts_the_process_and_reports_once() {
    if !have_model() {
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
    let mut d = Daemon::spawn(dir.path(), &config);
    let status = d.exited().await;
    assert_eq!(status.code(), Some(REBOOT_EXIT_STATUS), "{}", d.log());
    let installed = std::fs::read_to_string(&hook_log).expect("the hook ran");
    assert!(
        installed.contains("|1 Firmware Upgrade Image"),
        "{installed}"
    );
    assert!(script.lock().expect("lock").completes.is_empty());

    // The supervisor starts it again: the report goes out with the boot.
    let mut d = Daemon::spawn(dir.path(), &config);
    let c = nth_complete(&script, 0).await;
    assert_reported(&c, "fw-42", &d.log());
    assert!(c.events.contains(&"1 BOOT".to_owned()), "{c:?}");
    // Once that session ended: kill -9 and start again, a plain boot.
    let ended = |n: usize| {
        let script = script.clone();
        move || (script.lock().expect("lock").ended >= n).then_some(())
    };
    wait_for("the end of the reporting session", ended(1)).await;
    let informs_before = script.lock().expect("lock").informs.len();
    d.kill9();
    let _d = Daemon::spawn(dir.path(), &config);
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
