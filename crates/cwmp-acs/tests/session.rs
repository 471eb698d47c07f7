//! Session engine tests against the SQLite store.

use cwmp_acs::task::TaskSpec;
use std::sync::Arc;

use cwmp::rpc::*;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Fault, FaultCode, Header, Value};
use cwmp_acs::session::{Outcome, Session, SessionConfig, SessionError};
use cwmp_acs::store::*;
use serde_json::json;

const T0: Timestamp = Timestamp(1_700_000_000_000);

async fn store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open"),
    )
}

fn device() -> cwmp_acs::store::DeviceId {
    cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", "S1")
}

fn inform(version: CwmpVersion) -> Envelope {
    Envelope::new(
        version,
        Header::with_id("inf-1"),
        Inform {
            device_id: cwmp::rpc::DeviceId {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG8245".into(),
                serial_number: "S1".into(),
            },
            event: vec![EventStruct {
                event_code: EventCode::Bootstrap,
                command_key: String::new(),
            }],
            max_envelopes: 1,
            current_time: DateTime::UNKNOWN,
            retry_count: 0,
            parameter_list: vec![
                ParameterValueStruct {
                    name: "Device.ManagementServer.ConnectionRequestURL".into(),
                    value: Value::string("http://192.0.2.9:7547/cr"),
                },
                ParameterValueStruct {
                    name: "Device.DeviceInfo.SoftwareVersion".into(),
                    value: Value::string("1.0"),
                },
            ],
        },
    )
}

fn session(store: &Arc<dyn Store>, holder: &str) -> Session {
    Session::new(
        Arc::clone(store),
        SessionConfig::new(holder),
        Some("192.0.2.9".into()),
        T0,
    )
}

