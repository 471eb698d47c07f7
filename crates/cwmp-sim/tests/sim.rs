//! End-to-end runs of the simulator against a scripted ACS on 127.0.0.1.

mod common;

use std::time::Duration;

use common::{Script, ScriptedAcs, TEST_TIMEOUT, connection_request, wait_for};
use cwmp::rpc::{Download, GetParameterValues, ParameterValueStruct, Reboot, SetParameterValues};
use cwmp::{Body, Value};
use cwmp_sim::faults::{FaultKind, FaultShares};
use cwmp_sim::load::Pacing;
use cwmp_sim::model::{FleetModel, ModelSettings, ModelSource};
use cwmp_sim::run::{SimConfig, SimError, Simulator};
use cwmp_sim::target::TargetError;

fn gpv() -> Body {
    GetParameterValues {
        parameter_names: vec!["Device.DeviceInfo.SoftwareVersion".into()],
    }
    .into()
}

fn set_interval(seconds: u32) -> Body {
    SetParameterValues {
        parameter_list: vec![ParameterValueStruct {
            name: "Device.ManagementServer.PeriodicInformInterval".into(),
            value: Value::UnsignedInt(seconds),
        }],
        parameter_key: "k1".into(),
    }
    .into()
}

fn config(acs: &ScriptedAcs, devices: u32) -> Option<SimConfig> {
    let mut c = SimConfig::new(acs.url(), devices);
    c.threads = 2;
    c.seed = Some(1);
    c.jitter = 0.0;
    c.session_timeout = Duration::from_secs(10);
    Some(c)
}

#[tokio::test]
async fn devices_bootstrap_then_inform_periodically_and_the_counts_match_the_acs() {
    let acs = ScriptedAcs::start(Script {
        bootstrap: vec![set_interval(1), gpv()],
        other: vec![gpv()],
    })
    .await;
    let Some(mut c) = config(&acs, 4) else { return };
    c.duration = Some(Duration::from_millis(3500));
    let sim = Simulator::prepare(c).await.unwrap();
    let report = tokio::time::timeout(TEST_TIMEOUT, sim.run())
        .await
        .unwrap()
        .unwrap();
    let seen = acs.seen();
    assert_eq!(report.sessions_failed, 0, "{report:?}");
    assert_eq!(report.sessions_ok, seen.completed);
    assert_eq!(report.sessions_started, seen.informs);
    assert_eq!(report.events.get("0 BOOTSTRAP"), Some(&4));
    assert_eq!(seen.events.get("0 BOOTSTRAP"), Some(&4));
    assert_eq!(seen.events.get("1 BOOT"), Some(&4));
    assert_eq!(
        report.events.get("2 PERIODIC"),
        seen.events.get("2 PERIODIC")
    );
    // Interval 1 s for about 3 s: two or three periodic sessions per device.
    let periodic = seen.events.get("2 PERIODIC").copied().unwrap_or(0);
    assert!((8..=16).contains(&periodic), "{periodic} periodic Informs");
    for (serial, informs) in &seen.by_serial {
        assert_eq!(informs[0], ["0 BOOTSTRAP", "1 BOOT"], "{serial}");
        assert!(
            informs[1..].iter().all(|e| e == &["2 PERIODIC"]),
            "{serial}"
        );
    }
    assert_eq!(
        report.rpcs.get("GetParameterValues"),
        seen.requests.get("GetParameterValues")
    );
    assert_eq!(report.rpcs.get("SetParameterValues"), Some(&4));
    assert_eq!(
        report.http_requests,
        seen.informs + seen.requests.values().sum::<u64>() + seen.completed
    );
    assert!(report.latency_ms.max >= report.latency_ms.p50 && report.latency_ms.p50 > 0.0);
    assert!(report.rss_bytes > 0);
}

#[tokio::test]
async fn known_devices_start_with_a_periodic_inform() {
    let acs = ScriptedAcs::start(Script {
        bootstrap: Vec::new(),
        other: Vec::new(),
    })
    .await;
    let Some(mut c) = config(&acs, 3) else { return };
    c.known = true;
    c.pacing = Pacing::FlatOut;
    c.concurrency = 2;
    c.duration = None;
    c.max_sessions = Some(6);
    let sim = Simulator::prepare(c).await.unwrap();
    let report = tokio::time::timeout(TEST_TIMEOUT, sim.run())
        .await
        .unwrap()
        .unwrap();
    let seen = acs.seen();
    assert_eq!(report.sessions_ok, 6, "{report:?}");
    assert_eq!(seen.events.get("2 PERIODIC"), Some(&6));
    assert_eq!(seen.events.get("0 BOOTSTRAP"), None);
    assert_eq!(seen.events.get("1 BOOT"), None);
}

