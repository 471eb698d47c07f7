//! The world of the transfer tests: a scripted ACS and a small file server on 127.0.0.1, a
//! state dir, a manual clock, and the agent opened (or reopened, as after a crash or a reboot)
//! on them.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::{Download, InformResponse, TransferComplete, TransferCompleteResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::ManualClock;
use cwmp_cpe::agent::Agent;
use cwmp_cpe::config::Config;
use cwmp_cpe::conn_request::{DigestAuth, DigestConfig};
use cwmp_datamodel::schema::LoadOptions;
use cwmp_datamodel::{MemoryBackend, Model, ModelOptions, Profile, Schema};
use hyper::{Method, StatusCode};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::common::{Peer, Req, reply};

pub const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);
pub const T0: i64 = 1_700_000_000;
pub const FIRMWARE: &str = "1 Firmware Upgrade Image";
pub const VERSION: &str = "Device.DeviceInfo.SoftwareVersion";

pub fn model() -> Option<Arc<Model>> {
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
pub struct Script {
    /// The event codes of each Inform.
    pub informs: Vec<Vec<String>>,
    /// Every TransferComplete received.
    pub completes: Vec<TransferComplete>,
    /// The CPE's answers to the requests sent.
    pub answers: Vec<Body>,
    /// Requests to send, one after each empty POST or answer.
    pub sends: VecDeque<Body>,
    /// Answer Informs with HTTP 500 (the ACS is unreachable).
    pub down: bool,
}

pub type Shared = Arc<Mutex<Script>>;

pub fn xml(id: &str, body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

pub async fn acs(script: Shared) -> Peer {
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
pub struct Files {
    pub files: Mutex<Vec<(String, Bytes)>>,
    pub uploads: Mutex<Vec<(Method, String, Bytes)>>,
    pub digest: Option<Mutex<DigestAuth>>,
    pub gets: Mutex<usize>,
}

pub async fn file_server(files: Arc<Files>) -> Peer {
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

pub fn files(list: &[(&str, &[u8])], digest: Option<(&str, &str)>) -> Arc<Files> {
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

pub fn config(url: &str, dir: &Path, transfer: &str, backup_delay: u32) -> Config {
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
pub struct World {
    pub script: Shared,
    pub acs: Peer,
    pub files: Arc<Files>,
    pub server: Peer,
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub transfer: String,
    pub backup_delay: u32,
}

impl World {
    pub async fn new(list: &[(&str, &[u8])], digest: Option<(&str, &str)>) -> Option<World> {
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
    pub fn agent(&self) -> Agent {
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

    pub fn send(&self, body: impl Into<Body>) {
        self.script
            .lock()
            .expect("lock")
            .sends
            .push_back(body.into());
    }

    pub fn url(&self, name: &str) -> String {
        self.server.url(&format!("/files/{name}"))
    }

    pub fn completes(&self) -> Vec<TransferComplete> {
        self.script.lock().expect("lock").completes.clone()
    }

    pub fn last_inform(&self) -> Vec<String> {
        self.script
            .lock()
            .expect("lock")
            .informs
            .last()
            .cloned()
            .expect("an Inform")
    }

    pub fn answers(&self) -> Vec<Body> {
        self.script.lock().expect("lock").answers.clone()
    }

    pub fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }
}

pub fn download(key: &str, url: &str, file_type: &str, size: usize, delay: u32) -> Download {
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

pub fn fault_code(tc: &TransferComplete) -> u32 {
    tc.fault_struct.fault_code.map_or(0, |c| c.value())
}

pub fn by_key<'a>(tcs: &'a [TransferComplete], key: &str) -> &'a TransferComplete {
    tcs.iter()
        .find(|t| t.command_key == key)
        .unwrap_or_else(|| panic!("a TransferComplete for {key}: {tcs:?}"))
}

pub async fn session(agent: &mut Agent) {
    let out = agent.step().await.expect("step").expect("a session");
    assert_eq!(out.result, Ok(()), "the session succeeds");
}

/// A hook that records its arguments and reports the version named in the image.
pub fn hook(dir: &Path) -> (String, PathBuf) {
    let log = dir.join("hook.log");
    let cmd = format!(
        "sh -c 'echo \"$1|$2\" >> {}; echo version=$(cat \"$1\")' hook",
        log.display()
    );
    (cmd, log)
}
