//! File transfers end to end: the agent against a scripted ACS and a small file server, both
//! on 127.0.0.1, driven by a manual clock; the agent is reopened from its state dir where a
//! crash or a reboot is being shown.

mod common;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use common::{Peer, Req, reply};
use cwmp::rpc::{
    CancelTransfer, Download, GetAllQueuedTransfers, GetQueuedTransfers, InformResponse,
    ScheduleDownload, TimeWindowStruct, TransferComplete, TransferCompleteResponse, TransferState,
    Upload,
};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::ManualClock;
use cwmp_cpe::agent::Agent;
use cwmp_cpe::config::Config;
use cwmp_cpe::config::TlsConfig;
use cwmp_cpe::conn_request::{DigestAuth, DigestConfig};
use cwmp_cpe::transfer::{Fetch, Limits, TransferError, fetch};
use cwmp_cpe::transport::AcsConnector;
use cwmp_datamodel::schema::LoadOptions;
use cwmp_datamodel::{MemoryBackend, Model, ModelOptions, Profile, Schema};
use cwmp_testkit::pki::TestCa;
use hyper::{Method, StatusCode};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);
const T0: i64 = 1_700_000_000;
const FIRMWARE: &str = "1 Firmware Upgrade Image";
const VERSION: &str = "Device.DeviceInfo.SoftwareVersion";

fn model() -> Option<Arc<Model>> {
    static MODEL: OnceLock<Option<Arc<Model>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = Path::new(TR181);
            if !path.is_file() {
                return None;
            }
            let schema = Schema::from_file(path, &LoadOptions::default()).expect("TR-181 loads");
            let profile = Profile::tr181_gateway().expect("profile parses");
            Some(Arc::new(
                Model::new(Arc::new(schema), &profile, ModelOptions::default()).expect("model"),
            ))
        })
        .clone()
}

/// What the scripted ACS saw and will send.
#[derive(Default)]
struct Script {
    /// The event codes of each Inform.
    informs: Vec<Vec<String>>,
    /// Every TransferComplete received.
    completes: Vec<TransferComplete>,
    /// The CPE's answers to the requests sent.
    answers: Vec<Body>,
    /// Requests to send, one after each empty POST or answer.
    sends: VecDeque<Body>,
    /// Answer Informs with HTTP 500 (the ACS is unreachable).
    down: bool,
}

type Shared = Arc<Mutex<Script>>;

fn xml(id: &str, body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

async fn acs(script: Shared) -> Peer {
    Peer::start(move |req: Req| {
        let mut s = script.lock().expect("lock");
        let env = (!req.body.is_empty()).then(|| {
            Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()).expect("parses")
        });
        let next = |s: &mut Script| match s.sends.pop_front() {
            Some(body) => reply(StatusCode::OK, xml("acs", body)),
            None => reply(StatusCode::NO_CONTENT, Bytes::new()),
        };
        match env.map(|e| e.body) {
            Some(Body::Inform(i)) => {
                s.informs
                    .push(i.event.iter().map(|e| e.event_code.to_string()).collect());
                if s.down {
                    return reply(StatusCode::INTERNAL_SERVER_ERROR, Bytes::new());
                }
                reply(
                    StatusCode::OK,
                    xml("1", InformResponse { max_envelopes: 1 }),
                )
            }
            Some(Body::TransferComplete(tc)) => {
                s.completes.push(tc);
                reply(StatusCode::OK, xml("2", TransferCompleteResponse {}))
            }
            Some(answer) => {
                s.answers.push(answer);
                next(&mut s)
            }
            None => next(&mut s),
        }
    })
    .await
}

/// The file server: `GET /files/<name>` from `files` (Digest-protected when `digest` is set),
/// `PUT`/`POST` anything to `/up/<name>` recorded in `uploads`.
struct Files {
    files: Mutex<Vec<(String, Bytes)>>,
    uploads: Mutex<Vec<(Method, String, Bytes)>>,
    digest: Option<Mutex<DigestAuth>>,
    gets: Mutex<usize>,
}

