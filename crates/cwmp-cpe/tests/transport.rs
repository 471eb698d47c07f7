//! The session transport against scripted ACS peers on 127.0.0.1.
//!
//! Skipped, with a message, when the TR-181 file is absent.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::{GetParameterValues, InformResponse};
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::conn_request::{Algorithm, DigestAuth, DigestConfig};
use cwmp_cpe::transport::{Credentials, TransportError, run_session};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use rand::SeedableRng as _;
use rand::rngs::StdRng;

use common::rig::rig;
use common::{Peer, Req, reply};

fn xml(id: &str, body: impl Into<Body>) -> Bytes {
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), body);
    Bytes::from(env.to_xml().expect("writes"))
}

fn parse(req: &Req) -> Option<Envelope> {
    if req.body.is_empty() {
        None
    } else {
        Some(
            Envelope::parse_bytes(&req.body, None, &cwmp::Limits::default())
                .expect("CPE XML parses"),
        )
    }
}

/// The usual ACS: InformResponse, one GetParameterValues, then 204.
fn script(req: &Req) -> Response<Full<Bytes>> {
    match parse(req).map(|e| e.body) {
        Some(Body::Inform(_)) => reply(
            StatusCode::OK,
            xml("1", InformResponse { max_envelopes: 1 }),
        ),
        None => reply(
            StatusCode::OK,
            xml(
                "acs-7",
                GetParameterValues {
                    parameter_names: vec!["Device.ManagementServer.PeriodicInformEnable".into()],
                },
            ),
        ),
        Some(_) => reply(StatusCode::NO_CONTENT, Bytes::new()),
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn full_session_one_connection_with_cookies() {
    let Some(mut rig) = rig("full_session_one_connection_with_cookies") else {
        return;
    };
    let seen: Arc<Mutex<Vec<Req>>> = Arc::default();
    let log = seen.clone();
    let acs = Peer::start(move |req| {
        log.lock().expect("lock").push(req.clone());
        let mut r = script(&req);
        if parse(&req).is_some_and(|e| matches!(e.body, Body::Inform(_))) {
            r.headers_mut().append(
                "set-cookie",
                "sid=42; Path=/acs; HttpOnly".parse().expect("hv"),
            );
        }
        r
    })
    .await;
    let (mut session, inform) = rig.start();
    let result = run_session(&acs.url("/acs"), None, &mut session, inform, TIMEOUT)
        .await
        .expect("session succeeds");
    assert!(session.is_done());
    assert_eq!(result.connections, 1);
    assert_eq!(result.messages, 3);
    drop(session);
    assert_eq!(acs.connections(), 1, "one TCP connection for the session");
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].header("cookie"), None);
    assert_eq!(
        seen[0].header("content-type"),
        Some("text/xml; charset=\"utf-8\"")
    );
    assert!(seen[0].headers.contains_key("soapaction"));
    assert_eq!(seen[1].header("content-length"), Some("0"));
    assert!(!seen[1].headers.contains_key("soapaction"));
    for r in &seen[1..] {
        assert_eq!(r.header("cookie"), Some("sid=42"));
        assert_eq!(r.path, "/acs");
    }
    let answer = parse(&seen[2]).expect("an answer");
    assert_eq!(answer.header.id.as_deref(), Some("acs-7"));
    assert!(matches!(
        answer.body,
        Body::GetParameterValuesResponse(_) | Body::Fault(_)
    ));
}

/// An ACS that authenticates every request with our own server-side verifier.
async fn auth_acs(config: DigestConfig, hits: Arc<Mutex<Vec<u16>>>) -> Peer {
    let auth = Mutex::new(DigestAuth::new(config, StdRng::seed_from_u64(7)));
    Peer::start(move |req| {
        let mut auth = auth.lock().expect("lock");
        let status = match auth.verify(
            Duration::ZERO,
            "POST",
            &req.path,
            req.header("authorization"),
        ) {
            Ok(()) => None,
            Err(e) => Some(auth.challenge(Duration::ZERO, e.is_stale())),
        };
        let r = match status {
            Some(challenges) => {
                let mut r = reply(StatusCode::UNAUTHORIZED, Bytes::new());
                for c in challenges {
                    r.headers_mut()
                        .append("www-authenticate", c.parse().expect("hv"));
                }
                r
            }
            None => script(&req),
        };
        hits.lock().expect("lock").push(r.status().as_u16());
        r
    })
    .await
}

