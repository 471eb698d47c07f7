//! The real `cwmp-cpe` binary against a scripted ACS on 127.0.0.1 sending what it cannot
//! parse: an unknown method is answered with fault 9000 and an unknown mandatory SOAP header
//! with a SOAP `MustUnderstand` fault, each carrying the request's `cwmp:ID`, and the session
//! goes on to a normal end (one Inform, no retry). Every wait is bounded.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::process::{Daemon, wait_for};
use common::rig::TR181;
use common::{Peer, Req, reply};
use cwmp::rpc::{GetParameterValues, InformResponse};
use cwmp::{Body, CwmpVersion, Envelope, FaultCode, FaultKind, Header};
use cwmp_testkit::process::free_port;
use hyper::StatusCode;

/// What the ACS received, in order: the method name (or `empty`) and the `cwmp:ID`.
type Seen = Arc<Mutex<Vec<Envelope>>>;

const BOGUS: &str = r#"<?xml version="1.0"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">
<soap-env:Header><cwmp:ID soap-env:mustUnderstand="1">bogus-1</cwmp:ID></soap-env:Header>
<soap-env:Body><cwmp:X_TEST_Bogus><Argument>1</Argument></cwmp:X_TEST_Bogus></soap-env:Body>
</soap-env:Envelope>"#;

const MANDATORY_HEADER: &str = r#"<?xml version="1.0"?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:x="urn:example:trace">
<soap-env:Header><x:Trace soap-env:mustUnderstand="1">on</x:Trace><cwmp:ID soap-env:mustUnderstand="1">mu-2</cwmp:ID></soap-env:Header>
<soap-env:Body><cwmp:GetParameterValues><ParameterNames soap-enc:arrayType="xsd:string[1]" xmlns:soap-enc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><string>Device.ManagementServer.URL</string></ParameterNames></cwmp:GetParameterValues></soap-env:Body>
</soap-env:Envelope>"#;

fn xml(id: &str, body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

/// Inform → InformResponse; empty POST → X_TEST_Bogus; its answer → a GetParameterValues
/// with an unknown mandatory header; its answer → a plain GetParameterValues; its answer →
/// 204, the end.
async fn acs(seen: Seen) -> Peer {
    Peer::start(move |req: Req| {
        let mut seen = seen.lock().expect("lock");
        if req.body.is_empty() {
            return reply(StatusCode::OK, Bytes::from_static(BOGUS.as_bytes()));
        }
        let env = Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default())
            .expect("the CPE's message parses");
        seen.push(env.clone());
        match env.header.id.as_deref() {
            _ if matches!(env.body, Body::Inform(_)) => reply(
                StatusCode::OK,
                xml("1", InformResponse { max_envelopes: 1 }),
            ),
            Some("bogus-1") => reply(
                StatusCode::OK,
                Bytes::from_static(MANDATORY_HEADER.as_bytes()),
            ),
            Some("mu-2") => reply(
                StatusCode::OK,
                xml(
                    "gpv-3",
                    GetParameterValues {
                        parameter_names: vec!["Device.ManagementServer.URL".into()],
                    },
                ),
            ),
            _ => reply(StatusCode::NO_CONTENT, Bytes::new()),
        }
    })
    .await
}

fn write_config(dir: &Path, acs_url: &str) -> std::path::PathBuf {
    let path = dir.join("cpe.toml");
    let text = format!(
        r#"state_dir = "{state}"
session_timeout = 5

[acs]
url = "{acs_url}"

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_method_and_mandatory_header_are_answered_and_the_session_goes_on() {
    if !Path::new(TR181).is_file() {
        eprintln!("SKIPPED: {TR181} not found");
        return;
    }
    let seen = Seen::default();
    let peer = acs(seen.clone()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &peer.url("/acs"));
    let daemon = Daemon::start(dir.path(), &config).await;

    let messages = wait_for("the GetParameterValuesResponse of gpv-3", || {
        let s = seen.lock().expect("lock");
        s.iter()
            .any(|e| e.header.id.as_deref() == Some("gpv-3"))
            .then(|| s.clone())
    })
    .await;
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(matches!(messages[0].body, Body::Inform(_)));

    let Body::Fault(f) = &messages[1].body else {
        panic!("fault 9000 expected: {:?}", messages[1]);
    };
    assert_eq!(messages[1].header.id.as_deref(), Some("bogus-1"));
    assert_eq!(f.code(), Some(FaultCode::METHOD_NOT_SUPPORTED));
    assert_eq!(f.kind, FaultKind::Server);

    let Body::Fault(f) = &messages[2].body else {
        panic!("MustUnderstand expected: {:?}", messages[2]);
    };
    assert_eq!(messages[2].header.id.as_deref(), Some("mu-2"));
    assert_eq!(f.kind, FaultKind::MustUnderstand);
    assert!(f.detail.is_none(), "no CWMP detail: {f:?}");
    assert!(f.fault_string.contains("Trace"), "{}", f.fault_string);

    assert!(
        matches!(messages[3].body, Body::GetParameterValuesResponse(_)),
        "{:?}",
        messages[3]
    );
    // The session ended normally: the log says so, and no second Inform (a retry) came.
    wait_for("the session's end in the log", || {
        daemon.log().contains("session done").then_some(())
    })
    .await;
    let informs = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|e| matches!(e.body, Body::Inform(_)))
        .count();
    assert_eq!(informs, 1, "{}", daemon.log());
}
