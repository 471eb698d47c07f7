//! Presets applied by the session engine, against a scripted CPE that keeps its own
//! parameter tree and answers the ACS's requests from it.

use cwmp_acs::task::TaskSpec;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cwmp::rpc::*;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Fault, FaultCode, Header, Value};
use cwmp_acs::session::{Outcome, Session, SessionConfig};
use cwmp_acs::store::*;
use serde_json::{Value as Json, json};

const T0: Timestamp = Timestamp(1_700_000_000_000);
const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
const VERSION: &str = "Device.DeviceInfo.SoftwareVersion";

/// A CPE with a parameter tree, notification attributes and scripted faults.
struct Cpe {
    values: BTreeMap<String, Value>,
    notifications: BTreeMap<String, u8>,
    /// Instance numbers of `Device.X.`.
    instances: Vec<u32>,
    /// Method name → fault code answered instead.
    faults: BTreeMap<&'static str, u32>,
    /// Names of the requests received in the last session.
    log: Vec<Body>,
}

impl Cpe {
    fn new() -> Cpe {
        let mut values = BTreeMap::new();
        values.insert(INTERVAL.to_owned(), Value::UnsignedInt(300));
        values.insert(VERSION.to_owned(), Value::string("1.0"));
        values.insert(
            "Device.ManagementServer.ConnectionRequestUsername".into(),
            Value::string(""),
        );
        values.insert(
            "Device.ManagementServer.ConnectionRequestPassword".into(),
            Value::string(""),
        );
        Cpe {
            values,
            notifications: BTreeMap::new(),
            instances: vec![1],
            faults: BTreeMap::new(),
            log: Vec::new(),
        }
    }

    fn answer(&mut self, req: &Body) -> Body {
        self.log.push(req.clone());
        if let Some(code) = self.faults.get(req.name()) {
            return Fault::new(FaultCode::new(*code).expect("code"), "scripted fault").into();
        }
        match req {
            Body::GetParameterValues(r) => GetParameterValuesResponse {
                parameter_list: r
                    .parameter_names
                    .iter()
                    .filter_map(|n| {
                        self.values.get(n).map(|v| ParameterValueStruct {
                            name: n.clone(),
                            value: v.clone(),
                        })
                    })
                    .collect(),
            }
            .into(),
            Body::SetParameterValues(r) => {
                for p in &r.parameter_list {
                    self.values.insert(p.name.clone(), p.value.clone());
                }
                SetParameterValuesResponse {
                    status: Status::Applied,
                }
                .into()
            }
            Body::GetParameterNames(r) => GetParameterNamesResponse {
                parameter_list: self
                    .instances
                    .iter()
                    .map(|i| ParameterInfoStruct {
                        name: format!("{}{i}.", r.parameter_path),
                        writable: true,
                    })
                    .collect(),
            }
            .into(),
            Body::AddObject(r) => {
                let n = self.instances.iter().max().map_or(1, |m| m + 1);
                self.instances.push(n);
                let name = format!("{}{n}.Name", r.object_name);
                self.values.insert(name, Value::string(""));
                let enable = format!("{}{n}.Enable", r.object_name);
                self.values.insert(enable, Value::Boolean(false));
                AddObjectResponse {
                    instance_number: n,
                    status: Status::Applied,
                }
                .into()
            }
            Body::GetParameterAttributes(r) => GetParameterAttributesResponse {
                parameter_list: r
                    .parameter_names
                    .iter()
                    .map(|n| ParameterAttributeStruct {
                        name: n.clone(),
                        notification: Notification::from_value(u32::from(
                            self.notifications.get(n).copied().unwrap_or(0),
                        )),
                        access_list: Vec::new(),
                    })
                    .collect(),
            }
            .into(),
            Body::SetParameterAttributes(r) => {
                for a in &r.parameter_list {
                    let n = u8::try_from(a.notification.value()).expect("small");
                    self.notifications.insert(a.name.clone(), n);
                }
                SetParameterAttributesResponse {}.into()
            }
            Body::DeleteObject(r) => {
                let n: u32 = r
                    .object_name
                    .trim_end_matches('.')
                    .rsplit('.')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("instance path");
                self.instances.retain(|i| *i != n);
                self.values.retain(|k, _| !k.starts_with(&r.object_name));
                DeleteObjectResponse {
                    status: Status::Applied,
                }
                .into()
            }
            Body::Reboot(_) => RebootResponse {}.into(),
            other => panic!("unexpected request {}", other.name()),
        }
    }

