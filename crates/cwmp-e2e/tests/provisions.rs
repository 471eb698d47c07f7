//! GenieACS provision scripts and virtual parameters end to end: the real `cwmp-acs` and a
//! simulated TR-181 fleet (`cwmp-sim`). Scripts written as GenieACS's documentation writes
//! them (`docs/provisions.rst`, `docs/virtual-parameters.rst`) converge on every device; a
//! script that loops forever faults its own device's preset and the fleet goes on.

mod common;

use std::collections::BTreeMap;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{Value as Json, json};

use common::acs::Acs;
use common::api::Api;
use common::{GUARD, enc, eventually};

/// Sets the first SSID from the serial number, makes sure a guest SSID exists (alias
/// filter), disables it, and reads a virtual parameter.
const WIFI: &str = r#"
const sn = declare("DeviceID.SerialNumber", {value: 1}).value[0];
declare("Device.WiFi.SSID.1.SSID", {value: Date.now()}, {value: "wifi-" + sn});
declare("Device.WiFi.SSID.[SSID:guest-" + sn + "]", {path: Date.now()}, {path: 1});
declare("Device.WiFi.SSID.[SSID:guest-" + sn + "].Enable", {value: 1}, {value: false});
const up = declare("VirtualParameters.uptimeHours", {value: Date.now()});
log("uptime " + up.value[0]);
declare("VirtualParameters.secondSsid", {value: Date.now()}, {value: "vp-" + sn});
"#;

/// A writable virtual parameter, as docs/virtual-parameters.rst writes them: `args[1]` holds
/// the value to set.
const SECOND_SSID: &str = r#"
let m;
if (args[1].value) {
  m = args[1].value[0];
  declare("Device.WiFi.SSID.2.SSID", null, {value: m});
} else {
  m = declare("Device.WiFi.SSID.2.SSID", {value: Date.now()}).value[0];
}
return {writable: true, value: [m, "xsd:string"]};
"#;

/// A virtual parameter computed from a CPE parameter.
const UPTIME_HOURS: &str = r#"
const up = declare("Device.DeviceInfo.UpTime", {value: Date.now()});
return {writable: false, value: [Math.floor(Number(up.value[0]) / 3600), "xsd:int"]};
"#;

async fn put_script(api: &Api, path: &str, text: &str) -> (StatusCode, Json) {
    let a = api
        .send(
            "PUT",
            path,
            &[("content-type", "application/javascript")],
            Bytes::from(text.to_owned()),
        )
        .await;
    (a.status, a.body)
}

/// Device ids by serial number.
async fn devices(api: &Api, n: usize) -> BTreeMap<String, String> {
    eventually("every simulated device in the API", GUARD, async || {
        let list = api.get("/devices").await;
        let ids: BTreeMap<String, String> = list
            .as_array()?
            .iter()
            .filter_map(|d| {
                Some((
                    d["_deviceId"]["_SerialNumber"].as_str()?.to_owned(),
                    d["_id"].as_str()?.to_owned(),
                ))
            })
            .collect();
        (ids.len() == n).then_some(ids)
    })
    .await
}

/// The value of `path` in a device document, as text (strings, numbers and booleans).
fn value(doc: &Json, path: &str) -> Option<String> {
    let leaf = path
        .split('.')
        .try_fold(doc, |node, seg| node.get(seg))?
        .get("_value")?;
    match leaf {
        Json::String(s) => Some(s.clone()),
        Json::Null => None,
        other => Some(other.to_string()),
    }
}

fn guest_ssids(doc: &Json, sn: &str) -> Vec<String> {
    (1..=8)
        .filter(|i| {
            value(doc, &format!("Device.WiFi.SSID.{i}.SSID")) == Some(format!("guest-{sn}"))
        })
        .map(|i| format!("Device.WiFi.SSID.{i}"))
        .collect()
}