fn reply(outcome: Outcome) -> Envelope {
    match outcome {
        Outcome::Reply(env) => *env,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// Inform + empty POST; returns the first ACS message.
async fn open_session(s: &mut Session) -> Outcome {
    let r = reply(
        s.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("inform"),
    );
    assert!(matches!(
        r.body,
        Body::InformResponse(InformResponse { max_envelopes: 1 })
    ));
    s.handle(None, T0).await.expect("empty post")
}

fn answer(to: &Envelope, body: impl Into<Body>) -> Option<Envelope> {
    Some(Envelope::new(
        to.version,
        Header {
            id: to.header.id.clone(),
            ..Header::default()
        },
        body,
    ))
}

async fn task(store: &Arc<dyn Store>, name: &str, payload: serde_json::Value) -> Task {
    let mut task = payload;
    task["name"] = name.into();
    store
        .create_task(NewTask {
            device: device(),
            spec: TaskSpec::from_json(task).expect("a valid task"),
            expiry: None,
        })
        .await
        .expect("task")
}

/// Creates the device with a first, empty session.
async fn known_device(store: &Arc<dyn Store>) {
    let mut s = session(store, "seed");
    assert_eq!(open_session(&mut s).await, Outcome::End);
}

#[tokio::test]
async fn full_session_runs_tasks_in_order_and_stores_answers() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    let d = store
        .get_device(&device())
        .await
        .expect("get")
        .expect("device");
    assert_eq!(
        d.connection_request_url.as_deref(),
        Some("http://192.0.2.9:7547/cr")
    );
    assert_eq!(d.ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(d.last_events, vec![EventCode::Bootstrap]);

    let t1 = task(
        &store,
        "getParameterValues",
        json!({"parameterNames": ["Device.X"]}),
    )
    .await;
    let t2 = task(
        &store,
        "setParameterValues",
        json!({"parameterValues": [["Device.Y", "v", "xsd:string"]]}),
    )
    .await;
    let t3 = task(
        &store,
        "getParameterNames",
        json!({"parameterPath": "Device.Z.", "nextLevel": false}),
    )
    .await;

    let bus = cwmp_acs::events::EventBus::default();
    let mut events = bus.subscribe();
    let mut s = session(&store, "n1/2").with_observers(bus, Arc::default());
    let req = reply(open_session(&mut s).await);
    assert!(matches!(&req.body, Body::GetParameterValues(g) if g.parameter_names == ["Device.X"]));
    let resp = GetParameterValuesResponse {
        parameter_list: vec![ParameterValueStruct {
            name: "Device.X".into(),
            value: Value::UnsignedInt(7),
        }],
    };
    let req = reply(s.handle(answer(&req, resp), T0).await.expect("gpv"));
    // Device.Y's type is unknown to the ACS: read first, then set in the device's type.
    assert!(matches!(&req.body, Body::GetParameterValues(g) if g.parameter_names == ["Device.Y"]));
    let resp = GetParameterValuesResponse {
        parameter_list: vec![ParameterValueStruct {
            name: "Device.Y".into(),
            value: Value::string("old"),
        }],
    };
    let req = reply(s.handle(answer(&req, resp), T0).await.expect("type read"));
    assert!(matches!(&req.body, Body::SetParameterValues(_)));
    assert_ne!(req.header.id.as_deref(), Some("acs-1"));
    let resp = SetParameterValuesResponse {
        status: Status::Applied,
    };
    let req = reply(s.handle(answer(&req, resp), T0).await.expect("spv"));
    assert!(matches!(&req.body, Body::GetParameterNames(_)));
    let resp = GetParameterNamesResponse {
        parameter_list: vec![
            ParameterInfoStruct {
                name: "Device.Z.".into(),
                writable: false,
            },
            ParameterInfoStruct {
                name: "Device.Z.A".into(),
                writable: true,
            },
        ],
    };
    assert_eq!(
        s.handle(answer(&req, resp), T0).await.expect("gpn"),
        Outcome::End
    );
    assert!(s.is_done());

    // Completed tasks are deleted, as GenieACS does; their results went out as events.
    for t in [&t1, &t2, &t3] {
        assert_eq!(
            store.get_task(&t.id).await.expect("get"),
            None,
            "{}",
            t.name
        );
    }
    let mut results = std::collections::HashMap::new();
    while let Ok(e) = events.try_recv() {
        if let cwmp_acs::events::EventKind::TaskDone { task, result } = &e.kind {
            results.insert(task.clone(), result.clone());
        }
    }
    assert_eq!(
        results.get(&t1.id),
        Some(&json!({"parameterValues": [["Device.X", "7", "xsd:unsignedInt"]]}))
    );
    assert_eq!(results.len(), 3);
    let params = store
        .get_parameters(&device(), "Device.")
        .await
        .expect("params");
    let find = |p: &str| params.iter().find(|x| x.path == p).cloned();
    assert_eq!(
        find("Device.X").and_then(|p| p.value),
        Some(Value::UnsignedInt(7))
    );
    assert_eq!(
        find("Device.Y").and_then(|p| p.value),
        Some(Value::string("v"))
    );
    assert_eq!(find("Device.Z.A").and_then(|p| p.writable), Some(true));
    assert_eq!(
        find("Device.DeviceInfo.SoftwareVersion").and_then(|p| p.value),
        Some(Value::string("1.0"))
    );
    let sessions = store.list_sessions(&device(), 10).await.expect("sessions");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].outcome, "ok");
    assert_eq!(sessions[0].rpc_count, 5);
    // The lease is free again.
    let mut s = session(&store, "n1/3");
    assert_eq!(open_session(&mut s).await, Outcome::End);
}

#[tokio::test]
async fn cpe_requests_are_answered_and_unknown_gets_8000() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let mut s = session(&store, "a");
    let inf = reply(
        s.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("inform"),
    );
    assert_eq!(inf.header.id.as_deref(), Some("inf-1"));
    let v = CwmpVersion::V1_2;
    let cases: Vec<(Body, &str)> = vec![
        (
            TransferComplete {
                command_key: "k".into(),
                fault_struct: TransferCompleteFaultStruct::success(),
                start_time: DateTime::UNKNOWN,
                complete_time: DateTime::UNKNOWN,
            }
            .into(),
            "TransferCompleteResponse",
        ),
        (GetRPCMethods {}.into(), "GetRPCMethodsResponse"),
        (
            RequestDownload {
                file_type: "1 Firmware Upgrade Image".into(),
                file_type_arg: vec![],
            }
            .into(),
            "RequestDownloadResponse",
        ),
        (
            Kicked {
                command: "c".into(),
                referer: "r".into(),
                arg: "a".into(),
                next: "http://n/".into(),
            }
            .into(),
            "KickedResponse",
        ),
        (
            GetParameterValues {
                parameter_names: vec!["X".into()],
            }
            .into(),
            "Fault",
        ),
    ];
    for (i, (body, expected)) in cases.into_iter().enumerate() {
        let id = format!("c{i}");
        let r = reply(
            s.handle(
                Some(Envelope::new(v, Header::with_id(id.clone()), body)),
                T0,
            )
            .await
            .expect("req"),
        );
        assert_eq!(r.body.name(), expected);
        assert_eq!(r.header.id.as_deref(), Some(id.as_str()));
        if let Body::KickedResponse(k) = &r.body {
            assert_eq!(k.next_url, "http://n/");
        }
        if let Body::Fault(f) = &r.body {
            assert_eq!(f.code(), Some(FaultCode::ACS_METHOD_NOT_SUPPORTED));
        }
    }
    let r = reply(
        s.handle_unknown_method("X_Frob", Some("u".into()), T0)
            .await
            .expect("unknown"),
    );
    assert_eq!(r.body.clone().name(), "Fault");
    assert!(
        matches!(&r.body, Body::Fault(f) if f.code() == Some(FaultCode::ACS_METHOD_NOT_SUPPORTED))
    );
    assert_eq!(s.transfer_completes(), [("k".to_owned(), 0)]);
    assert_eq!(s.handle(None, T0).await.expect("end"), Outcome::End);
}