    fn names(&self) -> Vec<&str> {
        self.log.iter().map(Body::name).collect()
    }
}

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

fn inform(cpe: &Cpe, events: &[EventCode]) -> Envelope {
    Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("inf"),
        Inform {
            device_id: cwmp::rpc::DeviceId {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG8245".into(),
                serial_number: "S1".into(),
            },
            event: events
                .iter()
                .map(|e| EventStruct {
                    event_code: e.clone(),
                    command_key: String::new(),
                })
                .collect(),
            max_envelopes: 1,
            current_time: DateTime::UNKNOWN,
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct {
                name: VERSION.into(),
                value: cpe.values[VERSION].clone(),
            }],
        },
    )
}

/// Runs one whole session at `now` with `config`; the CPE's log holds the ACS's requests.
async fn session_with(
    store: &Arc<dyn Store>,
    cpe: &mut Cpe,
    events: &[EventCode],
    now: Timestamp,
    config: SessionConfig,
) {
    cpe.log.clear();
    let mut s = Session::new(Arc::clone(store), config, None, now);
    let first = s
        .handle(Some(inform(cpe, events)), now)
        .await
        .expect("inform");
    assert!(matches!(first, Outcome::Reply(_)));
    let mut out = s.handle(None, now).await.expect("empty post");
    for _ in 0..100 {
        let Outcome::Reply(env) = out else {
            assert_eq!(out, Outcome::End);
            assert!(s.is_done());
            return;
        };
        let body = cpe.answer(&env.body);
        let reply = Envelope::new(
            env.version,
            Header {
                id: env.header.id.clone(),
                ..Header::default()
            },
            body,
        );
        out = s.handle(Some(reply), now).await.expect("answer");
    }
    panic!("session did not end");
}

async fn session(store: &Arc<dyn Store>, cpe: &mut Cpe, events: &[EventCode], now: Timestamp) {
    session_with(store, cpe, events, now, SessionConfig::new("t")).await;
}

async fn preset(store: &Arc<dyn Store>, name: &str, events: &[&str], pre: Json, config: Json) {
    store
        .put_preset(Preset {
            name: name.into(),
            weight: 0,
            precondition: pre,
            events: events.iter().map(|e| ((*e).to_owned(), true)).collect(),
            channel: "default".into(),
            schedule: None,
            configuration: config,
        })
        .await
        .expect("preset");
}

fn seed_config() -> Json {
    json!({"parameters": [[INTERVAL, 1800]]})
}

fn periodic() -> Vec<EventCode> {
    vec![EventCode::Periodic]
}

#[tokio::test]
async fn seed_flow_reads_then_sets_only_when_different() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "seed", &[], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &[EventCode::Bootstrap], T0).await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    let Body::SetParameterValues(spv) = &cpe.log[1] else {
        panic!("spv")
    };
    // The type comes from the value read.
    assert_eq!(spv.parameter_list[0].value, Value::UnsignedInt(1800));
    assert_eq!(cpe.values[INTERVAL], Value::UnsignedInt(1800));

    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues"], "read, already 1800");
    assert!(store.list_faults(None).await.expect("faults").is_empty());
}

#[tokio::test]
async fn bootstrap_preset_applies_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "boot", &["0 BOOTSTRAP"], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &[EventCode::Bootstrap], T0).await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(60)),
    )
    .await;
    assert!(cpe.log.is_empty(), "{:?}", cpe.names());
}

