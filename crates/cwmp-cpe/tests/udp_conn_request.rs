//! TR-111 Part 2 over real sockets on 127.0.0.1: a tiny STUN server (with a 401 challenge), the
//! UDP Connection Request socket, the agent and a scripted ACS.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use common::{Peer, Req, reply};
use cwmp::rpc::InformResponse;
use cwmp::udp_conn_request::UdpRequest;
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::agent::{Agent, Local};
use cwmp_cpe::config::Config;
use cwmp_cpe::conn_request::udp_service::spawn_udp;
use cwmp_cpe::conn_request::{
    RateLimiter, StunSettings, UdpConnRequestServer, UdpServerConfig, UdpServerParts, UdpValidator,
};
use cwmp_cpe::stun::{Message, binding_error, binding_response};
use cwmp_cpe::{Clock, ManualClock};
use cwmp_datamodel::schema::LoadOptions;
use cwmp_datamodel::{MemoryBackend, Model, ModelOptions, Profile, Schema};
use hyper::StatusCode;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);
const T0: i64 = 1_700_000_000;
/// Failure guard only: every wait below normally ends in milliseconds.
const GUARD: Duration = Duration::from_secs(10);
const MS: &str = "Device.ManagementServer.";

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

/// One Inform: its event codes and parameters (name, value).
type Seen = (Vec<String>, Vec<(String, String)>);

async fn acs(informs: Arc<Mutex<Vec<Seen>>>) -> Peer {
    Peer::start(move |req: Req| {
        if req.body.is_empty() {
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let env = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()).expect("parses");
        match env.body {
            Body::Inform(i) => {
                informs.lock().expect("lock").push((
                    i.event.iter().map(|e| e.event_code.to_string()).collect(),
                    i.parameter_list
                        .iter()
                        .map(|p| (p.name.clone(), p.value.as_text().into_owned()))
                        .collect(),
                ));
                let env = Envelope::new(
                    CwmpVersion::V1_2,
                    Header::with_id("1"),
                    InformResponse { max_envelopes: 1 },
                );
                reply(StatusCode::OK, Bytes::from(env.to_xml().expect("writes")))
            }
            _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

/// What the STUN server saw in one Binding Request.
#[derive(Debug, Clone, PartialEq)]
struct StunSeen {
    cr_binding: bool,
    binding_change: bool,
    username: Option<String>,
    integrity_ok: bool,
}

/// Answers Binding Requests with `mapped`; without valid MESSAGE-INTEGRITY under `password`
/// it answers 401.
async fn stun_server(
    mapped: Arc<Mutex<SocketAddr>>,
    password: &'static str,
) -> (
    SocketAddr,
    Arc<Mutex<Vec<StunSeen>>>,
    tokio::task::JoinHandle<()>,
) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Ok(m) = Message::parse(&buf[..n]) else {
                continue;
            };
            let s = StunSeen {
                cr_binding: m.is_cr_binding_request(),
                binding_change: m.has_binding_change(),
                username: m
                    .username()
                    .map(|u| String::from_utf8_lossy(u).into_owned()),
                integrity_ok: m.integrity_valid(password),
            };
            let answer = if s.integrity_ok {
                binding_response(&m.id, *mapped.lock().expect("lock"))
            } else {
                binding_error(&m.id, 401, "Unauthorized")
            };
            log.lock().expect("lock").push(s);
            let _ = socket.send_to(&answer, from).await;
        }
    });
    (addr, seen, task)
}

fn config(url: &str, dir: &Path) -> Config {
    Config::parse(&format!(
        r#"
state_dir = "{}"
session_timeout = 5
[acs]
url = "{url}"
[cpe]
username = "cpe-user"
password = "cr-secret"
[data_model]
file = "{TR181}"
"#,
        dir.display()
    ))
    .expect("config")
}

