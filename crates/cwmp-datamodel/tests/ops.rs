//! TR-069 Annex A semantics on the inline mini model: every fault path.

mod common;

use common::{mini_model_with, mini_tree, notification};
use cwmp::rpc::{Notification, ParameterValueStruct, SetParameterAttributesStruct};
use cwmp::{FaultCode, Value};
use cwmp_datamodel::{
    ApplyStatus, Backend, BackendError, Change, MemoryBackend, ModelOptions, NoBackend, Tree,
};

const MS: &str = "Device.ManagementServer.";

fn gpv(t: &Tree, names: &[&str]) -> Vec<(String, Value)> {
    t.get_parameter_values(names, &NoBackend)
        .expect("gpv")
        .into_iter()
        .map(|p| (p.name, p.value))
        .collect()
}

fn one(t: &Tree, name: &str) -> Value {
    gpv(t, &[name]).remove(0).1
}

fn pv(name: &str, v: Value) -> ParameterValueStruct {
    common::pv(name, v)
}

fn spv(t: &mut Tree, list: &[ParameterValueStruct]) -> Result<ApplyStatus, cwmp_datamodel::Fault> {
    t.set_parameter_values(list, "key-1", &mut NoBackend)
}

fn spv_fault_codes(t: &mut Tree, list: &[ParameterValueStruct]) -> Vec<(String, u32)> {
    let f = spv(t, list).expect_err("must fail");
    assert_eq!(f.code, FaultCode::INVALID_ARGUMENTS);
    f.parameters
        .into_iter()
        .map(|p| (p.name, p.code.value()))
        .collect()
}

#[test]
fn gpv_full_partial_empty_and_dedup() {
    let t = mini_tree();
    assert_eq!(
        one(&t, "Device.ManagementServer.PeriodicInformInterval"),
        Value::UnsignedInt(86400)
    );
    assert_eq!(one(&t, "Device.DeviceInfo.HostName"), Value::string("box"));
    assert_eq!(one(&t, "Device.Interface.1.Enable"), Value::Boolean(true));
    // Secured parameters read back as the null value.
    assert_eq!(
        one(&t, "Device.ManagementServer.Password"),
        Value::string("")
    );
    assert_eq!(
        one(&t, "Device.InterfaceNumberOfEntries"),
        Value::UnsignedInt(1)
    );
    let sub = gpv(&t, &["Device.Interface.1."]);
    let names: Vec<&str> = sub.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "Device.Interface.1.Enable",
            "Device.Interface.1.Alias",
            "Device.Interface.1.Name",
            "Device.Interface.1.AddressNumberOfEntries",
            "Device.Interface.1.Stats.BytesSent",
            "Device.Interface.1.Address.1.IP",
        ]
    );
    assert_eq!(one(&t, "Device.Interface.1.Alias"), Value::string("cpe-1"));
    let table = gpv(&t, &["Device.Interface."]);
    assert_eq!(table.len(), sub.len());
    let all = gpv(&t, &[""]);
    assert!(all.len() > sub.len());
    let dup = gpv(
        &t,
        &[
            "Device.Interface.1.",
            "Device.Interface.1.Name",
            "Device.Interface.",
        ],
    );
    assert_eq!(dup.len(), sub.len());
    assert!(all.iter().any(|p| p.0 == "Device.DeviceInfo.X_ACME_Led"));
}

#[test]
fn gpv_unknown_names_fault_9005() {
    let t = mini_tree();
    for bad in [
        "Device.Nope",
        "Device.Interface.2.Enable",
        "Device.Interface.2.",
        "Device.Interface.1.Address.7.",
        "Device.DeviceInfo",
        "Device..X",
        "Device.Interface.0.",
        "InternetGatewayDevice.",
    ] {
        let f = t
            .get_parameter_values(&["Device.DeviceInfo.HostName", bad], &NoBackend)
            .expect_err(bad);
        assert_eq!(f.code, FaultCode::INVALID_PARAMETER_NAME, "{bad}");
    }
}

