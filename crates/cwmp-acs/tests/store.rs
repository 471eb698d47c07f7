//! Device store tests: behaviour tests run against every backend (`sqlite::*`,
//! `postgres::*`, see `backend/`), then the SQLite store's own (reopen, crash).

use cwmp_acs::task::TaskSpec;
use std::sync::Arc;
use std::time::Duration;

use cwmp::{EventCode, Value};
use cwmp_acs::store::*;
use serde_json::json;

#[macro_use]
mod backend;

backend_tests!(
    migrations_on_empty_dir_and_inform_roundtrip,
    parameter_batches_merge_and_delete,
    many_parameters_span_statements_and_the_last_value_wins,
    a_failed_single_statement_write_spares_its_batch,
    tags_queries_and_delete,
    task_lifecycle_with_backoff,
    faults_presets_files_sessions_credentials,
    release_node_leases_frees_only_that_nodes_devices,
    lease_rules,
    concurrent_upserts_and_leases_all_land,
    per_device_reads_see_only_that_device,
    an_inform_updates_the_value_and_keeps_the_attributes,
    preset_objects_put_list_delete_and_move_the_preset_generation,
);

async fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("open")
}

fn inform(serial: &str, params: usize) -> InformUpdate {
    InformUpdate {
        identity: DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "HG 8245".into(),
            serial_number: serial.into(),
        },
        time: Timestamp::now(),
        events: vec![EventCode::Bootstrap, EventCode::Boot],
        ip: Some("192.0.2.7".into()),
        connection_request_url: Some("http://192.0.2.7:7547/cr".into()),
        udp_connection_request_address: None,
        parameters: (0..params)
            .map(|i| ParamValue {
                path: format!("Device.Test.P{i}"),
                value: Value::UnsignedInt(u32::try_from(i).unwrap_or(0)),
            })
            .collect(),
    }
}

