//! The session transport over TLS against scripted HTTPS ACS peers on 127.0.0.1, with a
//! CA and certificates generated for each test (cwmp-testkit's PKI).
//!
//! Skipped, with a message, when the TR-181 file is absent.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::InformResponse;
use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_cpe::config::TlsConfig;
use cwmp_cpe::transport::{
    AcsConnector, SessionResult, TransportError, TransportOptions, run_session_with,
};
use cwmp_datamodel::Model;
use cwmp_testkit::pki::{Issued, TestCa};
use http_body_util::Full;
use hyper::{Response, StatusCode};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use common::rig::{Rig, model};
use common::{Peer, Req, reply};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one session of a fresh device against `url` through `connector`.
async fn session(
    model: Arc<Model>,
    connector: &AcsConnector,
    url: &str,
) -> (Result<SessionResult, TransportError>, bool) {
    let mut rig = Rig::new(model);
    let (mut session, inform) = rig.start();
    let options = TransportOptions {
        timeout: TIMEOUT,
        ..TransportOptions::default()
    };
    let result = run_session_with(connector, url, None, &mut session, inform, &options).await;
    let failed = session.is_failed();
    (result, failed)
}

/// The ACS: InformResponse, then 204 to the empty POST.
fn script(req: &Req) -> Response<Full<Bytes>> {
    if req.body.is_empty() {
        return reply(StatusCode::NO_CONTENT, Bytes::new());
    }
    let env = Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("1"),
        Body::from(InformResponse { max_envelopes: 1 }),
    );
    reply(StatusCode::OK, Bytes::from(env.to_xml().expect("writes")))
}

/// rustls server settings for `server`, requiring a client certificate of `client_ca` if given.
fn server_tls(server: &Issued, client_ca: Option<&TestCa>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).expect("CA pem"))
                .expect("CA");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = CertificateDer::pem_slice_iter(server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("chain");
    let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).expect("key");
    Arc::new(builder.with_single_cert(chain, key).expect("server config"))
}

/// A connector trusting exactly `ca` (written to `dir`).
fn trusting(ca: &TestCa, dir: &Path) -> (AcsConnector, PathBuf) {
    let ca_file = ca.write(dir, "ca");
    let connector = AcsConnector::new(&TlsConfig {
        ca_file: Some(ca_file.clone()),
        ..TlsConfig::default()
    })
    .expect("connector");
    (connector, ca_file)
}

#[tokio::test]
async fn session_over_tls_with_a_ca_file() {
    let Some(model) = model("session_over_tls_with_a_ca_file") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new("Test ACS CA");
    let acs = Peer::start_tls(
        |req| script(&req),
        server_tls(&ca.server(&["127.0.0.1", "localhost"]), None),
    )
    .await;
    let (connector, _) = trusting(&ca, dir.path());
    let url = acs.url("/acs");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let (result, _) = session(model, &connector, &url).await;
    let result = result.expect("session over TLS succeeds");
    assert_eq!(result.messages, 2);
    assert_eq!(result.connections, 1);
    assert_eq!(result.final_url, url);
    assert_eq!(acs.connections(), 1);
}

#[tokio::test]
async fn untrusted_or_misnamed_server_certificate_fails_clearly() {
    let Some(model) = model("untrusted_or_misnamed_server_certificate_fails_clearly") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ours = TestCa::new("Our CA");
    let (connector, _) = trusting(&ours, dir.path());

    let rogue = TestCa::new("Rogue CA");
    let impostor = Peer::start_tls(
        |req| script(&req),
        server_tls(&rogue.server(&["127.0.0.1"]), None),
    )
    .await;
    let url = impostor.url("/acs");
    let (result, failed) = session(Arc::clone(&model), &connector, &url).await;
    let err = result.expect_err("an untrusted certificate is refused");
    let text = err.to_string();
    assert!(matches!(err, TransportError::Tls { .. }), "{text}");
    assert!(text.contains(&url), "the error names the URL: {text}");
    assert!(text.contains("certificate"), "the error says why: {text}");
    assert!(failed, "the session is failed (events kept for the retry)");

    // Trusted CA, but the certificate is for another host.
    let elsewhere = Peer::start_tls(
        |req| script(&req),
        server_tls(&ours.server(&["acs.example.com"]), None),
    )
    .await;
    let (result, _) = session(model, &connector, &elsewhere.url("/acs")).await;
    let err = result.expect_err("a certificate for another name is refused");
    assert!(matches!(err, TransportError::Tls { .. }), "{err}");
}

#[tokio::test]
async fn client_certificate_is_presented_when_configured() {
    let Some(model) = model("client_certificate_is_presented_when_configured") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new("Test CA");
    let acs = Peer::start_tls(
        |req| script(&req),
        server_tls(&ca.server(&["127.0.0.1"]), Some(&ca)),
    )
    .await;
    let url = acs.url("/acs");

    let (without, ca_file) = trusting(&ca, dir.path());
    let (result, _) = session(Arc::clone(&model), &without, &url).await;
    let err = result.expect_err("no client certificate: refused");
    assert!(matches!(err, TransportError::Tls { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    assert_eq!(
        acs.tls_failures.load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    let (cert, key) = ca.client("cpe-SN0001").write(dir.path(), "client");
    let with = AcsConnector::new(&TlsConfig {
        ca_file: Some(ca_file),
        client_cert: Some(cert),
        client_key: Some(key),
        insecure_skip_verify: false,
    })
    .expect("connector");
    let (result, _) = session(model, &with, &url).await;
    result.expect("the server accepts the client certificate");
}

#[tokio::test]
async fn redirect_from_http_to_https() {
    let Some(model) = model("redirect_from_http_to_https") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ca = TestCa::new("Test CA");
    let secure = Peer::start_tls(
        |req| script(&req),
        server_tls(&ca.server(&["127.0.0.1"]), None),
    )
    .await;
    let location = secure.url("/secure");
    let front = Peer::start(move |_| {
        let mut r = reply(StatusCode::TEMPORARY_REDIRECT, Bytes::new());
        r.headers_mut()
            .insert("location", location.parse().expect("hv"));
        r
    })
    .await;
    let (connector, _) = trusting(&ca, dir.path());
    let (result, _) = session(model, &connector, &front.url("/acs")).await;
    let result = result.expect("redirected session succeeds");
    assert_eq!(result.final_url, secure.url("/secure"));
    assert!(result.final_url.starts_with("https://"));
    assert_eq!(result.connections, 2);
    assert_eq!((front.connections(), secure.connections()), (1, 1));
}

#[tokio::test]
async fn insecure_skip_verify_accepts_an_untrusted_server() {
    let Some(model) = model("insecure_skip_verify_accepts_an_untrusted_server") else {
        return;
    };
    let rogue = TestCa::new("Lab CA");
    let acs = Peer::start_tls(
        |req| script(&req),
        server_tls(&rogue.server(&["lab.invalid"]), None),
    )
    .await;
    let lab = AcsConnector::new(&TlsConfig {
        insecure_skip_verify: true,
        ..TlsConfig::default()
    })
    .expect("connector");
    let (result, _) = session(model, &lab, &acs.url("/acs")).await;
    result.expect("verification skipped");
}