#[tokio::test]
async fn a_reboot_is_followed_by_a_boot_inform() {
    let acs = ScriptedAcs::start(Script {
        bootstrap: vec![
            Reboot {
                command_key: "rb1".into(),
            }
            .into(),
        ],
        other: Vec::new(),
    })
    .await;
    let Some(mut c) = config(&acs, 1) else { return };
    c.reboot_delay = Duration::from_millis(100);
    c.duration = None;
    c.max_sessions = Some(2);
    let report = tokio::time::timeout(TEST_TIMEOUT, Simulator::prepare(c).await.unwrap().run())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.sessions_ok, 2);
    let seen = acs.seen();
    let informs = &seen.by_serial["SIM00000001"];
    assert_eq!(informs[1], ["1 BOOT", "M Reboot"]);
}

#[tokio::test]
async fn each_fault_kind_is_produced_and_counted() {
    for kind in FaultKind::ALL {
        let acs = ScriptedAcs::start(Script {
            bootstrap: vec![gpv()],
            other: vec![gpv()],
        })
        .await;
        let Some(mut c) = config(&acs, 2) else { return };
        let mut faults: FaultShares = format!("{}=1", kind.name()).parse().unwrap();
        faults.slow_delay = Duration::from_millis(50);
        c.faults = faults;
        c.pacing = Pacing::FlatOut;
        c.concurrency = 2;
        c.duration = None;
        c.max_sessions = Some(4);
        let report = tokio::time::timeout(TEST_TIMEOUT, Simulator::prepare(c).await.unwrap().run())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.sessions_started, 4, "{kind}");
        assert_eq!(
            report.faults_injected.get(kind.name()),
            Some(&4),
            "{kind}: {report:?}"
        );
        let seen = acs.seen();
        match kind {
            FaultKind::Drop => {
                // The ACS notices the closed connections on its own time.
                wait_for(&acs, "4 cut sessions", |s| s.incomplete == 4).await;
                assert_eq!(report.failed_by_reason.get("dropped"), Some(&4));
            }
            FaultKind::Slow => {
                assert_eq!(report.sessions_ok, 4);
                assert!(report.latency_ms.p50 >= 100.0, "{report:?}");
            }
            FaultKind::Malformed => {
                assert_eq!(seen.malformed, 4);
                assert_eq!(report.failed_by_reason.get("http_400"), Some(&4));
            }
            FaultKind::WrongId => assert_eq!(seen.wrong_ids, 4),
            FaultKind::CpeFault => assert_eq!(seen.cpe_faults, 4),
            FaultKind::DuplicateInform => {
                assert_eq!(seen.duplicate_informs, 4);
                assert_eq!(seen.informs, 8);
            }
        }
    }
}

