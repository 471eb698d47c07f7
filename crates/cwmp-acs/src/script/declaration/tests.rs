use std::collections::HashSet;

use serde_json::json;

use super::*;
use crate::script::tree::Row;
use crate::store::Timestamp;

fn row(path: &str, v: Option<&str>, updated: i64) -> Row {
    Row {
        path: path.into(),
        value: v.map(|s| cwmp::Value::String(s.into())),
        writable: Some(true),
        updated: Timestamp(updated),
    }
}

#[test]
fn parses_timestamps_and_values_as_genieacs() {
    let d = Declaration::parse(
        "Device.X.*.Y",
        &json!({"path": 5, "value": 0}),
        &json!({"value": ["v", "xsd:string"], "path": 2}),
    )
    .expect("declaration");
    assert_eq!(d.path_get, 5);
    assert_eq!(d.path_set, Some(2));
    assert_eq!(
        d.attr_get.get("value"),
        Some(&1),
        "a timestamp below 1 is ignored; a value implies 1"
    );
    assert_eq!(
        d.value_set,
        Some(Desired {
            value: json!("v"),
            ty: Some("xsd:string".into())
        })
    );
    for (ts, vals) in [
        (json!({}), json!({"value": {"a": 1}})),
        (json!({}), json!({"path": -1})),
        (json!({}), json!({"bogus": 1})),
        (json!("x"), json!({})),
    ] {
        assert!(
            Declaration::parse("Device.X", &ts, &vals).is_err(),
            "{ts} {vals}"
        );
    }
    assert!(Declaration::parse("Device..X", &json!({}), &json!({})).is_err());
}

#[test]
fn unknown_objects_are_listed_before_their_values_are_read() {
    let tree = Tree::from_rows(vec![
        row("Device.WiFi.", None, 1),
        row("Device.WiFi.SSID.", None, 1),
    ]);
    let empty = HashSet::new();
    let known = Known {
        enumerated: &empty,
        deep: &empty,
        read: &empty,
        virtual_pending: &empty,
    };
    let d = Declaration::parse(
        "Device.WiFi.SSID.*.SSID",
        &json!({"path": 500, "value": 500}),
        &json!({}),
    )
    .expect("d");
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert_eq!(needs, vec![Need::Subtree("Device.WiFi.SSID.".into())]);

    let tree = Tree::from_rows(vec![
        row("Device.WiFi.SSID.", None, 600),
        row("Device.WiFi.SSID.1.", None, 600),
        row("Device.WiFi.SSID.1.SSID", Some("a"), 400),
    ]);
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert_eq!(needs, vec![Need::Value("Device.WiFi.SSID.1.SSID".into())]);

    // Read in this session: satisfied whatever its timestamp.
    let read: HashSet<String> = ["Device.WiFi.SSID.1.SSID".to_owned()].into();
    let mut needs = Vec::new();
    d.needs(
        &tree,
        Known {
            enumerated: &empty,
            deep: &empty,
            read: &read,
            virtual_pending: &empty,
        },
        &mut needs,
    );
    assert!(needs.is_empty());

    // A missing leaf under a known object: the object is listed once, then it is absent.
    let d =
        Declaration::parse("Device.WiFi.SSID.1.Nope", &json!({"value": 1}), &json!({})).expect("d");
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert_eq!(needs, vec![Need::Names("Device.WiFi.SSID.1.".into())]);
    let listed: HashSet<String> = ["Device.WiFi.SSID.1.".to_owned()].into();
    let mut needs = Vec::new();
    d.needs(
        &tree,
        Known {
            enumerated: &listed,
            deep: &empty,
            read: &empty,
            virtual_pending: &empty,
        },
        &mut needs,
    );
    assert!(needs.is_empty());
    // Nothing is listed under a leaf.
    let d = Declaration::parse(
        "Device.WiFi.SSID.1.SSID.X",
        &json!({"value": 1}),
        &json!({}),
    )
    .expect("d");
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert!(needs.is_empty(), "{needs:?}");
    let d = Declaration::parse("Device.WiFi.SSID.1.SSID.*", &json!({"path": 9}), &json!({}))
        .expect("d");
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert!(needs.is_empty(), "{needs:?}");
    // Another data model's root is simply absent.
    let d =
        Declaration::parse("InternetGatewayDevice.X", &json!({"value": 1}), &json!({})).expect("d");
    let mut needs = Vec::new();
    d.needs(&tree, known, &mut needs);
    assert!(needs.is_empty());
}

#[test]
fn values_equal_as_the_device_types_them_are_not_written() {
    let cur = cwmp::Value::Boolean(true);
    assert!(same_value(
        Some(&cur),
        &Desired {
            value: json!(true),
            ty: None
        }
    ));
    assert!(same_value(
        Some(&cur),
        &Desired {
            value: json!("1"),
            ty: None
        }
    ));
    assert!(!same_value(
        Some(&cur),
        &Desired {
            value: json!(false),
            ty: None
        }
    ));
    let n = cwmp::Value::UnsignedInt(300);
    assert!(same_value(
        Some(&n),
        &Desired {
            value: json!(300),
            ty: None
        }
    ));
    assert!(!same_value(
        None,
        &Desired {
            value: json!(300),
            ty: None
        }
    ));
}
