//! `cwmp-acs migrate`: a SQLite store copied into PostgreSQL reads the same through the
//! `Store` trait, and a copy stopped half-way is continued by the next run without
//! duplicating anything. Needs `CWMP_TEST_PG_URL` (skips without it, fails in CI).

use std::sync::Arc;

use cwmp::{EventCode, Value};
use cwmp_acs::store::migrate::{MigrateOptions, sqlite_to_postgres};
use cwmp_acs::store::*;
use cwmp_acs::task::TaskSpec;
use serde_json::json;

#[allow(unused_macros)]
mod backend;

fn inform(serial: &str, n: usize) -> InformUpdate {
    InformUpdate {
        identity: DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "HG".into(),
            serial_number: serial.into(),
        },
        time: Timestamp(1_700_000_000_000),
        events: vec![EventCode::Boot],
        ip: Some("192.0.2.1".into()),
        connection_request_url: Some("http://192.0.2.1:7547/".into()),
        udp_connection_request_address: None,
        parameters: (0..n)
            .map(|i| ParamValue {
                path: format!("Device.X.P{i}"),
                value: if i % 2 == 0 {
                    Value::UnsignedInt(i as u32)
                } else {
                    Value::String(format!("v{i}"))
                },
            })
            .collect(),
    }
}

/// A store with a bit of everything.
async fn fill(store: &dyn Store) -> Vec<DeviceId> {
    let mut ids = Vec::new();
    for d in 0..7 {
        let serial = format!("M{d}");
        store
            .upsert_inform(inform(&serial, 5 + d))
            .await
            .expect("inform");
        let id = DeviceId::from_identity("00259E", "HG", &serial);
        store
            .add_tag(&id, &format!("t{}", d % 3))
            .await
            .expect("tag");
        store
            .write_parameters(
                &id,
                ParamBatch {
                    time: Timestamp(1_700_000_001_000),
                    delete_prefixes: Vec::new(),
                    delete_paths: Vec::new(),
                    updates: vec![ParamUpdate {
                        path: "Device.X.P0".into(),
                        value: None,
                        writable: Some(true),
                        notification: Some(2),
                        access_list: Some(vec!["Subscriber".into()]),
                    }],
                },
            )
            .await
            .expect("attributes");
        let task = store
            .create_task(NewTask {
                device: id.clone(),
                spec: TaskSpec::from_json(json!({"name": "reboot"})).expect("task"),
                expiry: None,
            })
            .await
            .expect("task");
        if d % 2 == 0 {
            store
                .fault_task(
                    &task.id,
                    FaultInfo {
                        code: "cwmp.9002".into(),
                        message: "Internal".into(),
                        detail: Some(json!({"x": d})),
                    },
                    RetryPolicy::default(),
                )
                .await
                .expect("fault");
        }
        store
            .record_session(SessionRecord {
                device: id.clone(),
                started: Timestamp(10 * d as i64),
                ended: Timestamp(10 * d as i64 + 5),
                events: vec![EventCode::Periodic],
                rpc_count: 3,
                outcome: "ok".into(),
            })
            .await
            .expect("session");
        store
            .put_preset_states(
                &id,
                vec![PresetState {
                    preset: "p".into(),
                    streak: 2,
                    next_attempt: Some(Timestamp(99)),
                    download: Some("ck".into()),
                }],
            )
            .await
            .expect("states");
        if d == 3 {
            store
                .put_credentials(DeviceCredentials {
                    device: id.clone(),
                    cr_username: Some("cr".into()),
                    cr_password: Some("pw".into()),
                    cpe_username: Some("cpe3".into()),
                    cpe_realm: Some("r".into()),
                    cpe_ha1_md5: Some("00".into()),
                    cpe_ha1_sha256: None,
                })
                .await
                .expect("creds");
        }
        ids.push(id);
    }
    store
        .put_preset(Preset {
            name: "p".into(),
            weight: -3,
            channel: "default".into(),
            precondition: json!({"_tags": "t1"}),
            events: [("1 BOOT".to_owned(), true)].into_iter().collect(),
            schedule: None,
            configuration: json!([{"type": "age", "name": "Device.X.P1", "age": 60}]),
        })
        .await
        .expect("preset");
    store
        .put_file(FileMeta {
            name: "fw.bin".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            oui: "00259E".into(),
            product_class: "HG".into(),
            version: "2.0".into(),
            size: 1234,
            sha256: "ab".repeat(32),
            uploaded: Timestamp(5),
        })
        .await
        .expect("file");
    ids
}

/// Everything readable through the trait, for comparison.
async fn snapshot(store: &dyn Store, ids: &[DeviceId]) -> String {
    let mut out = String::new();
    out += &format!(
        "{:?}\n",
        store
            .find_devices(&DeviceQuery::default())
            .await
            .expect("d")
    );
    for id in ids {
        out += &format!("{:?}\n", store.get_parameters(id, "").await.expect("p"));
        out += &format!("{:?}\n", store.list_sessions(id, 50).await.expect("s"));
        out += &format!("{:?}\n", store.preset_states(id).await.expect("ps"));
        out += &format!("{:?}\n", store.get_credentials(id).await.expect("c"));
    }
    out += &format!(
        "{:?}\n",
        store.list_tasks(&TaskFilter::default()).await.expect("t")
    );
    out += &format!("{:?}\n", store.list_faults(None).await.expect("f"));
    out += &format!("{:?}\n", store.list_presets().await.expect("pr"));
    out += &format!("{:?}\n", store.list_files().await.expect("fi"));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_copied_in_interrupted_runs_reads_the_same() {
    let Some((url, admin_url, name)) = backend::pg_database().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let source = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("open sqlite");
    let ids = fill(&source).await;
    let expected = snapshot(&source, &ids).await;
    source.close().await;
    drop(source);

    // Stopped after 5 batches of 4 rows: part of the store is there.
    let small = |max| MigrateOptions {
        batch_rows: 4,
        max_batches: max,
    };
    let first = sqlite_to_postgres(dir.path(), &url, &small(Some(5)))
        .await
        .expect("first run");
    assert!(!first.complete);
    assert_eq!(first.batches, 5);
    // The next run continues; a third finds nothing left and duplicates nothing.
    let second = sqlite_to_postgres(dir.path(), &url, &small(None))
        .await
        .expect("second run");
    assert!(second.complete);
    let third = sqlite_to_postgres(dir.path(), &url, &small(None))
        .await
        .expect("third run");
    assert!(third.complete);
    assert_eq!(third.batches, 0, "{third:?}");
    let copied: u64 = first.rows.iter().chain(&second.rows).map(|r| r.1).sum();
    let params_rows: usize = (0..7).map(|d| 5 + d).sum();
    // devices, tags, parameters, tasks, faults, preset, file, sessions, credentials, states.
    assert_eq!(
        copied as usize,
        7 + 7 + params_rows + 7 + 4 + 1 + 1 + 7 + 1 + 7
    );

    let target: Arc<dyn Store> = Arc::new(PgStore::open(PgConfig::new(url)).await.expect("pg"));
    assert_eq!(snapshot(&*target, &ids).await, expected);
    target.close().await;
    drop(target);
    backend::drop_database(&admin_url, &name).await;
}