#[tokio::test]
async fn a_connection_request_starts_a_session_for_that_device_only() {
    let acs = ScriptedAcs::start(Script::default()).await;
    let Some(mut c) = config(&acs, 3) else { return };
    c.duration = Some(TEST_TIMEOUT);
    let sim = Simulator::prepare(c).await.unwrap();
    let base = sim.cr_url_base().unwrap();
    let stopper = sim.stopper();
    let run = tokio::spawn(sim.run());
    wait_for(&acs, "three bootstraps", |s| s.completed == 3).await;
    let url = format!("{base}SIM00000002");
    assert_eq!(connection_request(&url, "sim", "wrong").await, 401);
    assert_eq!(connection_request(&url, "sim", "sim").await, 200);
    assert_eq!(
        connection_request(&format!("{base}SIM00000009"), "sim", "sim").await,
        404
    );
    wait_for(&acs, "the CR session", |s| s.completed == 4).await;
    stopper.stop();
    let report = tokio::time::timeout(TEST_TIMEOUT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let seen = acs.seen();
    assert_eq!(seen.by_serial["SIM00000002"][1], ["6 CONNECTION REQUEST"]);
    assert_eq!(seen.by_serial["SIM00000001"].len(), 1);
    assert_eq!(seen.by_serial["SIM00000003"].len(), 1);
    assert_eq!(report.connection_requests, 1);
    assert_eq!(report.sessions_ok, 4);
}

#[tokio::test]
async fn non_loopback_targets_are_refused() {
    let mut c = SimConfig::new("http://192.0.2.10:7547/acs", 1);
    c.cr_listen = None;
    let err = Simulator::prepare(c.clone()).await.unwrap_err();
    assert!(
        matches!(err, SimError::Target(TargetError::NotAllowed { .. })),
        "{err}"
    );
    c.allow_hosts = vec!["192.0.2.10".into()];
    assert!(Simulator::prepare(c).await.is_ok());
}

#[test]
fn a_genieacs_csv_model_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("model.csv");
    std::fs::write(
        &file,
        "Parameter,Object,Writable,Value,Value type\n\
         InternetGatewayDevice,true,false,,\n\
         InternetGatewayDevice.DeviceInfo,true,false,,\n\
         InternetGatewayDevice.DeviceInfo.Manufacturer,false,false,\"Acme, Inc\",xsd:string\n\
         InternetGatewayDevice.DeviceInfo.ManufacturerOUI,false,false,001122,xsd:string\n\
         InternetGatewayDevice.DeviceInfo.ProductClass,false,false,Box,xsd:string\n\
         InternetGatewayDevice.DeviceInfo.SerialNumber,false,false,X,xsd:string\n\
         InternetGatewayDevice.DeviceInfo.UpTime,false,false,notanumber,xsd:unsignedInt\n\
         InternetGatewayDevice.DeviceInfo.X_ACME_Color,false,true,blue,xsd:string\n\
         InternetGatewayDevice.DeviceInfo.NoSuchThing,false,false,1,xsd:string\n\
         InternetGatewayDevice.LANDevice,true,false,,\n\
         InternetGatewayDevice.LANDevice.1,true,false,,\n\
         InternetGatewayDevice.LANDevice.1.LANEthernetInterfaceNumberOfEntries,false,false,1,xsd:unsignedInt\n\
         InternetGatewayDevice.ManagementServer,true,false,,\n\
         InternetGatewayDevice.ManagementServer.PeriodicInformInterval,false,true,300,xsd:unsignedInt\n",
    )
    .unwrap();
    let m = FleetModel::build(&ModelSettings {
        source: ModelSource::Csv(file),
        schema_dir: None,
        acs_url: "http://127.0.0.1:7547/".into(),
        inform_interval: None,
        cr_credentials: ("u".into(), "p".into()),
        oui: None,
        product_class: None,
    })
    .unwrap();
    assert_eq!(m.root, "InternetGatewayDevice.");
    assert_eq!(
        (m.manufacturer.as_str(), m.oui.as_str()),
        ("Acme, Inc", "001122")
    );
    assert_eq!(m.product_class, "Box");
    let text = |p: &str| m.template.stored_value(p).map(|v| v.as_text().into_owned());
    assert_eq!(
        text("InternetGatewayDevice.DeviceInfo.X_ACME_Color").as_deref(),
        Some("blue")
    );
    assert_eq!(
        text("InternetGatewayDevice.ManagementServer.PeriodicInformInterval").as_deref(),
        Some("300")
    );
    assert_eq!(
        text("InternetGatewayDevice.ManagementServer.URL").as_deref(),
        Some("http://127.0.0.1:7547/")
    );
    assert!(m.template.exists("InternetGatewayDevice.LANDevice.1."));
    assert_eq!(m.skipped, ["InternetGatewayDevice.DeviceInfo.NoSuchThing"]);
    assert_eq!(m.rejected.len(), 1, "{:?}", m.rejected);
    assert!(m.rejected[0].starts_with("InternetGatewayDevice.DeviceInfo.UpTime"));
}

#[tokio::test]
async fn value_changes_raise_value_change_informs() {
    let acs = ScriptedAcs::start(Script::default()).await;
    let Some(mut c) = config(&acs, 2) else { return };
    c.value_changes_per_s = 20.0;
    c.duration = Some(Duration::from_millis(1500));
    let report = tokio::time::timeout(TEST_TIMEOUT, Simulator::prepare(c).await.unwrap().run())
        .await
        .unwrap()
        .unwrap();
    let seen = acs.seen();
    let changes = seen.events.get("4 VALUE CHANGE").copied().unwrap_or(0);
    assert!(changes >= 2, "{seen:?}");
    assert_eq!(report.events.get("4 VALUE CHANGE"), Some(&changes));
    assert!(report.value_changes >= changes);
}