async fn file_server(files: Arc<Files>) -> Peer {
    Peer::start(move |req: Req| {
        if let Some(d) = &files.digest {
            let mut d = d.lock().expect("lock");
            let auth = req.header("authorization");
            if d.verify(Duration::ZERO, req.method.as_str(), &req.path, auth)
                .is_err()
            {
                let mut r = reply(StatusCode::UNAUTHORIZED, Bytes::new());
                for c in d.challenge(Duration::ZERO, false) {
                    r.headers_mut()
                        .append("www-authenticate", c.parse().expect("header value"));
                }
                return r;
            }
        }
        if let Some(name) = req.path.strip_prefix("/up/") {
            files.uploads.lock().expect("lock").push((
                req.method.clone(),
                name.to_owned(),
                req.body.clone(),
            ));
            return reply(StatusCode::CREATED, Bytes::new());
        }
        *files.gets.lock().expect("lock") += 1;
        let name = req.path.strip_prefix("/files/").unwrap_or_default();
        let found = files
            .files
            .lock()
            .expect("lock")
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone());
        match found {
            Some(b) => reply(StatusCode::OK, b),
            None => reply(StatusCode::NOT_FOUND, Bytes::new()),
        }
    })
    .await
}

fn files(list: &[(&str, &[u8])], digest: Option<(&str, &str)>) -> Arc<Files> {
    Arc::new(Files {
        files: Mutex::new(
            list.iter()
                .map(|(n, b)| ((*n).to_owned(), Bytes::copy_from_slice(b)))
                .collect(),
        ),
        uploads: Mutex::new(Vec::new()),
        digest: digest.map(|(u, p)| {
            Mutex::new(DigestAuth::new(
                DigestConfig {
                    username: u.into(),
                    password: p.into(),
                    ..DigestConfig::default()
                },
                StdRng::seed_from_u64(7),
            ))
        }),
        gets: Mutex::new(0),
    })
}

fn config(url: &str, dir: &Path, transfer: &str, backup_delay: u32) -> Config {
    Config::parse(&format!(
        r#"
state_dir = "{}"
session_timeout = 5
[acs]
url = "{url}"
[inform]
enable = false
[transfer]
timeout = 10
{transfer}
[backup]
delay = {backup_delay}
[data_model]
file = "{TR181}"
"#,
        dir.display()
    ))
    .expect("config")
}

/// The test's world: ACS, file server, state dir, clock, agent settings.
struct World {
    script: Shared,
    acs: Peer,
    files: Arc<Files>,
    server: Peer,
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    transfer: String,
    backup_delay: u32,
}

impl World {
    async fn new(list: &[(&str, &[u8])], digest: Option<(&str, &str)>) -> Option<World> {
        model().or_else(|| {
            eprintln!("SKIPPED: {TR181} not found");
            None
        })?;
        let script = Shared::default();
        let acs = acs(script.clone()).await;
        let files = files(list, digest);
        let server = file_server(files.clone()).await;
        Some(World {
            script,
            acs,
            files,
            server,
            dir: tempfile::tempdir().expect("tempdir"),
            clock: Arc::new(ManualClock::at_unix(T0)),
            transfer: String::new(),
            backup_delay: 0,
        })
    }

    /// Opens (or reopens, as after a crash or a process restart) the agent on the state dir.
    fn agent(&self) -> Agent {
        let c = config(
            &self.acs.url("/acs"),
            self.dir.path(),
            &self.transfer,
            self.backup_delay,
        );
        let m = model().expect("checked in new");
        let mut a = Agent::open(c, m, Box::new(MemoryBackend::new()), self.clock.clone())
            .expect("agent opens");
        a.set_rng(StdRng::seed_from_u64(1));
        a
    }

    fn send(&self, body: impl Into<Body>) {
        self.script
            .lock()
            .expect("lock")
            .sends
            .push_back(body.into());
    }

    fn url(&self, name: &str) -> String {
        self.server.url(&format!("/files/{name}"))
    }

    fn completes(&self) -> Vec<TransferComplete> {
        self.script.lock().expect("lock").completes.clone()
    }

    fn last_inform(&self) -> Vec<String> {
        self.script
            .lock()
            .expect("lock")
            .informs
            .last()
            .cloned()
            .expect("an Inform")
    }

    fn answers(&self) -> Vec<Body> {
        self.script.lock().expect("lock").answers.clone()
    }

    fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }
}

fn download(key: &str, url: &str, file_type: &str, size: usize, delay: u32) -> Download {
    Download {
        command_key: key.into(),
        file_type: file_type.into(),
        url: url.into(),
        username: String::new(),
        password: String::new(),
        file_size: u32::try_from(size).expect("small"),
        target_file_name: format!("{key}.bin"),
        delay_seconds: delay,
        success_url: String::new(),
        failure_url: String::new(),
    }
}

fn fault_code(tc: &TransferComplete) -> u32 {
    tc.fault_struct.fault_code.map_or(0, |c| c.value())
}

fn by_key<'a>(tcs: &'a [TransferComplete], key: &str) -> &'a TransferComplete {
    tcs.iter()
        .find(|t| t.command_key == key)
        .unwrap_or_else(|| panic!("a TransferComplete for {key}: {tcs:?}"))
}

async fn session(agent: &mut Agent) {
    let out = agent.step().await.expect("step").expect("a session");
    assert_eq!(out.result, Ok(()), "the session succeeds");
}

#[tokio::test(flavor = "current_thread")]
async fn download_with_digest_is_written_and_reported() {
    let content = b"web content, 32 bytes of it ....";
    let Some(w) = World::new(&[("page.html", content)], Some(("fs", "pw"))).await else {
        return;
    };
    let mut agent = w.agent();
    let mut d = download(
        "dl1",
        &w.url("page.html"),
        "2 Web Content",
        content.len(),
        0,
    );
    d.username = "fs".into();
    d.password = "pw".into();
    w.send(d);
    session(&mut agent).await;
    let answers = w.answers();
    assert!(
        matches!(&answers[0], Body::DownloadResponse(r) if u32::from(r.status) == 1),
        "{answers:?}"
    );
    assert_eq!(
        std::fs::read(w.downloads().join("dl1.bin")).expect("written"),
        content
    );
    assert!(w.completes().is_empty(), "reported in the next session");
    session(&mut agent).await;
    let events = w.last_inform();
    assert!(
        events.contains(&"7 TRANSFER COMPLETE".to_owned()),
        "{events:?}"
    );
    assert!(events.contains(&"M Download".to_owned()), "{events:?}");
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1);
    assert_eq!(fault_code(&tcs[0]), 0, "{tcs:?}");
    assert_eq!(tcs[0].command_key, "dl1");
    assert!(agent.transfers().transfers().is_empty());
    assert!(agent.queue().is_empty(), "{:?}", agent.queue().events());
}

