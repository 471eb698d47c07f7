//! The operator's own requests to the ACS (`cwmp-cpe request …`) through the agent's control
//! API, against a scripted ACS on 127.0.0.1: queued, sent in the session they start, answered,
//! and shown by `show status`.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::rig::{TR181, model};
use common::{Peer, Req, reply};
use cwmp::rpc::{GetRPCMethodsResponse, InformResponse, KickedResponse, RequestDownloadResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::ManualClock;
use cwmp_cpe::agent::Agent;
use cwmp_cpe::config::Config;
use cwmp_cpe::control::{AcsRequest, Reply, Request};
use cwmp_datamodel::MemoryBackend;
use hyper::StatusCode;

const T0: i64 = 1_700_000_000;

/// What the ACS received from the CPE besides Informs, by method name.
type Seen = Arc<Mutex<Vec<String>>>;

fn xml(id: Option<String>, body: impl Into<Body>) -> Bytes {
    let header = Header {
        id,
        ..Header::default()
    };
    let env = Envelope::new(CwmpVersion::V1_2, header, body);
    Bytes::from(env.to_xml().expect("writes"))
}

/// Answers the Inform and each CPE request; 204 to the empty POST.
async fn acs(seen: Seen) -> Peer {
    Peer::start(move |req: Req| {
        if req.body.is_empty() {
            return reply(StatusCode::NO_CONTENT, Bytes::new());
        }
        let env = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default()).expect("parses");
        let id = env.header.id.clone();
        let body: Body = match env.body {
            Body::Inform(_) => InformResponse { max_envelopes: 1 }.into(),
            Body::GetRPCMethods(_) => GetRPCMethodsResponse {
                method_list: vec!["Inform".into(), "Kicked".into(), "RequestDownload".into()],
            }
            .into(),
            Body::Kicked(k) => KickedResponse {
                next_url: format!("{}?done", k.next),
            }
            .into(),
            Body::RequestDownload(_) => RequestDownloadResponse {}.into(),
            other => panic!("unexpected {}", other.name()),
        };
        if !matches!(body, Body::InformResponse(_)) {
            seen.lock().expect("lock").push(body.name().to_owned());
        }
        reply(StatusCode::OK, xml(id, body))
    })
    .await
}

fn agent(url: &str, dir: &Path, clock: &Arc<ManualClock>) -> Option<Agent> {
    let m = model("operator_requests")?;
    let config = Config::parse(&format!(
        "state_dir = \"{}\"\nsession_timeout = 5\n[acs]\nurl = \"{url}\"\n\
         [data_model]\nfile = \"{TR181}\"\n",
        dir.display()
    ))
    .expect("config");
    Some(Agent::open(config, m, Box::new(MemoryBackend::new()), clock.clone()).expect("opens"))
}

fn ask(agent: &mut Agent, ask: AcsRequest) -> Reply {
    agent.answer(Request::AskAcs { ask })
}

#[tokio::test(flavor = "current_thread")]
async fn operator_requests_are_sent_answered_and_shown() {
    let seen = Seen::default();
    let peer = acs(seen.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::at_unix(T0));
    let Some(mut agent) = agent(&peer.url("/acs"), dir.path(), &clock) else {
        return;
    };
    agent.step().await.expect("step").expect("the boot session");
    assert!(agent.step().await.expect("step").is_none(), "idle");
    let status = agent.status();
    assert_eq!(status.acs_methods, None);
    assert!(status.pending_requests.is_empty());

    for request in [
        AcsRequest::GetRpcMethods,
        AcsRequest::Kicked {
            command: "reset".into(),
            referer: "http://portal/".into(),
            arg: "now".into(),
            next: "http://portal/next".into(),
        },
        AcsRequest::Download {
            file_type: "1 Firmware Upgrade Image".into(),
            args: vec![("Version".into(), "2.0".into())],
        },
    ] {
        let r = ask(&mut agent, request);
        assert!(matches!(r, Reply::Done { .. }), "{r:?}");
    }
    // Out of the schema's bounds (Command: 32 characters): refused, nothing queued.
    let refused = ask(
        &mut agent,
        AcsRequest::Kicked {
            command: "c".repeat(33),
            referer: String::new(),
            arg: String::new(),
            next: String::new(),
        },
    );
    assert!(matches!(refused, Reply::Error { .. }), "{refused:?}");
    assert_eq!(
        agent.status().pending_requests,
        ["GetRPCMethods", "Kicked", "RequestDownload"]
    );

    // The requests start a session at once, without waiting for a timer.
    let out = agent.step().await.expect("step").expect("a session");
    assert_eq!(out.result, Ok(()));
    assert_eq!(
        *seen.lock().expect("lock"),
        [
            "GetRPCMethodsResponse",
            "KickedResponse",
            "RequestDownloadResponse"
        ]
    );
    let status = agent.status();
    assert!(status.pending_requests.is_empty(), "{status:?}");
    assert_eq!(
        status.acs_methods.as_deref(),
        Some(
            &[
                "Inform".to_owned(),
                "Kicked".into(),
                "RequestDownload".into()
            ][..]
        )
    );
    assert_eq!(
        status.kicked_next_url.as_deref(),
        Some("http://portal/next?done")
    );
    assert!(agent.step().await.expect("step").is_none(), "idle again");
}