#[tokio::test]
async fn a_rate_is_held() {
    let acs = ScriptedAcs::start(Script::default()).await;
    let Some(mut c) = config(&acs, 50) else {
        return;
    };
    c.pacing = Pacing::Rate(20.0);
    c.duration = Some(Duration::from_secs(2));
    let report = tokio::time::timeout(TEST_TIMEOUT, Simulator::prepare(c).await.unwrap().run())
        .await
        .unwrap()
        .unwrap();
    // Never above 20/s (plus the one token the bucket starts with); below it only as far
    // as a loaded machine falls behind, which the bound leaves room for.
    let most = (20.0 * report.duration_s).ceil() as u64 + 2;
    assert!((20..=most).contains(&report.sessions_started), "{report:?}");
    assert_eq!(report.sessions_ok, acs.seen().completed);
}

/// A file server on 127.0.0.1 serving `content` at any path.
async fn file_server(
    content: &'static [u8],
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req| async move {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(content)),
                    ))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, task)
}

#[tokio::test]
async fn downloads_are_fetched_and_their_size_checked() {
    let (files, server) = file_server(b"0123456789").await;
    let download = |key: &str, path: &str, size: u32| -> Body {
        Download {
            command_key: key.into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: format!("http://{files}{path}"),
            username: String::new(),
            password: String::new(),
            file_size: size,
            target_file_name: String::new(),
            delay_seconds: 0,
            success_url: String::new(),
            failure_url: String::new(),
        }
        .into()
    };
    let acs = ScriptedAcs::start(Script {
        bootstrap: vec![download("ok", "/fw", 10), download("bad", "/fw", 12)],
        other: Vec::new(),
    })
    .await;
    let Some(mut c) = config(&acs, 1) else { return };
    c.reboot_delay = Duration::from_millis(100);
    c.duration = None;
    c.max_sessions = Some(2);
    let report = tokio::time::timeout(TEST_TIMEOUT, Simulator::prepare(c).await.unwrap().run())
        .await
        .unwrap()
        .unwrap();
    server.abort();
    assert_eq!(report.sessions_ok, 2, "{report:?}");
    let seen = acs.seen();
    assert_eq!(
        seen.transfer_completes,
        [("ok".to_owned(), 0), ("bad".to_owned(), 9017)],
        "the short file is reported incomplete"
    );
    let informs = &seen.by_serial["SIM00000001"];
    assert!(informs[1].contains(&"M Download".to_owned()), "{informs:?}");
}

#[tokio::test]
async fn a_requested_diagnostic_is_answered_with_diagnostics_complete() {
    let spv = |host: &str| -> Body {
        let d = "Device.IP.Diagnostics.";
        SetParameterValues {
            parameter_list: vec![
                ParameterValueStruct {
                    name: format!("{d}IPPing.Host"),
                    value: Value::String(host.into()),
                },
                ParameterValueStruct {
                    name: format!("{d}IPPing.DiagnosticsState"),
                    value: Value::String("Requested".into()),
                },
                ParameterValueStruct {
                    name: format!("{d}TraceRoute.Host"),
                    value: Value::String(host.into()),
                },
                ParameterValueStruct {
                    name: format!("{d}TraceRoute.DiagnosticsState"),
                    value: Value::String("Requested".into()),
                },
            ],
            parameter_key: "diag".into(),
        }
        .into()
    };
    let acs = ScriptedAcs::start(Script {
        bootstrap: vec![spv("192.0.2.1")],
        other: Vec::new(),
    })
    .await;
    let Some(mut c) = config(&acs, 3) else { return };
    c.duration = None;
    c.max_sessions = Some(6);
    // Each device when it is due: its bootstrap, then the session its diagnostic asks for
    // (flat out, a periodic session could take the last of the six slots first).
    c.pacing = Pacing::Periodic;
    c.concurrency = 3;
    let sim = Simulator::prepare(c).await.unwrap();
    let report = tokio::time::timeout(TEST_TIMEOUT, sim.run())
        .await
        .unwrap()
        .unwrap();
    let seen = acs.seen();
    assert_eq!(report.sessions_failed, 0, "{report:?}");
    assert_eq!(seen.cpe_faults, 0);
    assert_eq!(
        seen.events.get("8 DIAGNOSTICS COMPLETE"),
        Some(&3),
        "{seen:?}"
    );
    for (serial, informs) in &seen.by_serial {
        assert_eq!(informs[0], ["0 BOOTSTRAP", "1 BOOT"], "{serial}");
        assert_eq!(informs[1], ["8 DIAGNOSTICS COMPLETE"], "{serial}");
    }
}