async fn migrations_on_empty_dir_and_inform_roundtrip(store: Arc<dyn Store>) {
    let out = store.upsert_inform(inform("S1", 3)).await.expect("upsert");
    assert!(out.created);
    let out = store.upsert_inform(inform("S1", 3)).await.expect("upsert");
    assert!(!out.created);
    let id = DeviceId::from_identity("00259E", "HG 8245", "S1");
    assert_eq!(id.as_str(), "00259E-HG%208245-S1");
    let d = store.get_device(&id).await.expect("get").expect("exists");
    assert_eq!(d.identity.serial_number, "S1");
    assert_eq!(d.last_events, vec![EventCode::Bootstrap, EventCode::Boot]);
    assert_eq!(d.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(
        d.connection_request_url.as_deref(),
        Some("http://192.0.2.7:7547/cr")
    );
    let params = store
        .get_parameters(&id, "Device.Test.")
        .await
        .expect("params");
    assert_eq!(params.len(), 3);
    assert_eq!(params[1].value, Some(Value::UnsignedInt(1)));
    assert!(
        store
            .get_parameters(&id, "Device.Other.")
            .await
            .expect("p")
            .is_empty()
    );
    store.close().await;
    assert!(matches!(
        store.upsert_inform(inform("S2", 0)).await,
        Err(StoreError::Closed)
    ));
}

async fn parameter_batches_merge_and_delete(store: Arc<dyn Store>) {
    store.upsert_inform(inform("S1", 2)).await.expect("upsert");
    let id = DeviceId::from_identity("00259E", "HG 8245", "S1");
    let batch = ParamBatch {
        time: Timestamp::now(),
        delete_prefixes: vec!["Device.Test.P1".into()],
        delete_paths: Vec::new(),
        updates: vec![
            ParamUpdate {
                path: "Device.Test.P0".into(),
                writable: Some(true),
                notification: Some(2),
                access_list: Some(vec!["Subscriber".into()]),
                ..ParamUpdate::default()
            },
            ParamUpdate {
                path: "Device.X_ACME_Obj.".into(),
                writable: Some(false),
                ..ParamUpdate::default()
            },
            ParamUpdate {
                path: "Device.X_ACME_Obj.Name".into(),
                value: Some(Value::string("a_b%c")),
                ..ParamUpdate::default()
            },
        ],
    };
    store.write_parameters(&id, batch).await.expect("write");
    let all = store.get_parameters(&id, "").await.expect("all");
    let paths: Vec<&str> = all.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Device.Test.P0",
            "Device.X_ACME_Obj.",
            "Device.X_ACME_Obj.Name"
        ]
    );
    // Value kept, attributes merged in.
    assert_eq!(all[0].value, Some(Value::UnsignedInt(0)));
    assert_eq!(all[0].writable, Some(true));
    assert_eq!(all[0].notification, Some(2));
    assert_eq!(all[0].access_list, Some(vec!["Subscriber".to_owned()]));
    assert_eq!(all[1].value, None);
    // '_' and '%' in a prefix are literal, not LIKE wildcards.
    assert_eq!(
        store
            .get_parameters(&id, "Device.X_ACME")
            .await
            .expect("p")
            .len(),
        2
    );
    assert!(
        store
            .get_parameters(&id, "Device.XXACME")
            .await
            .expect("p")
            .is_empty()
    );
    let unknown = DeviceId::from_escaped("nope");
    assert!(matches!(
        store
            .write_parameters(&unknown, ParamBatch::default())
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn many_parameters_span_statements_and_the_last_value_wins(store: Arc<dyn Store>) {
    store
        .upsert_inform(inform("S1", 150))
        .await
        .expect("upsert");
    let id = DeviceId::from_identity("00259E", "HG 8245", "S1");
    let all = store
        .get_parameters(&id, "Device.Test.")
        .await
        .expect("all");
    assert_eq!(all.len(), 150);
    for i in [0u32, 63, 64, 127, 128, 149] {
        let p = all
            .iter()
            .find(|p| p.path == format!("Device.Test.P{i}"))
            .expect("stored");
        assert_eq!(p.value, Some(Value::UnsignedInt(i)));
    }
    let value = |path: &str, v: &str| ParamUpdate {
        path: path.into(),
        value: Some(Value::string(v)),
        ..ParamUpdate::default()
    };
    let mut updates: Vec<ParamUpdate> = (0..130)
        .map(|i| value(&format!("Device.Other.Q{i}"), "x"))
        .collect();
    updates[10] = value("Device.Other.Twice", "first");
    updates[100] = value("Device.Other.Twice", "last");
    let batch = ParamBatch {
        time: Timestamp::now(),
        delete_prefixes: Vec::new(),
        delete_paths: Vec::new(),
        updates,
    };
    store.write_parameters(&id, batch).await.expect("write");
    let other = store.get_parameters(&id, "Device.Other.").await.expect("o");
    assert_eq!(other.len(), 129);
    let twice = other
        .iter()
        .find(|p| p.path == "Device.Other.Twice")
        .expect("twice");
    assert_eq!(twice.value, Some(Value::string("last")));
}

async fn a_failed_single_statement_write_spares_its_batch(store: Arc<dyn Store>) {
    store.upsert_inform(inform("S1", 1)).await.expect("upsert");
    let known = DeviceId::from_identity("00259E", "HG 8245", "S1");
    let record = |device: &DeviceId| SessionRecord {
        device: device.clone(),
        started: Timestamp(1000),
        ended: Timestamp(2000),
        events: vec![EventCode::Periodic],
        rpc_count: 2,
        outcome: "ok".into(),
    };
    let unknown = DeviceId::from_escaped("nope");
    let (a, b, c) = tokio::join!(
        store.record_session(record(&known)),
        store.record_session(record(&unknown)),
        store.try_acquire_lease(&known, "n1", Duration::from_secs(30)),
    );
    a.expect("known device");
    assert!(matches!(b, Err(StoreError::NotFound(_))));
    assert!(c.expect("lease"));
    assert_eq!(store.list_sessions(&known, 10).await.expect("l").len(), 1);
    assert!(
        store
            .list_sessions(&unknown, 10)
            .await
            .expect("l")
            .is_empty()
    );
}

async fn tags_queries_and_delete(store: Arc<dyn Store>) {
    for s in ["A", "B", "C"] {
        store.upsert_inform(inform(s, 2)).await.expect("upsert");
    }
    let a = DeviceId::from_identity("00259E", "HG 8245", "A");
    let b = DeviceId::from_identity("00259E", "HG 8245", "B");
    assert!(store.add_tag(&a, "lab").await.expect("tag"));
    assert!(!store.add_tag(&a, "lab").await.expect("tag again"));
    assert!(store.add_tag(&b, "lab").await.expect("tag"));
    assert!(store.add_tag(&b, "x").await.expect("tag"));
    assert_eq!(
        store.get_device(&b).await.expect("g").expect("d").tags,
        ["lab", "x"]
    );
    let q = |filters| DeviceQuery {
        filters,
        skip: 0,
        limit: None,
        ..DeviceQuery::default()
    };
    let lab = store
        .find_devices(&q(vec![DeviceFilter::Tag("lab".into())]))
        .await
        .expect("q");
    assert_eq!(lab.len(), 2);
    let not_x = q(vec![
        DeviceFilter::Tag("lab".into()),
        DeviceFilter::NotTag("x".into()),
    ]);
    let found = store.find_devices(&not_x).await.expect("q");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, a);
    let by_param = q(vec![DeviceFilter::ParamEquals {
        path: "Device.Test.P1".into(),
        value: "1".into(),
    }]);
    assert_eq!(store.count_devices(&by_param).await.expect("count"), 3);
    let page = DeviceQuery {
        filters: vec![],
        skip: 1,
        limit: Some(1),
        ..DeviceQuery::default()
    };
    let page = store.find_devices(&page).await.expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, b);
    assert_eq!(
        store
            .find_devices(&q(vec![DeviceFilter::Id(a.clone())]))
            .await
            .expect("q")
            .len(),
        1
    );
    assert!(store.remove_tag(&a, "lab").await.expect("untag"));
    assert!(!store.remove_tag(&a, "lab").await.expect("untag"));
    assert!(matches!(
        store.add_tag(&DeviceId::from_escaped("nope"), "t").await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.delete_device(&b).await.expect("delete"));
    assert!(!store.delete_device(&b).await.expect("delete"));
    assert_eq!(
        store
            .count_devices(&DeviceQuery::default())
            .await
            .expect("count"),
        2
    );
}

async fn task_lifecycle_with_backoff(store: Arc<dyn Store>) {
    store.upsert_inform(inform("T", 0)).await.expect("upsert");
    let dev = DeviceId::from_identity("00259E", "HG 8245", "T");
    let new = |name: &str| NewTask {
        device: dev.clone(),
        spec: TaskSpec::from_json(json!({"name": name})).expect("task"),
        expiry: None,
    };
    let t1 = store.create_task(new("reboot")).await.expect("t1");
    let t2 = store.create_task(new("getRPCMethods")).await.expect("t2");
    let expired = NewTask {
        expiry: Some(Timestamp(1)),
        ..new("factoryReset")
    };
    store.create_task(expired).await.expect("t3");
    assert_eq!(t1.status, TaskStatus::Pending);
    assert_eq!(t1.id.len(), 24);
    let due = store.due_tasks(&dev, Timestamp::now()).await.expect("due");
    assert_eq!(
        due.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        [&t1.id, &t2.id]
    );

    assert!(store.claim_task(&t1.id).await.expect("claim"));
    assert!(!store.claim_task(&t1.id).await.expect("claim twice"));
    // A completed task is deleted (GenieACS: scripts poll until it is gone).
    assert!(store.complete_task(&t1.id).await.expect("done"));
    assert_eq!(store.get_task(&t1.id).await.expect("get"), None);
    assert!(!store.complete_task(&t1.id).await.expect("done twice"));

    let policy = RetryPolicy {
        base: Duration::from_secs(10),
        max_delay: Duration::from_secs(15),
        max_attempts: 2,
    };
    let fault = FaultInfo {
        code: "cwmp.9002".into(),
        message: "Internal".into(),
        detail: None,
    };
    assert!(store.claim_task(&t2.id).await.expect("claim"));
    let before = Timestamp::now();
    let next = store
        .fault_task(&t2.id, fault.clone(), policy)
        .await
        .expect("f1");
    let next = next.expect("retry scheduled");
    assert!(next >= before.plus(Duration::from_secs(10)));
    // Not due before its back-off, due after.
    assert!(
        store
            .due_tasks(&dev, Timestamp::now())
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(store.due_tasks(&dev, next).await.expect("due").len(), 1);
    let second = store
        .fault_task(&t2.id, fault.clone(), policy)
        .await
        .expect("f2");
    assert!(second.expect("2nd") >= before.plus(Duration::from_secs(15)));
    assert_eq!(
        store
            .fault_task(&t2.id, fault.clone(), policy)
            .await
            .expect("f3"),
        None
    );
    let t = store.get_task(&t2.id).await.expect("get").expect("t2");
    assert_eq!((t.status, t.attempts), (TaskStatus::Fault, 3));
    assert_eq!(t.fault, Some(fault.clone()));
    // The fault is also open on the device's channel task_<id>, counting its recurrences.
    let open = store.list_faults(Some(&dev)).await.expect("faults");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id(), format!("{dev}:task_{}", t2.id));
    assert_eq!((open[0].fault.clone(), open[0].retries), (fault.clone(), 2));
    assert!(
        store
            .due_tasks(&dev, Timestamp(i64::MAX - 1))
            .await
            .expect("due")
            .is_empty()
    );
    assert!(store.retry_task(&t2.id).await.expect("retry"));
    let t = store.get_task(&t2.id).await.expect("get").expect("t2");
    assert_eq!(
        (t.status, t.attempts, t.fault),
        (TaskStatus::Pending, 0, None)
    );
    assert!(
        store
            .list_faults(Some(&dev))
            .await
            .expect("faults")
            .is_empty()
    );
    // Deleting a task's fault deletes the task, as GenieACS does; deleting a task deletes
    // its fault.
    assert!(store.claim_task(&t2.id).await.expect("claim"));
    store
        .fault_task(&t2.id, fault.clone(), policy)
        .await
        .expect("f4");
    let channel = format!("task_{}", t2.id);
    assert!(
        store
            .delete_fault(&dev, &channel)
            .await
            .expect("delete fault")
    );
    assert_eq!(store.get_task(&t2.id).await.expect("get"), None);
    let t2 = store
        .create_task(new("getRPCMethods"))
        .await
        .expect("t2 again");
    assert!(store.claim_task(&t2.id).await.expect("claim"));
    store
        .fault_task(&t2.id, fault.clone(), policy)
        .await
        .expect("f5");
    assert!(store.delete_task(&t2.id).await.expect("delete"));
    assert!(
        store
            .list_faults(Some(&dev))
            .await
            .expect("faults")
            .is_empty()
    );
    let t2 = store
        .create_task(new("getRPCMethods"))
        .await
        .expect("t2 again");

    assert!(store.claim_task(&t2.id).await.expect("claim"));
    assert_eq!(store.requeue_running_tasks(&dev).await.expect("requeue"), 1);
    let filter = TaskFilter {
        status: Some(TaskStatus::Pending),
        ..TaskFilter::default()
    };
    assert_eq!(store.list_tasks(&filter).await.expect("list").len(), 2);
    assert!(store.delete_task(&t2.id).await.expect("delete"));
    assert!(!store.delete_task(&t2.id).await.expect("delete"));
    assert!(matches!(
        store
            .fault_task(
                "nope",
                FaultInfo {
                    code: String::new(),
                    message: String::new(),
                    detail: None
                },
                policy
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    let orphan = NewTask {
        device: DeviceId::from_escaped("nope"),
        ..new("reboot")
    };
    assert!(matches!(
        store.create_task(orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn faults_presets_files_sessions_credentials(store: Arc<dyn Store>) {
    store.upsert_inform(inform("F", 0)).await.expect("upsert");
    let dev = DeviceId::from_identity("00259E", "HG 8245", "F");

    let nf = NewFault {
        device: dev.clone(),
        channel: "default".into(),
        fault: FaultInfo {
            code: "cwmp.9005".into(),
            message: "Invalid name".into(),
            detail: Some(json!({"p": 1})),
        },
    };
    assert_eq!(store.record_fault(nf.clone()).await.expect("f").retries, 0);
    let again = store.record_fault(nf).await.expect("f");
    assert_eq!(again.retries, 1);
    assert_eq!(again.id(), format!("{dev}:default"));
    assert_eq!(store.list_faults(Some(&dev)).await.expect("l").len(), 1);
    assert_eq!(store.list_faults(None).await.expect("l").len(), 1);
    assert!(store.delete_fault(&dev, "default").await.expect("d"));
    assert!(store.list_faults(None).await.expect("l").is_empty());

    let preset = Preset {
        name: "inform".into(),
        weight: 0,
        precondition: json!({"_tags": "lab"}),
        events: [("0 BOOTSTRAP".to_owned(), true)].into(),
        channel: "default".into(),
        schedule: None,
        configuration: json!([{"type": "value", "name": "Device.ManagementServer.PeriodicInformInterval", "value": 1800}]),
    };
    store.put_preset(preset.clone()).await.expect("put");
    let heavier = Preset {
        weight: 5,
        ..preset.clone()
    };
    store.put_preset(heavier.clone()).await.expect("replace");
    assert_eq!(store.get_preset("inform").await.expect("g"), Some(heavier));
    store
        .put_preset(Preset {
            name: "b".into(),
            ..preset
        })
        .await
        .expect("put");
    let names: Vec<String> = store
        .list_presets()
        .await
        .expect("l")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["b", "inform"]);
    assert!(store.delete_preset("b").await.expect("d"));
    assert!(store.get_preset("b").await.expect("g").is_none());

    let file = FileMeta {
        name: "fw.bin".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        oui: "00259E".into(),
        product_class: "HG 8245".into(),
        version: "2.0".into(),
        size: 1 << 33,
        sha256: "ab".repeat(32),
        uploaded: Timestamp::now(),
    };
    store.put_file(file.clone()).await.expect("put");
    assert_eq!(
        store.get_file("fw.bin").await.expect("g"),
        Some(file.clone())
    );
    assert_eq!(store.list_files().await.expect("l"), vec![file]);
    assert!(store.delete_file("fw.bin").await.expect("d"));

    for i in 0..3 {
        let s = SessionRecord {
            device: dev.clone(),
            started: Timestamp(1000 + i),
            ended: Timestamp(2000 + i),
            events: vec![EventCode::Periodic],
            rpc_count: 4,
            outcome: "ok".into(),
        };
        store.record_session(s).await.expect("session");
    }
    let sessions = store.list_sessions(&dev, 2).await.expect("l");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].started, Timestamp(1002));

    let creds = DeviceCredentials {
        device: dev.clone(),
        cr_username: Some("cr".into()),
        cr_password: Some("secret".into()),
        cpe_username: Some("cpe-F".into()),
        cpe_realm: Some("cwmp".into()),
        cpe_ha1_md5: Some("0".repeat(32)),
        cpe_ha1_sha256: Some("1".repeat(64)),
    };
    store.put_credentials(creds.clone()).await.expect("put");
    assert_eq!(
        store.get_credentials(&dev).await.expect("g"),
        Some(creds.clone())
    );
    assert_eq!(
        store.credentials_by_cpe_username("cpe-F").await.expect("g"),
        Some(creds)
    );
    assert!(
        store
            .credentials_by_cpe_username("x")
            .await
            .expect("g")
            .is_none()
    );
    // Deleting the device removes what hangs off it.
    assert!(store.delete_device(&dev).await.expect("del"));
    assert!(store.get_credentials(&dev).await.expect("g").is_none());
    assert!(store.list_sessions(&dev, 10).await.expect("l").is_empty());
}

async fn release_node_leases_frees_only_that_nodes_devices(store: Arc<dyn Store>) {
    let long = Duration::from_secs(30);
    let dev = |n: u32| DeviceId::from_escaped(format!("00259E-X-{n}"));
    for (n, holder) in [(1, "n1/s1"), (2, "n1/s2"), (3, "n10/s3"), (4, "n%/s4")] {
        assert!(
            store
                .try_acquire_lease(&dev(n), holder, long)
                .await
                .expect("acquire")
        );
    }
    assert_eq!(store.release_node_leases("n1").await.expect("release"), 2);
    assert_eq!(store.release_node_leases("n").await.expect("release"), 0);
    for n in [1, 2] {
        assert!(
            store
                .try_acquire_lease(&dev(n), "n2/s9", long)
                .await
                .expect("free again")
        );
    }
    for n in [3, 4] {
        assert!(
            !store
                .try_acquire_lease(&dev(n), "n2/s9", long)
                .await
                .expect("still held")
        );
    }
}

async fn lease_rules(store: Arc<dyn Store>) {
    let dev = DeviceId::from_escaped("00259E-X-1");
    let long = Duration::from_secs(30);
    assert!(
        store
            .try_acquire_lease(&dev, "n1/s1", long)
            .await
            .expect("a")
    );
    assert!(
        !store
            .try_acquire_lease(&dev, "n2/s9", long)
            .await
            .expect("second refused")
    );
    assert!(
        !store
            .try_acquire_lease(&dev, "n1/s1", long)
            .await
            .expect("same holder refused")
    );
    assert!(store.renew_lease(&dev, "n1/s1", long).await.expect("renew"));
    assert!(
        !store
            .renew_lease(&dev, "n2/s9", long)
            .await
            .expect("renew by other")
    );
    assert!(
        !store
            .release_lease(&dev, "n2/s9")
            .await
            .expect("release by other")
    );
    assert!(store.release_lease(&dev, "n1/s1").await.expect("release"));
    assert!(
        store
            .try_acquire_lease(&dev, "n2/s9", Duration::from_millis(30))
            .await
            .expect("b")
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert!(
        store
            .try_acquire_lease(&dev, "n1/s2", long)
            .await
            .expect("takeover after expiry")
    );
    assert!(
        !store
            .renew_lease(&dev, "n2/s9", long)
            .await
            .expect("old holder lost it")
    );
    assert!(
        !store
            .release_lease(&dev, "n2/s9")
            .await
            .expect("old holder cannot release")
    );
}

async fn concurrent_upserts_and_leases_all_land(store: Arc<dyn Store>) {
    let mut joins = Vec::new();
    for i in 0..100 {
        let store = Arc::clone(&store);
        joins.push(tokio::spawn(async move {
            store.upsert_inform(inform(&format!("C{i:03}"), 20)).await
        }));
    }
    for j in joins {
        assert!(j.await.expect("join").expect("upsert").created);
    }
    assert_eq!(
        store
            .count_devices(&DeviceQuery::default())
            .await
            .expect("count"),
        100
    );
    // 50 sessions race for one lease: exactly one wins.
    let dev = DeviceId::from_escaped("race");
    let mut joins = Vec::new();
    for i in 0..50 {
        let (store, dev) = (Arc::clone(&store), dev.clone());
        joins.push(tokio::spawn(async move {
            store
                .try_acquire_lease(&dev, &format!("n/{i}"), Duration::from_secs(30))
                .await
        }));
    }
    let mut winners = 0;
    for j in joins {
        if j.await.expect("join").expect("lease") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn drop_without_close_then_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    {
        let store = open(&dir).await;
        store.upsert_inform(inform("D", 5)).await.expect("upsert");
        // Dropped without close().
    }
    let store = open(&dir).await;
    let id = DeviceId::from_identity("00259E", "HG 8245", "D");
    assert_eq!(store.get_parameters(&id, "").await.expect("p").len(), 5);
}

/// Child half of `killed_process_keeps_acknowledged_writes`.
#[tokio::test]
async fn crash_child() {
    let Ok(dir) = std::env::var("CWMP_ACS_CRASH_DIR") else {
        return;
    };
    let store = SqliteStore::open(SqliteConfig::new(dir))
        .await
        .expect("open");
    for i in 0..50 {
        store
            .upsert_inform(inform(&format!("K{i}"), 10))
            .await
            .expect("upsert");
    }
    // Like kill -9: no destructors, no close, no checkpoint.
    std::process::abort();
}

#[tokio::test]
async fn killed_process_keeps_acknowledged_writes() {
    let dir = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("exe");
    let status = std::process::Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("CWMP_ACS_CRASH_DIR", dir.path())
        .status()
        .expect("spawn child");
    assert!(!status.success(), "child should have aborted");
    let store = open(&dir).await;
    assert_eq!(
        store
            .count_devices(&DeviceQuery::default())
            .await
            .expect("count"),
        50
    );
    let id = DeviceId::from_identity("00259E", "HG 8245", "K49");
    assert_eq!(store.get_parameters(&id, "").await.expect("p").len(), 10);
}

async fn per_device_reads_see_only_that_device(store: Arc<dyn Store>) {
    let devs: Vec<DeviceId> = ["A", "B"]
        .iter()
        .map(|s| DeviceId::from_identity("00259E", "HG 8245", s))
        .collect();
    for (serial, dev) in ["A", "B"].iter().zip(&devs) {
        store
            .upsert_inform(inform(serial, 0))
            .await
            .expect("upsert");
        let fault = FaultInfo {
            code: "cwmp.9002".into(),
            message: "Internal error".into(),
            detail: None,
        };
        for channel in ["c1", "c2"] {
            let nf = NewFault {
                device: dev.clone(),
                channel: channel.into(),
                fault: fault.clone(),
            };
            store.record_fault(nf).await.expect("fault");
        }
        let task = NewTask {
            device: dev.clone(),
            spec: TaskSpec::from_json(json!({"name": "reboot"})).expect("task"),
            expiry: None,
        };
        store.create_task(task).await.expect("task");
    }
    let faults = store.list_faults(Some(&devs[1])).await.expect("faults");
    let seen: Vec<(&str, &str)> = faults
        .iter()
        .map(|f| (f.device.as_str(), f.channel.as_str()))
        .collect();
    assert_eq!(seen, [(devs[1].as_str(), "c1"), (devs[1].as_str(), "c2")]);
    assert_eq!(store.list_faults(None).await.expect("faults").len(), 4);
    let by_device = TaskFilter {
        device: Some(devs[0].clone()),
        ..TaskFilter::default()
    };
    let tasks = store.list_tasks(&by_device).await.expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].device, devs[0]);
    let all = store
        .list_tasks(&TaskFilter::default())
        .await
        .expect("tasks");
    assert_eq!(all.len(), 2);
}

async fn an_inform_updates_the_value_and_keeps_the_attributes(store: Arc<dyn Store>) {
    store.upsert_inform(inform("K", 1)).await.expect("upsert");
    let dev = DeviceId::from_identity("00259E", "HG 8245", "K");
    let batch = ParamBatch {
        time: Timestamp::now(),
        delete_prefixes: Vec::new(),
        delete_paths: Vec::new(),
        updates: vec![ParamUpdate {
            path: "Device.Test.P0".into(),
            value: None,
            writable: Some(true),
            notification: Some(2),
            access_list: Some(vec!["Subscriber".into()]),
        }],
    };
    store
        .write_parameters(&dev, batch)
        .await
        .expect("attributes");
    let mut next = inform("K", 1);
    next.parameters[0].value = Value::String("changed".into());
    store.upsert_inform(next).await.expect("upsert");
    let p = store
        .get_parameters(&dev, "Device.Test.P0")
        .await
        .expect("params")
        .remove(0);
    assert_eq!(
        (p.value, p.writable, p.notification, p.access_list),
        (
            Some(Value::String("changed".into())),
            Some(true),
            Some(2),
            Some(vec!["Subscriber".to_string()])
        )
    );
}

/// PostgreSQL: migrations apply once (a second node opening the same database finds them
/// applied), and a database migrated by a newer build is refused.
#[tokio::test]
async fn postgres_migrations_apply_once_and_a_newer_database_is_refused() {
    let Some((url, admin_url, name)) = backend::pg_database().await else {
        return;
    };
    let (a, b) = tokio::join!(
        PgStore::open(PgConfig::new(url.clone())),
        PgStore::open(PgConfig::new(url.clone()))
    );
    let (a, b) = (a.expect("first node"), b.expect("second node"));
    a.upsert_inform(inform("M1", 2)).await.expect("upsert");
    let id = DeviceId::from_identity("00259E", "HG 8245", "M1");
    assert_eq!(b.get_parameters(&id, "").await.expect("p").len(), 2);
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    // Two nodes migrating at once applied each migration once.
    let row = client
        .query_one(
            "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations",
            &[],
        )
        .await
        .expect("count");
    let (n, distinct): (i64, i64) = (row.get(0), row.get(1));
    assert!(n > 0);
    assert_eq!(n, distinct);
    client
        .batch_execute("INSERT INTO schema_migrations VALUES (9999, 'future', 0)")
        .await
        .expect("insert");
    let err = PgStore::open(PgConfig::new(url.clone()))
        .await
        .err()
        .expect("a newer database is refused");
    assert!(err.to_string().contains("9999"), "{err}");
    a.close().await;
    b.close().await;
    drop(client);
    backend::drop_database(&admin_url, &name).await;
}

async fn preset_objects_put_list_delete_and_move_the_preset_generation(store: Arc<dyn Store>) {
    let doc = json!({"_keys": ["SSID"], "SSID": "guest", "Radio": {"Enable": true}});
    let guest = PresetObject::from_document("guest", &doc).expect("object");
    let before = store.presets_generation();
    store.put_preset_object(guest.clone()).await.expect("put");
    assert_ne!(store.presets_generation(), before);
    let other = PresetObject::from_document("a", &json!({"SSID": "x"})).expect("object");
    store.put_preset_object(other.clone()).await.expect("put");
    assert_eq!(
        store.list_preset_objects().await.expect("list"),
        [other.clone(), guest.clone()]
    );
    let replaced = PresetObject::from_document("guest", &json!({"SSID": "g2"})).expect("o");
    store
        .put_preset_object(replaced.clone())
        .await
        .expect("replace");
    assert_eq!(
        store.list_preset_objects().await.expect("list"),
        [other, replaced]
    );
    assert!(store.delete_preset_object("guest").await.expect("delete"));
    assert!(!store.delete_preset_object("guest").await.expect("again"));
    assert_eq!(store.list_preset_objects().await.expect("list").len(), 1);
}