#[tokio::test]
async fn hold_requests_holds_cpe_until_acs_is_done() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    task(&store, "reboot", json!({})).await;
    let mut config = SessionConfig::new("h");
    config.hold_requests = true;
    let mut s = Session::new(Arc::clone(&store), config, None, T0);
    let r = reply(
        s.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("inform"),
    );
    assert_eq!(r.header.hold_requests, Some(true));
    let req = reply(s.handle(None, T0).await.expect("empty"));
    assert_eq!(req.header.hold_requests, Some(true));
    assert!(matches!(req.body, Body::Reboot(_)));
    assert_eq!(
        s.handle(answer(&req, RebootResponse {}), T0)
            .await
            .expect("rr"),
        Outcome::End
    );
    assert!(!s.is_done(), "the CPE may now send its held requests");
    let r = reply(
        s.handle(
            Some(Envelope::new(
                CwmpVersion::V1_2,
                Header::with_id("h1"),
                GetRPCMethods {},
            )),
            T0,
        )
        .await
        .expect("held request"),
    );
    assert_eq!(r.header.hold_requests, None);
    assert!(matches!(r.body, Body::GetRPCMethodsResponse(_)));
    assert_eq!(s.handle(None, T0).await.expect("end"), Outcome::End);
    assert!(s.is_done());
}

#[tokio::test]
async fn first_message_must_be_inform_and_only_one_inform() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let mut s = session(&store, "a");
    let get = Envelope::new(CwmpVersion::V1_0, Header::with_id("1"), GetRPCMethods {});
    assert!(matches!(
        s.handle(Some(get), T0).await,
        Err(SessionError::NotInform { .. })
    ));
    assert!(s.is_done());
    let mut s = session(&store, "a");
    assert!(matches!(
        s.handle(None, T0).await,
        Err(SessionError::NotInform { .. })
    ));

    let mut s = session(&store, "b");
    reply(
        s.handle(Some(inform(CwmpVersion::V1_0)), T0)
            .await
            .expect("inform"),
    );
    let again = reply(
        s.handle(Some(inform(CwmpVersion::V1_0)), T0)
            .await
            .expect("second"),
    );
    assert!(
        matches!(&again.body, Body::Fault(f) if f.code() == Some(FaultCode::ACS_INVALID_ARGUMENTS))
    );
    assert_eq!(s.handle(None, T0).await.expect("end"), Outcome::End);
}