#[test]
fn gpn_next_level_rules() {
    let t = mini_tree();
    let root = t.get_parameter_names("", true).expect("gpn");
    assert_eq!(root.len(), 1);
    assert_eq!(
        (root[0].name.as_str(), root[0].writable),
        ("Device.", false)
    );
    let f = t
        .get_parameter_names("Device.DeviceInfo.HostName", true)
        .expect_err("9003");
    assert_eq!(f.code, FaultCode::INVALID_ARGUMENTS);
    let p = t
        .get_parameter_names("Device.DeviceInfo.HostName", false)
        .expect("gpn");
    assert_eq!(p.len(), 1);
    assert!(p[0].writable);
    let next: Vec<(String, bool)> = t
        .get_parameter_names("Device.", true)
        .expect("gpn")
        .into_iter()
        .map(|i| (i.name, i.writable))
        .collect();
    assert!(next.contains(&("Device.DeviceInfo.".into(), false)));
    assert!(next.contains(&("Device.Interface.".into(), true)));
    assert!(next.contains(&("Device.Host.".into(), false)));
    assert!(next.contains(&("Device.InterfaceNumberOfEntries".into(), false)));
    assert!(
        !next
            .iter()
            .any(|(n, _)| n.starts_with("Device.DeviceInfo.H"))
    );
    let rows = t
        .get_parameter_names("Device.Interface.", true)
        .expect("gpn");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "Device.Interface.1.");
    assert!(rows[0].writable);
    let sub = t
        .get_parameter_names("Device.Interface.1.", false)
        .expect("gpn");
    assert_eq!(sub[0].name, "Device.Interface.1.");
    assert!(
        sub.iter()
            .any(|i| i.name == "Device.Interface.1.Stats." && !i.writable)
    );
    assert!(
        sub.iter()
            .any(|i| i.name == "Device.Interface.1.Address." && i.writable)
    );
    let all = t.get_parameter_names("", false).expect("gpn");
    assert_eq!(all[0].name, "Device.");
    let mut names: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "no duplicates");
    assert_eq!(
        t.get_parameter_names("Device.Nope.", false)
            .expect_err("9005")
            .code,
        FaultCode::INVALID_PARAMETER_NAME
    );
}

#[test]
fn spv_success_sets_values_and_key() {
    let mut t = mini_tree();
    let st = spv(
        &mut t,
        &[
            pv(
                "Device.ManagementServer.PeriodicInformInterval",
                Value::UnsignedInt(300),
            ),
            pv("Device.ManagementServer.URL", Value::string("http://acs")),
            pv(
                "Device.ManagementServer.PeriodicInformEnable",
                Value::Untyped("1".into()),
            ),
            pv("Device.ManagementServer.Even", Value::Int(-4)),
            pv("Device.ManagementServer.Load", Value::string("1.25")),
            pv(
                "Device.ManagementServer.Blob",
                Value::Base64(vec![1, 2, 3, 4]),
            ),
            pv(
                "Device.ManagementServer.Mac",
                Value::string("00:11:22:aa:BB:cc"),
            ),
            pv("Device.ManagementServer.Servers", Value::string("a, b")),
            pv("Device.ManagementServer.Mode", Value::string("Off")),
            pv("Device.ManagementServer.Big", Value::UnsignedLong(u64::MAX)),
            pv("Device.ManagementServer.Password", Value::string("secret")),
            pv("Device.DeviceInfo.X_ACME_Led", Value::string("Off")),
        ],
    )
    .expect("spv");
    assert_eq!(st, ApplyStatus::Applied);
    assert_eq!(t.parameter_key(), "key-1");
    assert_eq!(
        one(&t, "Device.ManagementServer.ParameterKey"),
        Value::string("key-1")
    );
    assert_eq!(
        one(&t, "Device.ManagementServer.PeriodicInformInterval"),
        Value::UnsignedInt(300)
    );
    assert_eq!(
        one(&t, "Device.ManagementServer.PeriodicInformEnable"),
        Value::Boolean(true)
    );
    assert_eq!(
        one(&t, "Device.ManagementServer.Servers"),
        Value::string("a,b")
    );
    assert_eq!(
        one(&t, "Device.ManagementServer.Password"),
        Value::string("")
    );
    assert_eq!(
        t.stored_value("Device.ManagementServer.Password"),
        Some(Value::string("secret"))
    );
    // An empty string matches the empty pattern.
    spv(
        &mut t,
        &[pv("Device.ManagementServer.Mac", Value::string(""))],
    )
    .expect("empty");
}