#[tokio::test]
async fn digest_401_then_success() {
    for algorithms in [
        vec![Algorithm::Md5],
        vec![Algorithm::Md5, Algorithm::Sha256],
    ] {
        let Some(mut rig) = rig("digest_401_then_success") else {
            return;
        };
        let hits: Arc<Mutex<Vec<u16>>> = Arc::default();
        let config = DigestConfig {
            username: "cpe".into(),
            password: "pw".into(),
            algorithms,
            ..DigestConfig::default()
        };
        let acs = auth_acs(config, hits.clone()).await;
        let creds = Credentials::new("cpe", "pw");
        let (mut session, inform) = rig.start();
        let result = run_session(
            &acs.url("/acs"),
            Some(&creds),
            &mut session,
            inform,
            TIMEOUT,
        )
        .await
        .expect("session succeeds");
        assert!(session.is_done());
        assert_eq!(result.connections, 1);
        assert_eq!(*hits.lock().expect("lock"), vec![401, 200, 200, 204]);

        // Wrong password: fails, and the session is failed.
        let (mut session, inform) = rig.start();
        let wrong = Credentials::new("cpe", "nope");
        let err = run_session(
            &acs.url("/acs"),
            Some(&wrong),
            &mut session,
            inform,
            TIMEOUT,
        )
        .await
        .expect_err("refused");
        assert!(matches!(err, TransportError::Auth(_)), "{err}");
        assert!(session.is_failed());
    }
}

#[tokio::test]
async fn basic_auth() {
    let Some(mut rig) = rig("basic_auth") else {
        return;
    };
    let hits: Arc<Mutex<Vec<u16>>> = Arc::default();
    let config = DigestConfig {
        username: "cpe".into(),
        password: "pw".into(),
        allow_basic: true,
        algorithms: vec![],
        ..DigestConfig::default()
    };
    let acs = auth_acs(config, hits.clone()).await;
    let creds = Credentials::new("cpe", "pw");
    let (mut session, inform) = rig.start();
    run_session(
        &acs.url("/acs"),
        Some(&creds),
        &mut session,
        inform,
        TIMEOUT,
    )
    .await
    .expect("session succeeds");
    assert_eq!(*hits.lock().expect("lock"), vec![401, 200, 200, 204]);
}

#[tokio::test]
async fn follows_a_redirect_to_another_acs() {
    let Some(mut rig) = rig("follows_a_redirect_to_another_acs") else {
        return;
    };
    let real = Peer::start(|req| script(&req)).await;
    let location = real.url("/real");
    let front = Peer::start(move |_| {
        let mut r = reply(StatusCode::TEMPORARY_REDIRECT, Bytes::new());
        r.headers_mut()
            .insert("location", location.parse().expect("hv"));
        r
    })
    .await;
    let (mut session, inform) = rig.start();
    let result = run_session(&front.url("/acs"), None, &mut session, inform, TIMEOUT)
        .await
        .expect("session succeeds");
    assert!(session.is_done());
    assert_eq!(result.final_url, real.url("/real"));
    assert_eq!(result.connections, 2);
    assert_eq!((front.connections(), real.connections()), (1, 1));

    // A redirect loop stops after 5.
    let (mut session, inform) = rig.start();
    let lp = Peer::start(|_| {
        let mut r = reply(StatusCode::FOUND, Bytes::new());
        r.headers_mut()
            .insert("location", "/again".parse().expect("hv"));
        r
    })
    .await;
    let err = run_session(&lp.url("/acs"), None, &mut session, inform, TIMEOUT)
        .await
        .expect_err("too many redirects");
    assert!(matches!(err, TransportError::Redirects), "{err}");
}

#[tokio::test]
async fn session_timeout_against_a_silent_acs() {
    let Some(mut rig) = rig("session_timeout_against_a_silent_acs") else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/acs", listener.local_addr().expect("addr"));
    let hold = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(stream);
    });
    let (mut session, inform) = rig.start();
    let started = std::time::Instant::now();
    let err = run_session(&url, None, &mut session, inform, Duration::from_millis(300))
        .await
        .expect_err("times out");
    assert!(matches!(err, TransportError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(session.is_failed());
    hold.abort();
}