#[tokio::test(flavor = "current_thread")]
async fn failures_map_to_transfer_complete_faults() {
    let Some(w) = World::new(&[("f", b"0123456789")], Some(("fs", "pw"))).await else {
        return;
    };
    let mut agent = w.agent();
    let creds = |mut d: Download, pass: &str| {
        d.username = "fs".into();
        d.password = pass.into();
        d
    };
    w.send(creds(
        download("short", &w.url("f"), "2 Web Content", 20, 0),
        "pw",
    ));
    w.send(creds(
        download("long", &w.url("f"), "2 Web Content", 5, 0),
        "pw",
    ));
    w.send(creds(
        download("missing", &w.url("nope"), "4 Tone File", 0, 0),
        "pw",
    ));
    w.send(creds(
        download("badauth", &w.url("f"), "5 Ringer File", 10, 0),
        "wrong",
    ));
    session(&mut agent).await;
    session(&mut agent).await;
    let tcs = w.completes();
    assert_eq!(tcs.len(), 4, "{tcs:?}");
    assert_eq!(fault_code(by_key(&tcs, "short")), 9017);
    assert_eq!(fault_code(by_key(&tcs, "long")), 9018);
    assert_eq!(fault_code(by_key(&tcs, "missing")), 9016);
    assert_eq!(fault_code(by_key(&tcs, "badauth")), 9012);
    assert!(
        by_key(&tcs, "missing")
            .fault_struct
            .fault_string
            .contains("404")
    );
    let left: Vec<_> = std::fs::read_dir(w.downloads())
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no partial file is left: {left:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn delay_queue_answers_and_cancel() {
    let Some(w) = World::new(&[("a", b"aaaa"), ("b", b"bbbb")], None).await else {
        return;
    };
    let mut agent = w.agent();
    w.send(download("a", &w.url("a"), "2 Web Content", 4, 30));
    w.send(download("b", &w.url("b"), "X 00D09E Blob", 4, 30));
    w.send(GetQueuedTransfers {});
    w.send(CancelTransfer {
        command_key: "b".into(),
    });
    w.send(CancelTransfer {
        command_key: "zzz".into(),
    });
    w.send(GetAllQueuedTransfers {});
    session(&mut agent).await;
    let answers = w.answers();
    let Body::GetQueuedTransfersResponse(q) = &answers[2] else {
        panic!("{answers:?}");
    };
    assert_eq!(q.transfer_list.len(), 2);
    assert!(
        q.transfer_list
            .iter()
            .all(|t| t.state == TransferState::NotStarted)
    );
    assert!(
        matches!(answers[3], Body::CancelTransferResponse(_)),
        "{answers:?}"
    );
    assert!(
        matches!(&answers[4], Body::Fault(f) if f.code().map(|c| c.value()) == Some(9003)),
        "{answers:?}"
    );
    let Body::GetAllQueuedTransfersResponse(all) = &answers[5] else {
        panic!("{answers:?}");
    };
    assert_eq!(all.transfer_list.len(), 1);
    assert!(all.transfer_list[0].is_download);
    assert_eq!(
        *w.files.gets.lock().expect("lock"),
        0,
        "DelaySeconds not over"
    );
    assert_eq!(agent.next_wakeup(), Duration::from_secs(30));
    let status = agent.status();
    assert_eq!(status.transfers.len(), 1, "{:?}", status.transfers);
    assert!(
        status.transfers[0].contains("not started"),
        "{:?}",
        status.transfers
    );

    w.clock.advance(Duration::from_secs(29));
    assert!(agent.step().await.expect("step").is_none());
    assert_eq!(*w.files.gets.lock().expect("lock"), 0);
    w.clock.advance(Duration::from_secs(1));
    assert!(agent.step().await.expect("step").is_none());
    assert_eq!(*w.files.gets.lock().expect("lock"), 1);
    // A started (here: completed) transfer cannot be cancelled.
    w.send(CancelTransfer {
        command_key: "a".into(),
    });
    session(&mut agent).await;
    let answers = w.answers();
    assert!(
        matches!(answers.last(), Some(Body::Fault(f)) if f.code().map(|c| c.value()) == Some(9021)),
        "{answers:?}"
    );
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1);
    assert_eq!((tcs[0].command_key.as_str(), fault_code(&tcs[0])), ("a", 0));
}

#[tokio::test(flavor = "current_thread")]
async fn schedule_download_runs_inside_its_window() {
    let Some(w) = World::new(&[("s", b"sched")], None).await else {
        return;
    };
    let mut agent = w.agent();
    let window = |start, end, mode: &str| TimeWindowStruct {
        window_start: start,
        window_end: end,
        window_mode: mode.into(),
        user_message: String::new(),
        max_retries: -1,
    };
    let sd = |key: &str, windows| ScheduleDownload {
        command_key: key.into(),
        file_type: "2 Web Content".into(),
        url: w.url("s"),
        username: String::new(),
        password: String::new(),
        file_size: 5,
        target_file_name: String::new(),
        time_window_list: windows,
    };
    w.send(sd(
        "confirm",
        vec![window(0, 60, TimeWindowStruct::CONFIRMATION_NEEDED)],
    ));
    w.send(sd(
        "late",
        vec![window(5, 10, TimeWindowStruct::IMMEDIATELY)],
    ));
    w.send(sd(
        "s1",
        vec![
            window(10, 20, TimeWindowStruct::CONFIRMATION_NEEDED),
            window(60, 120, TimeWindowStruct::AT_ANY_TIME),
        ],
    ));
    session(&mut agent).await;
    let answers = w.answers();
    assert!(
        matches!(&answers[0], Body::Fault(f) if f.code().map(|c| c.value()) == Some(9003)),
        "no window can be honoured: {answers:?}"
    );
    for a in &answers[1..3] {
        assert!(
            matches!(a, Body::ScheduleDownloadResponse(_)),
            "{answers:?}"
        );
    }
    w.clock.advance(Duration::from_secs(30));
    assert!(agent.step().await.expect("step").is_none());
    assert_eq!(*w.files.gets.lock().expect("lock"), 0, "before the window");
    // "late" failed at once (its window passed): this step's session reports it, then s1 runs.
    w.clock.advance(Duration::from_secs(31));
    session(&mut agent).await;
    assert_eq!(*w.files.gets.lock().expect("lock"), 1, "inside the window");
    session(&mut agent).await;
    assert!(w.last_inform().contains(&"M ScheduleDownload".to_owned()));
    let tcs = w.completes();
    assert_eq!(tcs.len(), 2, "{tcs:?}");
    assert_eq!(fault_code(by_key(&tcs, "s1")), 0);
    // The agent was busy (here: the clock jumped) past the only window of "late".
    assert_eq!(fault_code(by_key(&tcs, "late")), 9020);
}

#[tokio::test(flavor = "current_thread")]
async fn config_file_goes_through_its_hook() {
    let Some(mut w) = World::new(&[("good", b"good"), ("bad", b"bad")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let log = hook_dir.path().join("hook.log");
    let cmd = format!(
        "sh -c 'echo \"$2\" >> {}; test \"$(cat \"$1\")\" = good' hook",
        log.display()
    );
    w.transfer = format!("apply_config = \"{}\"", cmd.replace('"', "\\\""));
    let mut agent = w.agent();
    w.send(download(
        "good",
        &w.url("good"),
        "3 Vendor Configuration File",
        4,
        0,
    ));
    w.send(download(
        "bad",
        &w.url("bad"),
        "3 Vendor Configuration File",
        3,
        0,
    ));
    session(&mut agent).await;
    session(&mut agent).await;
    let tcs = w.completes();
    assert_eq!(fault_code(by_key(&tcs, "good")), 0);
    let bad = by_key(&tcs, "bad");
    assert_eq!(fault_code(bad), 9010);
    assert!(
        bad.fault_struct
            .fault_string
            .contains("applying the configuration"),
        "{bad:?}"
    );
    let calls = std::fs::read_to_string(&log).expect("the hook ran");
    assert_eq!(calls.lines().count(), 2, "{calls}");
    assert!(
        calls.lines().all(|l| l == "3 Vendor Configuration File"),
        "{calls}"
    );
    assert!(
        w.dir.path().join("config-backup.bin").is_file(),
        "the configuration was backed up"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn upload_by_put_and_disabled_transfers() {
    let Some(mut w) = World::new(&[], None).await else {
        return;
    };
    let mut agent = w.agent();
    let upload = |key: &str, file_type: &str, url: String| Upload {
        command_key: key.into(),
        file_type: file_type.into(),
        url,
        username: String::new(),
        password: String::new(),
        delay_seconds: 0,
    };
    w.send(upload(
        "u1",
        "1 Vendor Configuration File",
        w.server.url("/up/cfg"),
    ));
    w.send(upload("u2", "2 Vendor Log File", w.server.url("/up/log")));
    session(&mut agent).await;
    session(&mut agent).await;
    let ups = w.files.uploads.lock().expect("lock").clone();
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(ups[0].0, Method::PUT);
    assert_eq!(
        ups[0].2,
        std::fs::read(w.dir.path().join("tree.bin")).expect("tree")
    );
    let tcs = w.completes();
    assert_eq!(fault_code(by_key(&tcs, "u1")), 0);
    assert_eq!(
        fault_code(by_key(&tcs, "u2")),
        9011,
        "no log file configured"
    );
    assert!(w.last_inform().contains(&"M Upload".to_owned()));
    drop(agent);

    w.transfer = "download = false\nupload = false".into();
    let mut agent = w.agent();
    w.send(download("d", &w.url("x"), FIRMWARE, 0, 0));
    w.send(upload(
        "u3",
        "1 Vendor Configuration File",
        w.server.url("/up/cfg"),
    ));
    agent.local(cwmp_cpe::agent::Local::Inform).expect("inform");
    session(&mut agent).await;
    let answers = w.answers();
    for a in &answers[answers.len() - 2..] {
        let Body::Fault(f) = a else {
            panic!("a fault: {a:?}");
        };
        assert_eq!(f.code().map(|c| c.value()), Some(9001));
        let text = f
            .detail
            .as_ref()
            .and_then(|d| d.string.clone())
            .unwrap_or_default();
        assert!(text.contains("disabled"), "{text}");
    }
}

/// A hook that records its arguments and reports the version named in the image.
fn hook(dir: &Path) -> (String, PathBuf) {
    let log = dir.join("hook.log");
    let cmd = format!(
        "sh -c 'echo \"$1|$2\" >> {}; echo version=$(cat \"$1\")' hook",
        log.display()
    );
    (cmd, log)
}

#[tokio::test(flavor = "current_thread")]
async fn firmware_upgrade_reported_once_across_restarts() {
    let Some(mut w) = World::new(&[("fw", b"2.0")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let (cmd, log) = hook(hook_dir.path());
    w.transfer = format!(
        "apply_firmware = \"{}\"\nreboot = \"exit\"",
        cmd.replace('"', "\\\"")
    );
    let mut agent = w.agent();
    w.send(download("fw1", &w.url("fw"), FIRMWARE, 3, 0));
    session(&mut agent).await;
    assert!(agent.restart_requested(), "the install asks for a restart");
    let hook_log = std::fs::read_to_string(&log).expect("the hook ran");
    assert!(hook_log.contains(&format!("|{FIRMWARE}")), "{hook_log}");
    drop(agent);

    // Restarted (the process exits; here: reopened); killed again before any session.
    let agent = w.agent();
    assert_eq!(
        agent
            .tree()
            .stored_value(VERSION)
            .map(|v| v.as_text().into_owned()),
        Some("2.0".into())
    );
    drop(agent);
    // The ACS is down for the first session after the reboot; the agent is killed after it.
    w.script.lock().expect("lock").down = true;
    let mut agent = w.agent();
    let out = agent.step().await.expect("step").expect("a session");
    assert!(out.result.is_err());
    drop(agent);
    w.script.lock().expect("lock").down = false;
    let mut agent = w.agent();
    session(&mut agent).await;
    let events = w.last_inform();
    for e in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
    for e in ["1 BOOT", "M Download"] {
        assert_eq!(events.iter().filter(|x| *x == e).count(), 1, "{e} once");
    }
    drop(agent);
    // Reopened after the acknowledgement: nothing is reported twice.
    let mut agent = w.agent();
    session(&mut agent).await;
    let events = w.last_inform();
    assert!(
        !events.contains(&"7 TRANSFER COMPLETE".to_owned()),
        "{events:?}"
    );
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1, "exactly once: {tcs:?}");
    assert_eq!(fault_code(&tcs[0]), 0);
    assert!(agent.transfers().transfers().is_empty());
    assert!(
        agent.transfers().upgrade().is_none(),
        "confirmed by the sessions"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn unconfirmed_upgrade_is_rolled_back() {
    let Some(mut w) = World::new(&[("fw", b"3.0")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let (cmd, log) = hook(hook_dir.path());
    w.transfer = format!("apply_firmware = \"{}\"", cmd.replace('"', "\\\""));
    w.backup_delay = 60;
    // The image installed now, with its version.
    let store = w.dir.path().join("firmware");
    std::fs::create_dir_all(&store).expect("mkdir");
    std::fs::write(store.join("installed.img"), b"1.0").expect("write");
    let mut agent = w.agent();
    agent
        .local(cwmp_cpe::agent::Local::Set {
            path: VERSION.into(),
            value: "1.0".into(),
        })
        .expect("set");
    w.send(download("fw2", &w.url("fw"), FIRMWARE, 3, 0));
    session(&mut agent).await;
    // Installed, rebooted (simulated, in process).
    assert_eq!(agent.boots(), 2);
    let version = |a: &Agent| {
        a.tree()
            .stored_value(VERSION)
            .map(|v| v.as_text().into_owned())
    };
    assert_eq!(version(&agent).as_deref(), Some("3.0"));
    w.script.lock().expect("lock").down = true;
    let out = agent.step().await.expect("step").expect("a session");
    assert!(out.result.is_err());
    drop(agent);
    w.clock.advance(Duration::from_secs(61));
    let mut agent = w.agent();
    // The deadline passed with no session: the first step rolls back (and boots again).
    let boots = agent.boots();
    let _ = agent.step().await.expect("step");
    let _ = agent.step().await.expect("step");
    assert_eq!(agent.boots(), boots + 1, "rebooted after the rollback");
    assert_eq!(version(&agent).as_deref(), Some("1.0"));
    let hook_log = std::fs::read_to_string(&log).expect("the hook ran");
    assert!(hook_log.contains("backup.img|"), "{hook_log}");
    assert_eq!(
        std::fs::read(store.join("installed.img")).expect("restored"),
        b"1.0"
    );
    w.script.lock().expect("lock").down = false;
    w.clock.advance(Duration::from_secs(3600));
    session(&mut agent).await;
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1, "{tcs:?}");
    assert_eq!(fault_code(&tcs[0]), 9010);
    assert!(
        tcs[0].fault_struct.fault_string.contains("rolled back"),
        "{tcs:?}"
    );
    let events = w.last_inform();
    for e in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
}

fn server_tls(ca: &TestCa) -> Arc<rustls::ServerConfig> {
    let server = ca.server(&["127.0.0.1"]);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("chain");
    let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).expect("key");
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config"),
    )
}

/// The reusable downloader over HTTPS with the agent's `[tls]` trust: a trusted server
/// serves the file; an untrusted one is "server unreachable" (9015).
#[tokio::test(flavor = "current_thread")]
async fn fetch_over_https_with_the_agent_trust() {
    let ca = TestCa::new("File server CA");
    let rogue = TestCa::new("Rogue CA");
    let content = Bytes::from_static(b"firmware over TLS");
    let body = content.clone();
    let good = Peer::start_tls(
        move |_| reply(StatusCode::OK, body.clone()),
        server_tls(&ca),
    )
    .await;
    let bad = Peer::start_tls(|_| reply(StatusCode::OK, Bytes::new()), server_tls(&rogue)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let connector = AcsConnector::new(&TlsConfig {
        ca_file: Some(ca.write(dir.path(), "ca")),
        ..TlsConfig::default()
    })
    .expect("connector");
    let limits = Limits {
        max_size: 1024,
        timeout: Duration::from_secs(10),
    };
    let dest = dir.path().join("fw.bin");
    let url = good.url("/fw.bin");
    let n = fetch(
        &connector,
        Fetch {
            url: &url,
            credentials: None,
            expected_size: Some(content.len() as u64),
            dest: &dest,
            limits,
        },
    )
    .await
    .expect("fetched over TLS");
    assert_eq!(n, content.len() as u64);
    assert_eq!(std::fs::read(&dest).expect("written"), content);
    let url = bad.url("/fw.bin");
    let err = fetch(
        &connector,
        Fetch {
            url: &url,
            credentials: None,
            expected_size: None,
            dest: &dir.path().join("other.bin"),
            limits,
        },
    )
    .await
    .expect_err("untrusted server");
    assert!(matches!(err, TransferError::Unreachable(_)), "{err:?}");
    assert_eq!(err.fault_code(true).value(), 9015);
    assert!(!dir.path().join("other.bin").exists());
}

/// The example config's `[transfer]` and `[backup]` sections parse to the documented values.
#[test]
fn example_config_has_the_transfer_settings() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/cpe.example.toml"));
    let c = Config::from_file(path).expect("the example parses");
    assert!(c.transfer.download && c.transfer.upload);
    assert_eq!(c.transfer.max_size, 256 * 1024 * 1024);
    assert_eq!(
        c.transfer.upload_method,
        cwmp_cpe::config::UploadMethod::Put
    );
    assert_eq!(c.transfer.reboot, cwmp_cpe::config::RebootMode::Simulate);
    let bad = "state_dir = \"/x\"\n[acs]\nurl = \"http://a/\"\n[data_model]\nfile = \"f\"\n\
               [transfer]\nreboot = \"halt\"\n";
    assert!(Config::parse(bad).is_err(), "unknown reboot mode refused");
}