fn datagram(ts: i64, id: &str, password: &str) -> Vec<u8> {
    UdpRequest::signed(ts as u64, id, "cpe-user", "cnonce", password)
        .to_datagram("127.0.0.1:7547")
        .expect("fits")
}

async fn recv<T>(rx: &mut mpsc::Receiver<T>) -> T {
    tokio::time::timeout(GUARD, rx.recv())
        .await
        .expect("in time")
        .expect("open")
}

#[tokio::test(flavor = "current_thread")]
async fn stun_binding_udp_request_and_binding_change() {
    let Some(model) = model() else {
        eprintln!("SKIPPED: {TR181} not found");
        return;
    };
    let informs = Arc::new(Mutex::new(Vec::new()));
    let peer = acs(informs.clone()).await;
    let public: SocketAddr = "203.0.113.9:40000".parse().expect("addr");
    let mapped = Arc::new(Mutex::new(public));
    let (stun_addr, stun_seen, stun_task) = stun_server(mapped.clone(), "stun-secret").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let mut agent = Agent::open(
        config(&peer.url("/acs"), dir.path()),
        model,
        Box::new(MemoryBackend::new()),
        clock.clone(),
    )
    .expect("agent opens");
    for (name, value) in [
        ("STUNEnable", "true".to_owned()),
        ("STUNServerAddress", "127.0.0.1".to_owned()),
        ("STUNServerPort", stun_addr.port().to_string()),
        ("STUNUsername", "stun-user".to_owned()),
        ("STUNPassword", "stun-secret".to_owned()),
    ] {
        agent
            .local(Local::Set {
                path: format!("{MS}{name}"),
                value,
            })
            .expect("set");
    }
    let out = agent.step().await.expect("step").expect("boot session");
    assert_eq!(out.result, Ok(()));

    let mut stun = StunSettings::from_tree(agent.tree(), "Device.").expect("STUN enabled");
    assert_eq!(stun.port, stun_addr.port());
    stun.keepalive = Duration::from_millis(100);
    stun.retransmit = Duration::from_millis(200);
    let (cr_tx, mut cr_rx) = mpsc::channel(16);
    let (local_tx, mut local_rx) = mpsc::channel(8);
    let server = UdpConnRequestServer::bind(
        UdpServerConfig {
            addr: "127.0.0.1:0".parse().expect("addr"),
            stun: Some(stun),
        },
        UdpServerParts {
            validator: UdpValidator::new("cpe-user", "cr-secret", 60),
            limiter: RateLimiter::new(2, Duration::from_secs(3600), clock.monotonic()),
            clock: clock.clone(),
            signal: cr_tx,
            publish: local_tx,
        },
    )
    .await
    .expect("binds");

    // Discovery: 401 first, then the request with USERNAME and MESSAGE-INTEGRITY succeeds.
    let change = recv(&mut local_rx).await;
    assert_eq!(
        change,
        Local::UdpConnectionRequestAddress {
            address: public.to_string(),
            nat_detected: true,
        }
    );
    {
        let seen = stun_seen.lock().expect("lock");
        assert!(seen.len() >= 2, "{seen:?}");
        assert!(seen.iter().all(|s| s.cr_binding));
        assert_eq!(seen[0].username, None);
        assert_eq!(seen[1].username.as_deref(), Some("stun-user"));
        assert!(seen[1].integrity_ok);
    }

    // The agent publishes it and opens a 4 VALUE CHANGE session carrying the new address.
    agent.local(change).expect("published");
    let udp_path = format!("{MS}UDPConnectionRequestAddress");
    let text = |agent: &Agent, p: &str| {
        agent
            .tree()
            .stored_value(p)
            .map(|v| v.as_text().into_owned())
    };
    assert_eq!(text(&agent, &udp_path), Some(public.to_string()));
    assert_eq!(
        text(&agent, &format!("{MS}NATDetected")).as_deref(),
        Some("true")
    );
    agent
        .step()
        .await
        .expect("step")
        .expect("value change session");
    let (events, params) = informs
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("Inform");
    assert_eq!(events, ["4 VALUE CHANGE"]);
    assert!(
        params.contains(&(udp_path.clone(), public.to_string())),
        "{params:?}"
    );

    // A signed request triggers a 6 CONNECTION REQUEST session.
    let client = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let to = server.local_addr();
    client
        .send_to(&datagram(T0, "1", "cr-secret"), to)
        .await
        .expect("send");
    recv(&mut cr_rx).await;
    agent.connection_request().expect("raise");
    agent.step().await.expect("step").expect("CR session");
    let (events, _) = informs
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("Inform");
    assert_eq!(events, ["6 CONNECTION REQUEST"]);

    // A bad signature, a replayed id and a stale timestamp are dropped: the next valid one is
    // the only signal (the socket handles datagrams in order).
    for bad in [
        datagram(T0, "2", "wrong-password"),
        datagram(T0, "1", "cr-secret"),
        datagram(T0 - 3600, "3", "cr-secret"),
        b"GET http://x?ts=1 HTTP/1.1\r\n\r\n".to_vec(),
        vec![0xff; 40],
    ] {
        client.send_to(&bad, to).await.expect("send");
    }
    client
        .send_to(&datagram(T0, "4", "cr-secret"), to)
        .await
        .expect("send");
    recv(&mut cr_rx).await;
    assert!(
        cr_rx.try_recv().is_err(),
        "only the valid request signalled"
    );

    // The rate limit (2 per hour here) drops the next one until the bucket refills.
    client
        .send_to(&datagram(T0, "5", "cr-secret"), to)
        .await
        .expect("send");
    clock.advance(Duration::from_secs(3600));
    client
        .send_to(&datagram(T0 + 3600, "6", "cr-secret"), to)
        .await
        .expect("send");
    recv(&mut cr_rx).await;
    assert!(
        cr_rx.try_recv().is_err(),
        "the rate-limited request did not signal"
    );

    // The NAT binding moves: the next keep-alive learns it, publishes it and tells the server
    // with BINDING-CHANGE.
    let moved: SocketAddr = "203.0.113.9:40002".parse().expect("addr");
    *mapped.lock().expect("lock") = moved;
    let change = recv(&mut local_rx).await;
    assert_eq!(
        change,
        Local::UdpConnectionRequestAddress {
            address: moved.to_string(),
            nat_detected: true,
        }
    );
    let deadline = tokio::time::Instant::now() + GUARD;
    while !stun_seen
        .lock()
        .expect("lock")
        .iter()
        .any(|s| s.binding_change)
    {
        assert!(tokio::time::Instant::now() < deadline, "no BINDING-CHANGE");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    agent.local(change).expect("published");
    agent
        .step()
        .await
        .expect("step")
        .expect("value change session");
    let (events, params) = informs
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("Inform");
    assert_eq!(events, ["4 VALUE CHANGE"]);
    assert!(
        params.contains(&(udp_path, moved.to_string())),
        "{params:?}"
    );
    stun_task.abort();
}

/// Sets `ManagementServer.<name>` as the ACS or the operator CLI would.
fn set_ms(agent: &mut Agent, name: &str, value: &str) {
    agent
        .local(Local::Set {
            path: format!("{MS}{name}"),
            value: value.to_owned(),
        })
        .expect("set");
}

#[tokio::test(flavor = "current_thread")]
async fn stun_settings_apply_without_restart() {
    let Some(model) = model() else {
        eprintln!("SKIPPED: {TR181} not found");
        return;
    };
    let mapped_a: SocketAddr = "203.0.113.9:40000".parse().expect("addr");
    let mapped_b: SocketAddr = "203.0.113.10:50000".parse().expect("addr");
    let (a, a_seen, a_task) = stun_server(Arc::new(Mutex::new(mapped_a)), "stun-secret").await;
    let (b, b_seen, b_task) = stun_server(Arc::new(Mutex::new(mapped_b)), "stun-secret").await;
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::parse(&format!(
        "state_dir = \"{}\"\n[acs]\nurl = \"http://127.0.0.1:9/acs\"\n\
         [cpe]\nlisten = \"127.0.0.1\"\nport = {port}\nusername = \"cpe-user\"\n\
         password = \"cr-secret\"\n[data_model]\nfile = \"{TR181}\"\n",
        dir.path().display()
    ))
    .expect("config");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let mut agent = Agent::open(config, model, Box::new(MemoryBackend::new()), clock.clone())
        .expect("agent opens");
    let (cr_tx, mut cr_rx) = mpsc::channel(4);
    let (local_tx, mut local_rx) = mpsc::channel(8);
    let udp = spawn_udp(agent.config(), agent.tree(), clock.clone(), cr_tx, local_tx)
        .await
        .expect("spawns");
    assert_eq!(
        udp.local_addr(),
        None,
        "no STUN, no udp_port: not bound yet"
    );
    let stun = udp.handle();
    agent.attach_udp(stun.clone());
    assert_eq!(stun.stun(), None);

    // The ACS enables STUN: the socket is bound and discovers its binding at server A.
    set_ms(&mut agent, "STUNServerAddress", "127.0.0.1");
    set_ms(&mut agent, "STUNServerPort", &a.port().to_string());
    set_ms(&mut agent, "STUNUsername", "stun-user");
    set_ms(&mut agent, "STUNPassword", "stun-secret");
    set_ms(&mut agent, "STUNEnable", "true");
    assert_eq!(stun.stun().map(|s| s.port), Some(a.port()));
    let published = |address: SocketAddr, nat_detected| Local::UdpConnectionRequestAddress {
        address: address.to_string(),
        nat_detected,
    };
    assert_eq!(recv(&mut local_rx).await, published(mapped_a, true));
    assert!(b_seen.lock().expect("lock").is_empty());

    // New Connection Request credentials: a request signed with them gets in, one signed with
    // the old password no longer does.
    let socket: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    set_ms(&mut agent, "ConnectionRequestPassword", "cr-new");
    let client = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let send = |id: &'static str, password: &'static str| {
        let client = &client;
        async move {
            client
                .send_to(&datagram(T0, id, password), socket)
                .await
                .expect("send");
        }
    };
    send("1", "cr-new").await;
    recv(&mut cr_rx).await;
    send("2", "cr-secret").await;
    let old = tokio::time::timeout(Duration::from_millis(300), cr_rx.recv()).await;
    assert!(old.is_err(), "the old password still signs a valid request");

    // A new server port: discovery starts over at server B, whose mapping is published.
    set_ms(&mut agent, "STUNServerPort", &b.port().to_string());
    assert_eq!(recv(&mut local_rx).await, published(mapped_b, true));
    assert!(
        b_seen
            .lock()
            .expect("lock")
            .iter()
            .any(|s| s.integrity_ok && s.username.as_deref() == Some("stun-user"))
    );

    // Keep-alive bounds follow the data model (an unset maximum, 0, is no maximum).
    assert_eq!(
        stun.stun().map(|s| s.keepalive),
        Some(Duration::from_secs(30))
    );
    set_ms(&mut agent, "STUNMinimumKeepAlivePeriod", "120");
    assert_eq!(
        stun.stun().map(|s| s.keepalive),
        Some(Duration::from_secs(120))
    );

    // STUN disabled: the socket's own address is the Connection Request address again.
    let a_count = a_seen.lock().expect("lock").len();
    set_ms(&mut agent, "STUNEnable", "false");
    assert_eq!(stun.stun(), None);
    assert_eq!(recv(&mut local_rx).await, published(socket, false));
    assert_eq!(
        a_seen.lock().expect("lock").len(),
        a_count,
        "A not asked again"
    );
    a_task.abort();
    b_task.abort();
}
