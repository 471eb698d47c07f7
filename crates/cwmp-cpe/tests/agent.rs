//! The daemon loop against a scripted ACS on 127.0.0.1, driven by a manual clock.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use common::{Peer, Req, reply};
use cwmp::rpc::{FactoryReset, Reboot, ScheduleInform};
use cwmp::rpc::{InformResponse, ParameterValueStruct, SetParameterValues};
use cwmp::{Body, CwmpVersion, Envelope, Header, Value};
use cwmp_cpe::ManualClock;
use cwmp_cpe::agent::{Agent, Local};
use cwmp_cpe::config::Config;
use cwmp_datamodel::schema::LoadOptions;
use cwmp_datamodel::{MemoryBackend, Model, ModelOptions, Profile, Schema};
use hyper::StatusCode;
use rand::SeedableRng;
use rand::rngs::StdRng;

const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);
const T0: i64 = 1_700_000_000;

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

/// One Inform as the ACS saw it.
#[derive(Debug, Clone)]
struct Seen {
    events: Vec<String>,
    retry_count: u32,
}

#[derive(Default)]
struct Script {
    informs: Vec<Seen>,
    /// Answer the next Informs with HTTP 500 while > 0.
    fail: u32,
    /// Send this SetParameterValues after the next empty POST.
    set: Option<(String, Value)>,
    /// Or this request.
    send: Option<Body>,
}

