use serde_json::json;

use super::*;
use crate::script::tree::Row;
use crate::store::Timestamp;

fn row(path: &str, v: Option<cwmp::Value>) -> Row {
    Row {
        path: path.into(),
        value: v,
        writable: Some(true),
        updated: Timestamp(1),
    }
}

fn tree() -> Tree {
    Tree::from_rows(vec![
        row("Device.WiFi.SSID.", None),
        row("Device.WiFi.SSID.1.", None),
        row(
            "Device.WiFi.SSID.1.SSID",
            Some(cwmp::Value::String("home".into())),
        ),
        row(
            "Device.WiFi.SSID.1.Enable",
            Some(cwmp::Value::Boolean(true)),
        ),
        row(
            "Device.ManagementServer.PeriodicInformInterval",
            Some(cwmp::Value::UnsignedInt(60)),
        ),
    ])
}

fn ask(preset: &str, needs: Vec<Need>, writes: Vec<Write>) -> PresetAsk {
    PresetAsk {
        preset: preset.into(),
        needs,
        writes,
    }
}

fn request(step: Option<Step>) -> (cwmp::Body, Vec<String>, Purpose) {
    match step {
        Some(Step::Rpc {
            request,
            presets,
            purpose,
        }) => (request, presets, purpose),
        other => panic!("not a request: {other:?}"),
    }
}

#[test]
fn listing_before_reading_and_reads_batched_across_presets() {
    let mut run = ProvisionRun::default();
    let asks = [
        ask("a", vec![Need::Value("Device.X".into())], vec![]),
        ask(
            "b",
            vec![
                Need::Subtree("Device.WiFi.".into()),
                Need::Value("Device.Y".into()),
            ],
            vec![],
        ),
    ];
    let (req, owners, purpose) = request(next_step(&asks, &tree(), &mut run));
    assert!(
        matches!(req, cwmp::Body::GetParameterNames(ref g) if g.parameter_path == "Device.WiFi." && !g.next_level)
    );
    assert_eq!(owners, ["b"]);
    assert_eq!(purpose, Purpose::Enumerate("Device.WiFi.".into()));
    assert!(run.deep.contains("Device.WiFi."));
    let asks = [
        ask("a", vec![Need::Value("Device.X".into())], vec![]),
        ask("b", vec![Need::Value("Device.Y".into())], vec![]),
    ];
    let (req, owners, _) = request(next_step(&asks, &tree(), &mut run));
    let cwmp::Body::GetParameterValues(g) = req else {
        panic!("GPV")
    };
    assert_eq!(g.parameter_names, ["Device.X", "Device.Y"]);
    assert_eq!(owners, ["a", "b"]);
}

#[test]
fn sets_take_the_device_type_then_adds_then_nothing() {
    let mut run = ProvisionRun::default();
    let set = |path: &str, v: Json| Write::Set {
        path: path.into(),
        desired: Desired { value: v, ty: None },
    };
    let asks = [ask(
        "a",
        vec![],
        vec![
            set(
                "Device.ManagementServer.PeriodicInformInterval",
                json!("300"),
            ),
            Write::Add {
                object: "Device.WiFi.SSID.".into(),
                alias: vec![("SSID".into(), "guest".into())],
            },
        ],
    )];
    let (req, _, purpose) = request(next_step(&asks, &tree(), &mut run));
    let cwmp::Body::SetParameterValues(s) = req else {
        panic!("SPV")
    };
    assert_eq!(s.parameter_list[0].value, cwmp::Value::UnsignedInt(300));
    assert_eq!(purpose, Purpose::Write);
    let asks = [ask(
        "a",
        vec![],
        vec![Write::Add {
            object: "Device.WiFi.SSID.".into(),
            alias: vec![("SSID".into(), "guest".into())],
        }],
    )];
    let (req, _, purpose) = request(next_step(&asks, &tree(), &mut run));
    assert!(matches!(req, cwmp::Body::AddObject(ref a) if a.object_name == "Device.WiFi.SSID."));
    assert_eq!(
        purpose,
        Purpose::ProvisionAdd(vec![("SSID".into(), "guest".into())])
    );
    // The alias of the new instance is set next, typed like its siblings.
    run.pending
        .push(("a".into(), "Device.WiFi.SSID.2.SSID".into(), json!("guest")));
    let (req, _, _) = request(next_step(&[], &tree(), &mut run));
    let cwmp::Body::SetParameterValues(s) = req else {
        panic!("SPV")
    };
    assert_eq!(s.parameter_list[0].name, "Device.WiFi.SSID.2.SSID");
    assert!(next_step(&[ask("a", vec![], vec![])], &tree(), &mut run).is_none());
}

#[test]
fn a_clear_forgets_older_leaves_under_its_path() {
    let p = |path: &str, t: i64| crate::store::Parameter {
        path: path.into(),
        value: None,
        writable: None,
        notification: None,
        access_list: None,
        updated: Timestamp(t),
    };
    let params = [
        p("Device.A", 5),
        p("Device.B", 50),
        p("Device.C.", 5),
        p("DeviceX.A", 5),
    ];
    let gone = cleared_rows(
        &params,
        &crate::script::Path::parse("Device").expect("path"),
        10,
    );
    assert_eq!(gone, ["Device.A"]);
}