#[tokio::test]
async fn events_filter_presets() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "on-boot", &["1 BOOT"], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &periodic(), T0).await;
    assert!(cpe.log.is_empty());
    session(
        &store,
        &mut cpe,
        &[EventCode::Boot],
        T0.plus(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
}

#[tokio::test]
async fn preconditions_on_tags_and_parameters() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let pre = json!({"_tags": "lab", VERSION: {"$regex": "^1\\."}});
    preset(
        &store,
        "lab",
        &[],
        pre,
        json!({"tags": {"add": ["seen"]}, "parameters": [[INTERVAL, 1800]]}),
    )
    .await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &periodic(), T0).await;
    assert!(cpe.log.is_empty(), "no lab tag yet");
    store.add_tag(&device(), "lab").await.expect("tag");
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    let tags = store
        .get_device(&device())
        .await
        .expect("get")
        .expect("dev")
        .tags;
    assert_eq!(tags, ["lab", "seen"]);
    cpe.values.insert(VERSION.into(), Value::string("2.0"));
    cpe.values.insert(INTERVAL.into(), Value::UnsignedInt(5));
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(2)),
    )
    .await;
    assert!(cpe.log.is_empty(), "version 2.0 does not match");
}

#[tokio::test]
async fn objects_and_notifications() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let config = json!({
        "objects": [{"path": "Device.X.", "count": 3}],
        "notifications": [[VERSION, 2]],
    });
    preset(&store, "obj", &[], json!({}), config).await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &periodic(), T0).await;
    assert_eq!(
        cpe.names(),
        [
            "GetParameterNames",
            "AddObject",
            "AddObject",
            "GetParameterAttributes",
            "SetParameterAttributes"
        ]
    );
    assert_eq!(cpe.instances, [1, 2, 3]);
    assert_eq!(cpe.notifications[VERSION], 2);
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterNames", "GetParameterAttributes"]);
    // An instance deleted on the CPE is noticed and added again.
    cpe.instances.retain(|i| *i != 2);
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(2)),
    )
    .await;
    assert_eq!(
        cpe.names(),
        ["GetParameterNames", "AddObject", "GetParameterAttributes"]
    );
}

#[tokio::test]
async fn genieacs_add_object_and_delete_object_by_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let guest = json!({"_keys": ["Name"], "Name": "guest", "Enable": true});
    let guest = PresetObject::from_document("guest", &guest).expect("object");
    store.put_preset_object(guest).await.expect("put object");
    let add = json!([{"type": "add_object", "name": "Device.X", "object": "guest"}]);
    preset(&store, "wifi", &[], json!({}), add).await;
    let mut cpe = Cpe::new();
    cpe.values
        .insert("Device.X.1.Name".into(), Value::string("lan"));

    // Listed, keys read, no match: added, then its keys and values set.
    session(&store, &mut cpe, &periodic(), T0).await;
    assert_eq!(
        cpe.names(),
        [
            "GetParameterNames",
            "GetParameterValues",
            "AddObject",
            "GetParameterValues",
            "GetParameterValues",
            "SetParameterValues"
        ]
    );
    assert_eq!(cpe.instances, [1, 2]);
    assert_eq!(cpe.values["Device.X.2.Name"], Value::string("guest"));
    assert_eq!(cpe.values["Device.X.2.Enable"], Value::Boolean(true));
    assert_eq!(cpe.values["Device.X.1.Name"], Value::string("lan"));

    // Found by its key: nothing added or set.
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(1)),
    )
    .await;
    assert!(!cpe.names().contains(&"AddObject"), "{:?}", cpe.names());
    assert!(
        !cpe.names().contains(&"SetParameterValues"),
        "{:?}",
        cpe.names()
    );

    // A value drifts on the CPE: set back, on that instance only.
    cpe.values
        .insert("Device.X.2.Enable".into(), Value::Boolean(false));
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(2)),
    )
    .await;
    assert_eq!(cpe.values["Device.X.2.Enable"], Value::Boolean(true));
    assert_eq!(cpe.instances, [1, 2]);

    // A duplicate is removed, the first kept.
    cpe.instances.push(3);
    cpe.values
        .insert("Device.X.3.Name".into(), Value::string("guest"));
    cpe.values
        .insert("Device.X.3.Enable".into(), Value::Boolean(true));
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(3)),
    )
    .await;
    assert_eq!(cpe.instances, [1, 2]);

    // delete_object removes the instance its keys name, and only that one.
    let del = json!([{"type": "delete_object", "name": "Device.X.", "object": "guest"}]);
    preset(&store, "wifi", &[], json!({}), del).await;
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(4)),
    )
    .await;
    assert!(cpe.names().contains(&"DeleteObject"), "{:?}", cpe.names());
    assert_eq!(cpe.instances, [1]);
    assert!(!cpe.values.contains_key("Device.X.2.Name"));
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(5)),
    )
    .await;
    assert!(!cpe.names().contains(&"DeleteObject"), "{:?}", cpe.names());

    // An object missing from the collection: the preset is skipped with a fault naming it.
    let missing = json!([{"type": "add_object", "name": "Device.X", "object": "nope"}]);
    preset(&store, "wifi", &[], json!({}), missing).await;
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(6)),
    )
    .await;
    assert!(cpe.names().is_empty(), "{:?}", cpe.names());
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    let f = faults
        .iter()
        .find(|f| f.channel == "preset:wifi")
        .expect("fault");
    assert!(f.fault.message.contains("nope"), "{f:?}");
}