#[test]
fn spv_fault_per_parameter() {
    let mut t = mini_tree();
    let before = t.clone();
    let got = spv_fault_codes(
        &mut t,
        &[
            pv("Device.ManagementServer.URL", Value::string("ok")),
            pv("Device.ManagementServer.Nope", Value::string("x")),
            pv("Device.Interface.9.Enable", Value::Boolean(true)),
            pv("Device.Interface.1.", Value::string("x")),
            pv("Device.DeviceInfo.UpTime", Value::UnsignedInt(1)),
            pv("Device.InterfaceNumberOfEntries", Value::UnsignedInt(1)),
            pv(
                "Device.ManagementServer.PeriodicInformInterval",
                Value::string("60"),
            ),
            pv(
                "Device.ManagementServer.PeriodicInformEnable",
                Value::Int(1),
            ),
            pv(
                "Device.ManagementServer.Big",
                Value::Other {
                    xsi_type: "float".into(),
                    text: "1".into(),
                },
            ),
            pv("Device.ManagementServer.Even", Value::Int(3)),
            pv("Device.ManagementServer.Even", Value::Int(4)),
        ],
    );
    assert_eq!(
        got,
        [
            ("Device.ManagementServer.Nope".to_string(), 9005),
            ("Device.Interface.9.Enable".into(), 9005),
            ("Device.Interface.1.".into(), 9005),
            ("Device.DeviceInfo.UpTime".into(), 9008),
            ("Device.InterfaceNumberOfEntries".into(), 9008),
            (
                "Device.ManagementServer.PeriodicInformInterval".into(),
                9006
            ),
            ("Device.ManagementServer.PeriodicInformEnable".into(), 9006),
            ("Device.ManagementServer.Big".into(), 9006),
            ("Device.ManagementServer.Even".into(), 9007),
            ("Device.ManagementServer.Even".into(), 9003),
        ]
    );
    assert_eq!(t, before, "nothing changed");
    assert_eq!(t.parameter_key(), "");
}