#[tokio::test]
async fn provision_scripts_converge_and_an_endless_loop_faults_only_its_device() {
    // Unoptimised test builds run scripts slowly: a generous wall time, still finite.
    let acs = Acs::start(&[("CWMP_ACS_SCRIPTS", "{ wall_time_ms = 3000 }")]);
    let api = acs.api.clone();

    // The API: a script that does not compile is refused with its position.
    let (status, body) = put_script(&api, "/provisions/broken", "const a = 1;\nlet = = 2;").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fault"]["line"], 2, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("SyntaxError")),
        "{body}"
    );
    for (path, text) in [
        ("/provisions/wifi", WIFI),
        ("/provisions/forever", "while (true) {}"),
        ("/virtual_parameters/uptimeHours", UPTIME_HOURS),
        ("/virtual_parameters/secondSsid", SECOND_SSID),
    ] {
        let (status, body) = put_script(&api, path, text).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let listed = api
        .get(&format!("/provisions?query={}", enc(r#"{"_id":"wifi"}"#)))
        .await;
    assert_eq!(listed, json!([{"_id": "wifi", "script": WIFI}]));
    api.put(
        "/presets/wifi",
        json!({"weight": 0, "configurations": [{"type": "provision", "name": "wifi"}]}),
    )
    .await;
    api.put(
        "/presets/loop",
        json!({"weight": 1, "precondition": {"_deviceId._SerialNumber": "SIM00000002"},
               "configurations": [{"type": "provision", "name": "forever"}]}),
    )
    .await;

    let _sim = common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "3",
            "--model",
            "tr181",
            "--inform-interval",
            "5",
        ],
    );
    let ids = devices(&api, 3).await;

    for (sn, id) in &ids {
        let doc = eventually(&format!("{sn} provisioned"), GUARD, async || {
            let doc = api.device(id).await?;
            let ssid_set = value(&doc, "Device.WiFi.SSID.1.SSID") == Some(format!("wifi-{sn}"));
            let guests = guest_ssids(&doc, sn);
            let disabled = guests.len() == 1
                && value(&doc, &format!("{}.Enable", guests[0]))
                    .is_some_and(|v| v == "false" || v == "0");
            let vparam = value(&doc, "VirtualParameters.uptimeHours").is_some()
                && value(&doc, "VirtualParameters.secondSsid") == Some(format!("vp-{sn}"))
                && value(&doc, "Device.WiFi.SSID.2.SSID") == Some(format!("vp-{sn}"));
            (ssid_set && disabled && vparam).then_some(doc)
        })
        .await;
        // Exactly one guest SSID however many sessions ran.
        assert_eq!(guest_ssids(&doc, sn).len(), 1, "{sn}: {doc}");
    }

    // The first session read, set and added; later sessions, with everything in place,
    // only read what the script wants fresh in every session (`Date.now()` timestamps).
    let first_id = &ids["SIM00000001"];
    let first = acs
        .session_finished("the bootstrap session", 0, first_id, |e| {
            e.iter().any(|e| e == "0 BOOTSTRAP")
        })
        .await;
    let sent = acs.requests_sent(first_id, 0, first.index);
    println!("bootstrap session requests: {sent:?}");
    for method in ["GetParameterValues", "SetParameterValues", "AddObject"] {
        assert!(sent.iter().any(|m| m == method), "{method} in {sent:?}");
    }
    let periodic = |e: &[String]| e.iter().any(|e| e == "2 PERIODIC");
    let a = acs
        .session_finished("a periodic session", first.index + 1, first_id, periodic)
        .await;
    let b = acs
        .session_finished("the next periodic session", a.index + 1, first_id, periodic)
        .await;
    let later = acs.requests_sent(first_id, a.index + 1, b.index + 1);
    assert!(
        later.iter().all(|m| m.starts_with("Get")),
        "a converged device is not changed again: {later:?}"
    );

    // The looping device has a script.timeout fault on the loop preset's channel; the
    // others have no fault at all.
    let faults = eventually("the loop fault", GUARD, async || {
        let f = api.get("/faults").await;
        let list = f.as_array()?.clone();
        list.iter()
            .any(|f| f["code"] == "script.timeout")
            .then_some(list)
    })
    .await;
    let looping = &ids["SIM00000002"];
    for f in &faults {
        assert_eq!(
            f["device"],
            json!(looping),
            "only the looping device faults: {f}"
        );
        assert_eq!(f["channel"], "preset:loop", "{f}");
    }

    // A dry run against the stored device: declarations and what it would change, nothing
    // sent.
    let a = api
        .call(
            "POST",
            &format!("/provisions/wifi/dry_run?device={}", enc(&ids["SIM00000001"])),
            Some(json!({"script": "declare('Device.WiFi.SSID.1.SSID', {value: 1}, {value: 'other'}); log('x');"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["fault"], Json::Null, "{}", a.body);
    assert_eq!(a.body["logs"], json!(["x"]));
    assert_eq!(a.body["declarations"][0]["path"], "Device.WiFi.SSID.1.SSID");
    assert_eq!(
        a.body["writes"][0]["path"], "Device.WiFi.SSID.1.SSID",
        "{}",
        a.body
    );
}

/// `cwmp-acs seed genieacs-defaults` on the ACS's data directory; its output.
fn seed(acs: &Acs) -> String {
    let out = std::process::Command::new(cwmp_testkit::process::workspace_bin("cwmp-acs"))
        .args(["seed", "genieacs-defaults"])
        .env_remove("CWMP_ACS_CONFIG")
        .env("CWMP_ACS_DATA_DIR", acs.data_dir())
        .output()
        .expect("run cwmp-acs seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn genieacs_default_provisions_run_on_tr181_and_tr098_devices() {
    let acs = Acs::start(&[("CWMP_ACS_SCRIPTS", "{ wall_time_ms = 3000 }")]);
    let api = acs.api.clone();
    let first = seed(&acs);
    assert_eq!(first.matches("installed").count(), 6, "{first}");
    let again = seed(&acs);
    assert_eq!(again.matches("kept (exists)").count(), 6, "{again}");
    let presets = api.get("/presets").await;
    assert_eq!(presets.as_array().map(Vec::len), Some(3), "{presets}");

    let _tr181 = common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "1",
            "--model",
            "tr181",
            "--serial-pattern",
            "A{n:04}",
        ],
    );
    let _tr098 = common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "1",
            "--model",
            "tr098",
            "--serial-pattern",
            "B{n:04}",
        ],
    );
    // The real agent too (TR-181 from the Broadband Forum XML), when the reference files are
    // beside the checkout.
    let datamodels = common::datamodels_dir();
    let _agent = match &datamodels {
        Some(dir) => Some(common::agent::Agent::start(dir, &acs.cwmp_url()).await),
        None => None,
    };
    let ids = devices(&api, if datamodels.is_some() { 3 } else { 2 }).await;
    for (sn, id) in &ids {
        let root = if sn.starts_with('B') {
            "InternetGatewayDevice"
        } else {
            "Device"
        };
        eventually(
            &format!("{sn}: the inform provision applied"),
            GUARD,
            async || {
                let doc = api.device(id).await?;
                let ms = format!("{root}.ManagementServer");
                let ok = value(&doc, &format!("{ms}.PeriodicInformInterval")).as_deref()
                    == Some("300")
                    && value(&doc, &format!("{ms}.ConnectionRequestUsername")).as_deref()
                        == Some(id.as_str())
                    && value(&doc, &format!("{root}.DeviceInfo.HardwareVersion")).is_some();
                ok.then_some(())
            },
        )
        .await;
    }
    let faults = api.get("/faults").await;
    assert_eq!(
        faults,
        json!([]),
        "the default provisions run without faults"
    );
}