#[tokio::test]
async fn connection_request_credentials_stored_after_acknowledgement() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(
        &store,
        "cr",
        &["0 BOOTSTRAP"],
        json!({}),
        json!({"connectionRequestCredentials": true}),
    )
    .await;
    let mut cpe = Cpe::new();
    cpe.faults.insert("SetParameterValues", 9001);
    session(&store, &mut cpe, &[EventCode::Bootstrap], T0).await;
    assert_eq!(cpe.names(), ["SetParameterValues"]);
    assert!(
        store
            .get_credentials(&device())
            .await
            .expect("creds")
            .is_none(),
        "refused"
    );
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].channel, "preset:cr");
    assert_eq!(faults[0].fault.code, "cwmp.9001");

    cpe.faults.clear();
    let later = T0.plus(Duration::from_secs(3600));
    session(&store, &mut cpe, &[EventCode::Bootstrap], later).await;
    assert_eq!(cpe.names(), ["SetParameterValues"]);
    let creds = store
        .get_credentials(&device())
        .await
        .expect("creds")
        .expect("stored");
    let user = creds.cr_username.expect("user");
    let pass = creds.cr_password.expect("pass");
    assert_eq!(
        cpe.values["Device.ManagementServer.ConnectionRequestUsername"].as_text(),
        user
    );
    assert_eq!(
        cpe.values["Device.ManagementServer.ConnectionRequestPassword"].as_text(),
        pass
    );
    assert!(pass.len() >= 32);
    let params = store
        .get_parameters(&device(), "Device.ManagementServer.")
        .await
        .expect("p");
    assert!(
        params.iter().all(|p| !p.path.ends_with("Password")),
        "password not in the tree"
    );
    assert!(
        store.list_faults(None).await.expect("faults").is_empty(),
        "cleared"
    );
}

#[tokio::test]
async fn faulting_preset_is_recorded_retried_after_backoff_and_cleared() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "seed", &["1 BOOT"], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    cpe.faults.insert("SetParameterValues", 9007);
    session(&store, &mut cpe, &[EventCode::Boot], T0).await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults[0].channel, "preset:seed");
    assert_eq!(faults[0].fault.code, "cwmp.9007");

    // Within the back-off (60 s by default): not tried.
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(30)),
    )
    .await;
    assert!(cpe.log.is_empty(), "{:?}", cpe.names());
    // After it, retried even without its event, and faulted again: retries counted.
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(61)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults[0].retries, 1);
    // The second delay is 120 s.
    cpe.faults.clear();
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(61 + 100)),
    )
    .await;
    assert!(cpe.log.is_empty());
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(61 + 121)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    assert!(store.list_faults(None).await.expect("faults").is_empty());
    assert_eq!(cpe.values[INTERVAL], Value::UnsignedInt(1800));
}