#[tokio::test]
async fn wrong_id_and_cpe_fault_fault_the_task_with_retry() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    let t1 = task(
        &store,
        "getParameterValues",
        json!({"parameterNames": ["Device.A"]}),
    )
    .await;
    let t2 = task(
        &store,
        "getParameterValues",
        json!({"parameterNames": ["Device.B"]}),
    )
    .await;
    // Valid, but this session has no file server to send it from.
    let t3 = task(&store, "download", json!({"file": "fw.bin"})).await;
    let mut s = session(&store, "f");
    let req = reply(open_session(&mut s).await);
    let wrong = Envelope::new(
        req.version,
        Header::with_id("nope"),
        GetParameterValuesResponse {
            parameter_list: vec![],
        },
    );
    let req = reply(s.handle(Some(wrong), T0).await.expect("mismatch"));
    assert!(matches!(&req.body, Body::GetParameterValues(g) if g.parameter_names == ["Device.B"]));
    let fault = Fault::new(FaultCode::INVALID_PARAMETER_NAME, "no such parameter");
    assert_eq!(
        s.handle(answer(&req, fault), T0).await.expect("fault"),
        Outcome::End
    );

    let t1 = store.get_task(&t1.id).await.expect("get").expect("t1");
    assert_eq!(t1.status, TaskStatus::Fault);
    assert_eq!(
        t1.fault.as_ref().map(|f| f.code.as_str()),
        Some("cwmp_id_mismatch")
    );
    let t2 = store.get_task(&t2.id).await.expect("get").expect("t2");
    assert_eq!(t2.status, TaskStatus::Fault);
    assert_eq!(
        t2.fault.as_ref().map(|f| f.code.as_str()),
        Some("cwmp.9005")
    );
    assert_eq!(t2.attempts, 1);
    assert!(t2.next_attempt.is_some(), "retried with back-off");
    // The CPE's fault is also a fault record, as GenieACS lists it.
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    let record = faults
        .iter()
        .find(|f| f.channel == format!("task_{}", t2.id))
        .expect("task fault listed");
    assert_eq!(record.fault.code, "cwmp.9005");
    assert_eq!(record.fault.message, "no such parameter");
    let t3 = store.get_task(&t3.id).await.expect("get").expect("t3");
    assert_eq!(
        t3.fault.as_ref().map(|f| f.code.as_str()),
        Some("invalid_task")
    );
    assert_eq!(t3.next_attempt, None);
}

#[tokio::test]
async fn concurrent_session_is_busy_and_close_requeues() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    // A reboot: the BOOTSTRAP of these Informs would prove a factory reset done.
    let t = task(&store, "reboot", json!({})).await;
    let mut s1 = session(&store, "n1/1");
    let req = reply(open_session(&mut s1).await);
    assert!(matches!(req.body, Body::Reboot(_)));
    let mut s2 = session(&store, "n2/1");
    assert!(matches!(
        s2.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("busy"),
        Outcome::Busy { .. }
    ));
    assert!(s2.is_done());
    assert!(s1.is_expired(T0.plus(std::time::Duration::from_secs(31))));
    s1.close("timeout", T0).await.expect("close");
    let t = store.get_task(&t.id).await.expect("get").expect("t");
    assert_eq!(t.status, TaskStatus::Pending);
    assert_eq!(t.interrupted, 1, "the interruption is counted");
    let sessions = store.list_sessions(&device(), 1).await.expect("sessions");
    assert_eq!(sessions[0].outcome, "timeout");
    let mut s3 = session(&store, "n2/2");
    let req = reply(open_session(&mut s3).await);
    assert!(matches!(req.body, Body::Reboot(_)));
}

#[tokio::test]
async fn reply_uses_the_cpe_version() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    task(&store, "getRPCMethods", json!({})).await;
    let mut s = session(&store, "v");
    let r = reply(
        s.handle(Some(inform(CwmpVersion::V1_1)), T0)
            .await
            .expect("inform"),
    );
    assert_eq!(r.version, CwmpVersion::V1_1);
    assert!(
        r.to_xml()
            .expect("xml")
            .contains("urn:dslforum-org:cwmp-1-1")
    );
    let req = reply(s.handle(None, T0).await.expect("empty"));
    assert_eq!(req.version, CwmpVersion::V1_1);
}

/// Inform at `T0`, a task queued, then the CPE's empty POST `after` later.
async fn task_queued_during_cpe_turn(after: std::time::Duration) -> Outcome {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    known_device(&store).await;
    let mut s = session(&store, "n/1");
    s.handle(Some(inform(CwmpVersion::V1_2)), T0)
        .await
        .expect("inform");
    task(&store, "reboot", json!({})).await;
    s.handle(None, T0.plus(after)).await.expect("empty post")
}

#[tokio::test]
async fn no_task_due_at_the_inform_stands_for_a_second() {
    // Read with the Inform: a task queued within the second runs in the next session...
    let soon = task_queued_during_cpe_turn(std::time::Duration::from_millis(500)).await;
    assert_eq!(soon, Outcome::End);
    // ...one queued while a slower CPE still had the floor is read again and runs now.
    let late = task_queued_during_cpe_turn(std::time::Duration::from_secs(2)).await;
    assert!(matches!(reply(late).body, Body::Reboot(_)));
}