#[test]
fn spv_value_faults_9007() {
    let mut t = mini_tree();
    let ms = |n: &str| format!("{MS}{n}");
    let cases: Vec<(String, Value)> = vec![
        (ms("PeriodicInformInterval"), Value::UnsignedInt(0)),
        (ms("PeriodicInformInterval"), Value::Untyped("-5".into())),
        (
            ms("PeriodicInformInterval"),
            Value::Other {
                xsi_type: "unsignedInt".into(),
                text: "-1".into(),
            },
        ),
        (ms("PeriodicInformEnable"), Value::Untyped("yes".into())),
        (ms("Even"), Value::Int(12)),
        (ms("Load"), Value::string("1.6")),
        (ms("Load"), Value::string("abc")),
        (ms("When"), Value::Untyped("yesterday".into())),
        (ms("Blob"), Value::Base64(vec![0; 5])),
        (ms("Mac"), Value::string("00:11:22:33:44")),
        (ms("Servers"), Value::string("a,b,c")),
        (
            ms("Servers"),
            Value::string("a,bbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        ),
        (ms("Mode"), Value::string("Maybe")),
        (ms("Mode"), Value::string("Auto")),
        (ms("URL"), Value::string("x".repeat(257))),
        (
            "Device.DeviceInfo.X_ACME_Led".into(),
            Value::string("Blink"),
        ),
    ];
    for (name, v) in cases {
        let got = spv_fault_codes(&mut t, &[pv(&name, v.clone())]);
        assert_eq!(got, [(name.clone(), 9007)], "{name} = {v:?}");
    }
}

#[test]
fn spv_parameter_key_too_long_and_status_from_backend() {
    let mut t = mini_tree();
    let f = t
        .set_parameter_values(&[], &"k".repeat(33), &mut NoBackend)
        .expect_err("9003");
    assert_eq!(f.code, FaultCode::INVALID_ARGUMENTS);
    let reboot = std::sync::Arc::new(["Device.ManagementServer.URL".into()].into_iter().collect());
    let mut b = MemoryBackend::new().with_reboot_params(reboot);
    let st = t
        .set_parameter_values(
            &[pv("Device.ManagementServer.URL", Value::string("u"))],
            "k",
            &mut b,
        )
        .expect("spv");
    assert_eq!(st, ApplyStatus::Pending);
    assert_eq!(st.code(), 1);
}

struct Failing;
impl Backend for Failing {
    fn apply(&mut self, _: &[Change<'_>]) -> Result<ApplyStatus, BackendError> {
        Err(BackendError::Refused("no".into()))
    }
    fn object_added(&mut self, _: &str) -> Result<ApplyStatus, BackendError> {
        Err(BackendError::Refused("no".into()))
    }
    fn object_deleted(&mut self, _: &str) -> Result<ApplyStatus, BackendError> {
        Err(BackendError::Refused("no".into()))
    }
}

#[test]
fn backend_failure_changes_nothing() {
    let mut t = mini_tree();
    let before = t.clone();
    let f = t
        .set_parameter_values(
            &[pv("Device.ManagementServer.URL", Value::string("u"))],
            "k",
            &mut Failing,
        )
        .expect_err("9002");
    assert_eq!(f.code, FaultCode::INTERNAL_ERROR);
    assert_eq!(
        t.delete_object("Device.Interface.1.", "k", &mut Failing)
            .expect_err("9002")
            .code,
        FaultCode::INTERNAL_ERROR
    );
    assert_eq!(t, before);
    assert!(
        t.add_object("Device.Interface.", "k", &mut Failing)
            .is_err()
    );
    assert_eq!(t.parameter_key(), "");
    // The number was consumed, never reused.
    let r = t
        .add_object("Device.Interface.", "k", &mut NoBackend)
        .expect("add");
    assert_eq!(r.instance_number, 3);
}

#[test]
fn attributes_set_get_and_faults() {
    let mut t = mini_tree();
    let ch = notification;
    t.set_parameter_attributes(&[ch("Device.DeviceInfo.HostName", 2)])
        .expect("spa");
    t.set_parameter_attributes(&[SetParameterAttributesStruct {
        name: "Device.Interface.1.".into(),
        notification_change: true,
        notification: Notification::Passive,
        access_list_change: true,
        access_list: vec!["Subscriber".into()],
    }])
    .expect("partial path");
    let a = t
        .get_parameter_attributes(&[
            "Device.DeviceInfo.",
            "Device.Interface.1.Name",
            "Device.Interface.1.",
        ])
        .expect("gpa");
    let get = |n: &str| a.iter().find(|x| x.name == n).expect(n);
    let n = |n: &str| get(n).notification.value();
    assert_eq!(n("Device.DeviceInfo.HostName"), 2);
    assert_eq!(n("Device.DeviceInfo.SoftwareVersion"), 2, "forced");
    assert_eq!(n("Device.DeviceInfo.UpTime"), 0);
    assert_eq!(n("Device.Interface.1.Name"), 1);
    assert_eq!(get("Device.Interface.1.Name").access_list, ["Subscriber"]);
    assert_eq!(n("Device.Interface.1.Address.1.IP"), 1);
    assert_eq!(
        a.iter()
            .filter(|x| x.name == "Device.Interface.1.Name")
            .count(),
        1
    );
    let ms = t
        .get_parameter_attributes(&["Device.ManagementServer.ConnectionRequestURL"])
        .expect("gpa");
    assert_eq!(
        ms[0].notification,
        Notification::Active,
        "forceDefaultEnabled"
    );

    let before = t.clone();
    let code = |t: &mut Tree, c: SetParameterAttributesStruct| {
        t.set_parameter_attributes(&[ch("Device.DeviceInfo.HostName", 0), c])
            .expect_err("fault")
            .code
            .value()
    };
    assert_eq!(
        code(&mut t, ch("Device.DeviceInfo.SoftwareVersion", 0)),
        9009
    );
    assert_eq!(code(&mut t, ch("Device.DeviceInfo.UpTime", 2)), 9009);
    assert_eq!(code(&mut t, ch("Device.DeviceInfo.HostName", 3)), 9009);
    assert_eq!(code(&mut t, ch("Device.DeviceInfo.HostName", 7)), 9003);
    assert_eq!(code(&mut t, ch("Device.Nope", 1)), 9005);
    let bad_acl = SetParameterAttributesStruct {
        name: "Device.DeviceInfo.HostName".into(),
        notification_change: false,
        notification: Notification::Off,
        access_list_change: true,
        access_list: vec!["Everyone".into()],
    };
    assert_eq!(code(&mut t, bad_acl), 9003);
    assert_eq!(t, before, "SPA is all or nothing");
    // Passive on canDeny is fine; a partial path skips forced/denied parameters.
    t.set_parameter_attributes(&[ch("Device.DeviceInfo.UpTime", 1)])
        .expect("passive ok");
    t.set_parameter_attributes(&[ch("Device.DeviceInfo.", 2)])
        .expect("subtree");
    let a = t
        .get_parameter_attributes(&["Device.DeviceInfo."])
        .expect("gpa");
    let get = |n: &str| {
        a.iter()
            .find(|x| x.name == n)
            .expect(n)
            .notification
            .value()
    };
    assert_eq!(get("Device.DeviceInfo.UpTime"), 1);
    assert_eq!(get("Device.DeviceInfo.HostName"), 2);
    // Lightweight notification when enabled; canDeny allowed when not denied.
    let opts = ModelOptions {
        allow_lightweight_notification: true,
        deny_active_on_can_deny: false,
    };
    let mut t2 = Tree::new(mini_model_with(opts));
    t2.set_parameter_attributes(&[
        ch("Device.DeviceInfo.HostName", 6),
        ch("Device.DeviceInfo.UpTime", 2),
    ])
    .expect("allowed");
    assert_eq!(
        t.get_parameter_attributes(&["Device.Nope."])
            .expect_err("9005")
            .code,
        FaultCode::INVALID_PARAMETER_NAME
    );
}

#[test]
fn add_and_delete_objects() {
    let mut t = mini_tree();
    let r = t
        .add_object("Device.Interface.", "a1", &mut NoBackend)
        .expect("add");
    assert_eq!((r.instance_number, r.status), (2, ApplyStatus::Applied));
    assert_eq!(t.parameter_key(), "a1");
    assert_eq!(
        one(&t, "Device.InterfaceNumberOfEntries"),
        Value::UnsignedInt(2)
    );
    // Defaults: object default, CPE-assigned alias, single-instance child created.
    assert_eq!(one(&t, "Device.Interface.2.Enable"), Value::Boolean(false));
    assert_eq!(one(&t, "Device.Interface.2.Alias"), Value::string("cpe-2"));
    assert!(t.exists("Device.Interface.2.Stats."));
    assert_eq!(
        one(&t, "Device.Interface.2.AddressNumberOfEntries"),
        Value::UnsignedInt(0)
    );
    let a = t
        .add_object("Device.Interface.2.Address.", "a2", &mut NoBackend)
        .expect("nested");
    assert_eq!(a.instance_number, 1);
    assert_eq!(
        t.add_object("Device.Interface.", "a3", &mut NoBackend)
            .expect("3rd")
            .instance_number,
        3
    );
    // maxEntries = 3.
    assert_eq!(
        t.add_object("Device.Interface.", "x", &mut NoBackend)
            .expect_err("full")
            .code,
        FaultCode::RESOURCES_EXCEEDED
    );
    for bad in [
        "Device.Host.",        // read-only table
        "Device.DeviceInfo.",  // single-instance
        "Device.Interface.1.", // a row, not a table
        "Device.Interface",    // no trailing dot
        "Device.Nope.",
        "Device.Interface.9.Address.",
    ] {
        assert_eq!(
            t.add_object(bad, "x", &mut NoBackend).expect_err(bad).code,
            FaultCode::INVALID_PARAMETER_NAME,
            "{bad}"
        );
    }
    t.delete_object("Device.Interface.2.", "d1", &mut NoBackend)
        .expect("delete");
    assert_eq!(t.parameter_key(), "d1");
    assert!(!t.exists("Device.Interface.2.Address.1.IP"));
    assert!(!t.exists("Device.Interface.2.Stats."));
    assert_eq!(
        one(&t, "Device.InterfaceNumberOfEntries"),
        Value::UnsignedInt(2)
    );
    for bad in [
        "Device.Interface.2.",
        "Device.Interface.",
        "Device.DeviceInfo.",
        "Device.Interface.1.Stats.",
        "Device.Interface.1.Name",
    ] {
        assert_eq!(
            t.delete_object(bad, "x", &mut NoBackend)
                .expect_err(bad)
                .code,
            FaultCode::INVALID_PARAMETER_NAME,
            "{bad}"
        );
    }
    // Numbers are never reused.
    assert_eq!(
        t.add_object("Device.Interface.", "a4", &mut NoBackend)
            .expect("add")
            .instance_number,
        4
    );
    assert_eq!(t.instance_numbers("Device.Interface."), Some(vec![1, 3, 4]));
}
