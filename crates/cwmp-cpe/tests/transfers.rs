//! File transfers end to end: the agent against a scripted ACS and a small file server, both
//! on 127.0.0.1, driven by a manual clock: downloads and their faults, the queue methods,
//! ScheduleDownload windows, uploads, the operator switches, HTTPS.

mod common;
mod transfer_world;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{Peer, reply};
use cwmp::Body;
use cwmp::rpc::{
    CancelTransfer, Download, GetAllQueuedTransfers, GetQueuedTransfers, ScheduleDownload,
    TimeWindowStruct, TransferState, Upload,
};
use cwmp_cpe::config::{Config, TlsConfig};
use cwmp_cpe::transfer::{Fetch, Limits, TransferError, fetch};
use cwmp_cpe::transport::AcsConnector;
use cwmp_testkit::pki::TestCa;
use hyper::{Method, StatusCode};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use transfer_world::{FIRMWARE, World, by_key, download, fault_code, session};

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