/// An AutonomousTransferComplete from the CPE within its session.
async fn autonomous(s: &mut Session, id: &str, fault: TransferCompleteFaultStruct) -> Envelope {
    let report = AutonomousTransferComplete {
        announce_url: String::new(),
        transfer_url: "http://files.example/fw-2.bin".into(),
        is_download: true,
        file_type: "1 Firmware Upgrade Image".into(),
        file_size: 1024,
        target_file_name: String::new(),
        fault_struct: fault,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    let env = Envelope::new(CwmpVersion::V1_2, Header::with_id(id), report);
    reply(s.handle(Some(env), T0).await.expect("report"))
}

#[tokio::test]
async fn autonomous_transfers_are_published_and_a_failure_stays_a_fault_until_a_success() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let bus = cwmp_acs::events::EventBus::default();
    let mut events = bus.subscribe();
    let mut s = session(&store, "a").with_observers(bus.clone(), Default::default());
    reply(
        s.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("inform"),
    );

    let failed = TransferCompleteFaultStruct::fault(
        FaultCode::new(9010).expect("code"),
        "download failed: checksum",
    );
    let r = autonomous(&mut s, "a1", failed).await;
    assert_eq!(r.body.name(), "AutonomousTransferCompleteResponse");
    assert_eq!(r.header.id.as_deref(), Some("a1"));
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults.len(), 1, "{faults:?}");
    assert_eq!(faults[0].channel, "autonomous_transfer");
    assert_eq!(faults[0].fault.code, "cwmp.9010");
    assert_eq!(faults[0].fault.message, "download failed: checksum");
    let detail = faults[0].fault.detail.clone().expect("detail");
    assert_eq!(detail["url"], json!("http://files.example/fw-2.bin"));
    assert_eq!(detail["fileType"], json!("1 Firmware Upgrade Image"));

    let r = autonomous(&mut s, "a2", TransferCompleteFaultStruct::success()).await;
    assert_eq!(r.body.name(), "AutonomousTransferCompleteResponse");
    assert_eq!(
        store.list_faults(Some(&device())).await.expect("faults"),
        []
    );

    let mut reported = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let cwmp_acs::events::EventKind::AutonomousTransfer {
            download,
            file_type,
            fault,
            ..
        } = &e.kind
        {
            assert!(*download);
            assert_eq!(file_type, "1 Firmware Upgrade Image");
            reported.push(fault.as_ref().map(|f| f.code.clone()));
        }
    }
    assert_eq!(reported, [Some("cwmp.9010".to_owned()), None]);
}

#[tokio::test]
async fn cpe_requests_beyond_the_bound_get_8004_and_the_session_still_ends() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let mut s = session(&store, "a");
    reply(
        s.handle(Some(inform(CwmpVersion::V1_2)), T0)
            .await
            .expect("inform"),
    );
    for i in 0..=cwmp_acs::session::MAX_CPE_REQUESTS {
        let env = Envelope::new(
            CwmpVersion::V1_2,
            Header::with_id(format!("g{i}")),
            GetRPCMethods {},
        );
        let r = reply(s.handle(Some(env), T0).await.expect("request"));
        if i < cwmp_acs::session::MAX_CPE_REQUESTS {
            assert_eq!(r.body.name(), "GetRPCMethodsResponse", "request {i}");
        } else {
            assert!(
                matches!(&r.body, Body::Fault(f) if f.code() == Some(FaultCode::ACS_RESOURCES_EXCEEDED)),
                "{:?}",
                r.body
            );
        }
    }
    assert_eq!(s.handle(None, T0).await.expect("empty post"), Outcome::End);
}

#[tokio::test]
async fn a_request_the_session_version_lacks_is_answered_in_the_closest_that_has_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let mut s = session(&store, "v");
    reply(
        s.handle(Some(inform(CwmpVersion::V1_0)), T0)
            .await
            .expect("inform"),
    );
    // AutonomousTransferComplete came with CWMP 1.1; a CPE sends it in a 1.0 session.
    let r = autonomous(&mut s, "x1", TransferCompleteFaultStruct::success()).await;
    assert_eq!(r.body.name(), "AutonomousTransferCompleteResponse");
    assert_eq!(r.version, CwmpVersion::V1_1);
    assert_eq!(r.header.id.as_deref(), Some("x1"));
    r.validate().expect("writable");
}