fn xml(id: &str, body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

async fn acs(script: Arc<Mutex<Script>>) -> Peer {
    Peer::start(move |req: Req| {
        let mut s = script.lock().expect("lock");
        let env = (!req.body.is_empty()).then(|| {
            Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()).expect("parses")
        });
        match env.map(|e| e.body) {
            Some(Body::Inform(i)) => {
                s.informs.push(Seen {
                    events: i.event.iter().map(|e| e.event_code.to_string()).collect(),
                    retry_count: i.retry_count,
                });
                if s.fail > 0 {
                    s.fail -= 1;
                    return reply(StatusCode::INTERNAL_SERVER_ERROR, Bytes::new());
                }
                reply(
                    StatusCode::OK,
                    xml("1", InformResponse { max_envelopes: 1 }),
                )
            }
            None => match s.set.take() {
                Some((name, value)) => reply(
                    StatusCode::OK,
                    xml(
                        "2",
                        SetParameterValues {
                            parameter_list: vec![ParameterValueStruct { name, value }],
                            parameter_key: "k1".into(),
                        },
                    ),
                ),
                None => match s.send.take() {
                    Some(body) => reply(StatusCode::OK, xml("3", body)),
                    None => reply(StatusCode::NO_CONTENT, Bytes::new()),
                },
            },
            Some(_) => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

fn config(url: &str, dir: &Path) -> Config {
    Config::parse(&format!(
        r#"
state_dir = "{}"
session_timeout = 5
[acs]
url = "{url}"
[inform]
enable = true
interval = 3600
[data_model]
file = "{TR181}"
"#,
        dir.display()
    ))
    .expect("config")
}

fn agent(url: &str, dir: &Path, clock: &Arc<ManualClock>) -> Option<Agent> {
    let Some(m) = model() else {
        eprintln!("SKIPPED: {TR181} not found");
        return None;
    };
    let mut a = Agent::open(
        config(url, dir),
        m,
        Box::new(MemoryBackend::new()),
        clock.clone(),
    )
    .expect("agent opens");
    a.set_rng(StdRng::seed_from_u64(1));
    Some(a)
}

fn last(script: &Arc<Mutex<Script>>) -> Seen {
    script
        .lock()
        .expect("lock")
        .informs
        .last()
        .cloned()
        .expect("an Inform")
}

fn count(script: &Arc<Mutex<Script>>) -> usize {
    script.lock().expect("lock").informs.len()
}

#[tokio::test(flavor = "current_thread")]
async fn boot_periodic_change_retry_and_connection_request() {
    let script = Arc::new(Mutex::new(Script::default()));
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let Some(mut agent) = agent(&peer.url("/acs"), dir.path(), &clock) else {
        return;
    };

    // First contact: 0 BOOTSTRAP + 1 BOOT; the ACS sets the interval to 60 s.
    script.lock().expect("lock").set = Some((
        "Device.ManagementServer.PeriodicInformInterval".into(),
        Value::UnsignedInt(60),
    ));
    let out = agent.step().await.expect("step").expect("a session");
    assert_eq!(out.result, Ok(()));
    let first = last(&script);
    assert_eq!(first.events, ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(first.retry_count, 0);
    assert_eq!(agent.scheduler().periodic().interval, 60);
    assert!(agent.queue().is_empty());

    // Nothing more until the new interval is over (not the configured hour).
    assert!(agent.step().await.expect("step").is_none());
    clock.advance(Duration::from_secs(59));
    assert!(agent.step().await.expect("step").is_none());
    clock.advance(Duration::from_secs(1));
    agent.step().await.expect("step").expect("periodic session");
    assert_eq!(last(&script).events, ["2 PERIODIC"]);

    // The ACS fails the next one: retry with back-off (5–10 s) and RetryCount 1.
    script.lock().expect("lock").fail = 1;
    clock.advance(Duration::from_secs(60));
    let out = agent.step().await.expect("step").expect("a session");
    assert!(out.result.is_err());
    assert_eq!(agent.retry().retry_count(), 1);
    let n = count(&script);
    clock.advance(Duration::from_secs(4));
    assert!(agent.step().await.expect("step").is_none(), "too early");
    assert_eq!(count(&script), n);
    clock.advance(Duration::from_secs(6));
    let out = agent.step().await.expect("step").expect("the retry");
    assert_eq!(out.result, Ok(()));
    let retried = last(&script);
    assert_eq!(retried.retry_count, 1);
    assert_eq!(retried.events, ["2 PERIODIC"]);
    assert_eq!(agent.retry().retry_count(), 0);

    // A Connection Request.
    agent.connection_request().expect("raise");
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script).events, ["6 CONNECTION REQUEST"]);

    // A local vendor event.
    agent
        .local(Local::Event("X ACME TEST".into()))
        .expect("event");
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script).events, ["X ACME TEST"]);
}

#[tokio::test(flavor = "current_thread")]
async fn restart_keeps_the_acs_change_and_boots() {
    let script = Arc::new(Mutex::new(Script::default()));
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let Some(mut agent) = agent(&peer.url("/acs"), dir.path(), &clock) else {
        return;
    };
    script.lock().expect("lock").set = Some((
        "Device.ManagementServer.PeriodicInformInterval".into(),
        Value::UnsignedInt(120),
    ));
    agent.step().await.expect("step").expect("a session");
    drop(agent);

    // "Restart": the persisted tree wins over the config's 3600 s; only 1 BOOT now.
    let mut agent = self::agent(&peer.url("/acs"), dir.path(), &clock).expect("model");
    assert_eq!(agent.scheduler().periodic().interval, 120);
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script).events, ["1 BOOT"]);
    assert_eq!(agent.boots(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn the_loop_answers_a_connection_request_signal() {
    let script = Arc::new(Mutex::new(Script::default()));
    let peer = acs(script.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let Some(mut agent) = agent(&peer.url("/acs"), dir.path(), &clock) else {
        return;
    };
    let (cr_tx, cr_rx) = tokio::sync::mpsc::channel(1);
    let (_control_tx, control_rx) = tokio::sync::mpsc::channel(1);
    let (_local_tx, local_rx) = tokio::sync::mpsc::channel(1);
    let watch = async {
        for _ in 0..500 {
            if count(&script) == 1 {
                cr_tx.send(()).await.expect("send");
            }
            if count(&script) >= 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no Connection Request session");
    };
    tokio::select! {
        r = agent.run(cr_rx, control_rx, local_rx) => panic!("the loop ended: {r:?}"),
        () = watch => {}
    }
    let informs = script.lock().expect("lock").informs.clone();
    assert_eq!(informs[0].events, ["0 BOOTSTRAP", "1 BOOT"]);
    assert_eq!(informs[1].events, ["6 CONNECTION REQUEST"]);
}

#[tokio::test(flavor = "current_thread")]
async fn acs_url_change_reboot_factory_reset_and_schedule_inform() {
    let script = Arc::new(Mutex::new(Script::default()));
    let peer = acs(script.clone()).await;
    let script2 = Arc::new(Mutex::new(Script::default()));
    let peer2 = acs(script2.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let Some(mut agent) = agent(&peer.url("/acs"), dir.path(), &clock) else {
        return;
    };
    script.lock().expect("lock").set = Some((
        "Device.ManagementServer.URL".into(),
        Value::String(peer2.url("/new")),
    ));
    agent.step().await.expect("step").expect("a session");
    // The new ACS is contacted at once with 0 BOOTSTRAP.
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script2).events, ["0 BOOTSTRAP"]);
    assert_eq!(agent.acs_url(), peer2.url("/new"));

    // ScheduleInform: 3 SCHEDULED + M ScheduleInform after the delay.
    script2.lock().expect("lock").send = Some(Body::from(ScheduleInform {
        delay_seconds: 30,
        command_key: "sk".into(),
    }));
    agent.local(Local::Inform).expect("inform");
    agent.step().await.expect("step").expect("a session");
    assert!(agent.step().await.expect("step").is_none());
    clock.advance(Duration::from_secs(30));
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script2).events, ["3 SCHEDULED", "M ScheduleInform"]);

    // Reboot: simulated; the next Inform has 1 BOOT + M Reboot.
    script2.lock().expect("lock").send = Some(Body::from(Reboot {
        command_key: "rk".into(),
    }));
    agent.local(Local::Inform).expect("inform");
    agent.step().await.expect("step").expect("a session");
    assert_eq!(agent.boots(), 2);
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script2).events, ["1 BOOT", "M Reboot"]);

    // FactoryReset: the tree goes back to the profile + config, so the original ACS URL.
    script2.lock().expect("lock").send = Some(Body::from(FactoryReset {}));
    agent.local(Local::Inform).expect("inform");
    agent.step().await.expect("step").expect("a session");
    assert_eq!(agent.acs_url(), peer.url("/acs"));
    agent.step().await.expect("step").expect("a session");
    assert_eq!(last(&script).events, ["0 BOOTSTRAP", "1 BOOT"]);
}
