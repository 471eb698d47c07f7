use serde_json::json;

use super::*;

fn parse(v: Json) -> Result<TaskSpec, String> {
    TaskSpec::from_request(v).map(|r| r.spec).map_err(|e| e.0)
}

#[test]
fn genieacs_documented_tasks_parse() {
    for task in [
        json!({"name": "refreshObject", "objectName": ""}),
        json!({"name": "refreshObject", "objectName": "InternetGatewayDevice.WANDevice.1.WANConnectionDevice"}),
        json!({"name": "setParameterValues", "parameterValues": [
            ["InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID", "GenieACS", "xsd:string"]]}),
        json!({"name": "setParameterValues", "parameterValues": [
            ["InternetGatewayDevice.ManagementServer.UpgradesManaged", false],
            ["InternetGatewayDevice.Time.Enable", true],
            ["InternetGatewayDevice.Time.NTPServer1", "pool.ntp.org"]]}),
        json!({"name": "getParameterValues", "parameterNames": ["InternetGatewayDevice.Time.NTPServer1"]}),
        json!({"name": "addObject", "objectName": "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANPPPConnection"}),
        json!({"name": "reboot"}),
        json!({"name": "factoryReset"}),
        json!({"name": "download", "file": "mipsbe-6-42-lite.xml"}),
        json!({"name": "download", "fileType": "1 Firmware Upgrade Image", "fileName": "fw.bin",
            "targetFileName": "fw.bin"}),
        json!({"name": "getRPCMethods"}),
    ] {
        let spec = parse(task.clone()).unwrap_or_else(|e| panic!("{task}: {e}"));
        assert_eq!(spec.name(), task["name"]);
        // The canonical form parses back to the same task.
        assert_eq!(
            TaskSpec::from_stored(&spec.to_json()),
            Ok(spec.clone()),
            "{task}"
        );
    }
}

#[test]
fn object_paths_get_their_trailing_dot() {
    let add = parse(
        json!({"name": "addObject", "objectName": "Device.NAT.PortMapping",
        "parameterValues": [["ExternalPort", 8080], ["Enable", true, "xsd:boolean"]]}),
    )
    .expect("add");
    let TaskSpec::AddObject(AddInstance {
        object_name,
        parameter_values,
        ..
    }) = add
    else {
        panic!("not addObject")
    };
    assert_eq!(object_name, "Device.NAT.PortMapping.");
    assert_eq!(parameter_values[1].ty.as_deref(), Some("xsd:boolean"));
    let del = parse(json!({"name": "deleteObject", "objectName": "Device.NAT.PortMapping.2"}))
        .expect("delete");
    assert_eq!(
        del,
        TaskSpec::DeleteObject(DeleteInstance {
            object_name: "Device.NAT.PortMapping.2.".into(),
            parameter_key: None
        })
    );
}

#[test]
fn server_fields_are_ignored_and_expiry_read() {
    let r = TaskSpec::from_request(json!({"name": "reboot", "_id": "x", "device": "d",
        "timestamp": 1, "status": "pending", "expiry": 60}))
    .expect("ok");
    assert_eq!(r.spec, TaskSpec::Reboot(Command::default()));
    assert_eq!(r.expiry_secs, Some(60));
}

#[test]
fn refusals_name_the_field() {
    for (task, needle) in [
        (
            json!({"name": "getParameterValues", "parameterNames": []}),
            "parameterNames is empty",
        ),
        (json!({"name": "getParameterValues"}), "parameterNames"),
        (
            json!({"name": "getParameterValues", "parameterNames": ["A"], "bogus": 1}),
            "bogus",
        ),
        (
            json!({"name": "setParameterValues", "parameterValues": [["A"]]}),
            "[path, value, type?]",
        ),
        (
            json!({"name": "setParameterValues", "parameterValues": [["A", {"x": 1}]]}),
            "string, number or boolean",
        ),
        (
            json!({"name": "setParameterValues", "parameterValues": [["A", 1, "xsd:nope"]]}),
            "unknown type",
        ),
        (
            json!({"name": "setParameterValues", "parameterValues": [["A.", 1]]}),
            "object",
        ),
        (json!({"name": "addObject", "objectName": ""}), "objectName"),
        (
            json!({"name": "addObject", "objectName": "Device.X", "parameterValues": [["Device.X.1.A", 1]]}),
            "relative",
        ),
        (
            json!({"name": "reboot", "commandKey": "k".repeat(33)}),
            "commandKey",
        ),
        (json!({"name": "download"}), "exactly one"),
        (json!({"name": "download", "url": "http://x/f"}), "fileType"),
        (
            json!({"name": "download", "file": "a", "url": "http://x/f", "fileType": "1 Firmware Upgrade Image"}),
            "exactly one",
        ),
        (json!({"name": "upload"}), "fileType"),
        (
            json!({"name": "scheduleDownload", "file": "a"}),
            "timeWindows",
        ),
        (json!({"name": "frobnicate"}), "frobnicate"),
        (json!({"name": 3}), "name must be a string"),
        (json!({"parameterNames": ["A"]}), "name"),
        (json!(["reboot"]), "JSON object"),
        (
            json!({"name": "refreshObject", "objectName": "Device..X"}),
            "not a parameter path",
        ),
        (json!({"name": "reboot", "expiry": "soon"}), "expiry"),
    ] {
        let err = parse(task.clone()).expect_err(&task.to_string());
        assert!(err.contains(needle), "{task}: {err}");
    }
}

#[test]
fn stored_tasks_of_older_shapes_still_parse() {
    let old = json!({"name": "download", "fileType": "1 Firmware Upgrade Image",
        "url": "http://f/x", "_id": "x", "status": "pending"});
    let TaskSpec::Download(t) = TaskSpec::from_stored(&old).expect("old") else {
        panic!("not a download")
    };
    assert_eq!(t.url.as_deref(), Some("http://f/x"));
}