#[tokio::test]
async fn preset_loop_across_sessions_is_stopped() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "seed", &[], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    let mut t = T0;
    for _ in 0..4 {
        // Something on the device keeps undoing the change.
        cpe.values.insert(INTERVAL.into(), Value::UnsignedInt(300));
        session(&store, &mut cpe, &periodic(), t).await;
        assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
        t = t.plus(Duration::from_secs(60));
    }
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults.len(), 1);
    assert_eq!(faults[0].fault.code, "preset_loop");
    cpe.values.insert(INTERVAL.into(), Value::UnsignedInt(300));
    session(&store, &mut cpe, &periodic(), t).await;
    assert!(cpe.log.is_empty(), "stopped");
    // Deleting the fault starts it again.
    assert!(
        store
            .delete_fault(&device(), "preset:seed")
            .await
            .expect("del")
    );
    session(
        &store,
        &mut cpe,
        &periodic(),
        t.plus(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
}

#[tokio::test]
async fn too_many_preset_requests_in_one_session_is_a_loop() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "seed", &[], json!({}), seed_config()).await;
    let mut cpe = Cpe::new();
    let mut config = SessionConfig::new("t");
    config.presets.max_rpcs_per_session = 1;
    session_with(&store, &mut cpe, &periodic(), T0, config).await;
    assert_eq!(cpe.names(), ["GetParameterValues"]);
    let faults = store.list_faults(Some(&device())).await.expect("faults");
    assert_eq!(faults[0].fault.code, "preset_loop");
}

#[tokio::test]
async fn higher_weight_wins_and_tasks_run_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    preset(&store, "low", &[], json!({}), seed_config()).await;
    store
        .put_preset(Preset {
            name: "high".into(),
            weight: 10,
            precondition: json!({}),
            events: Default::default(),
            channel: "default".into(),
            schedule: None,
            configuration: json!({"parameters": [[INTERVAL, 900]]}),
        })
        .await
        .expect("preset");
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &periodic(), T0).await;
    assert_eq!(cpe.values[INTERVAL], Value::UnsignedInt(900));
    store
        .create_task(NewTask {
            device: device(),
            spec: TaskSpec::from_json(json!({"name": "reboot"})).expect("task"),
            expiry: None,
        })
        .await
        .expect("task");
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(cpe.names(), ["Reboot", "GetParameterValues"]);
}

#[tokio::test]
async fn a_genieacs_expression_precondition() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = store(&dir).await;
    let pre = json!(format!(
        "Tags.lab IS NOT NULL AND {VERSION} LIKE '1.%' AND Tags.seen IS NULL"
    ));
    preset(
        &store,
        "lab",
        &[],
        pre,
        json!({"tags": {"add": ["seen"]}, "parameters": [[INTERVAL, 1800]]}),
    )
    .await;
    let mut cpe = Cpe::new();
    session(&store, &mut cpe, &periodic(), T0).await;
    assert!(cpe.log.is_empty(), "no lab tag yet");
    store.add_tag(&device(), "lab").await.expect("tag");
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(1)),
    )
    .await;
    assert_eq!(cpe.names(), ["GetParameterValues", "SetParameterValues"]);
    cpe.values.insert(INTERVAL.into(), Value::UnsignedInt(5));
    session(
        &store,
        &mut cpe,
        &periodic(),
        T0.plus(Duration::from_secs(2)),
    )
    .await;
    assert!(
        cpe.log.is_empty(),
        "tagged seen: the precondition no longer holds"
    );
}
