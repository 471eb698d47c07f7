//! Every example of GenieACS's `docs/api-reference.rst` (genieacs/genieacs), sent as curl
//! sends it (`--data` is `application/x-www-form-urlencoded`; query strings percent-encoded;
//! device ids with `%2D` encoded again as `%252D`), against the real `cwmp-acs` and a
//! simulated TR-098 CPE (`cwmp-sim`) that answers Connection Requests. Each step checks what
//! that documentation says happens. The provision examples belong to provision scripts and
//! are not here; `docs/NBI.md` lists where we differ on purpose.

mod common;

use bytes::Bytes;
use cwmp_testkit::process::Process;
use hyper::StatusCode;
use serde_json::{Value as Json, json};

use common::acs::Acs;
use common::api::{Answer, Api, param_value};
use common::{GUARD, enc, eventually};

/// The simulated device: OUI, ProductClass and a serial with a `-`, which the device id
/// escapes as `%2D` (as in the documentation's `00236a-SR552n-SR552NA084%2D0003269`).
const OUI: &str = "00236A";
const PRODUCT_CLASS: &str = "SR552n";
const DEVICE: &str = "00236A-SR552n-SR552NA084%2D0000001";

const IGD: &str = "InternetGatewayDevice";

/// What curl sends for `curl -i URL -X METHOD [--data DATA] [--header H]...`.
async fn curl(
    api: &Api,
    method: &str,
    url: &str,
    data: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut all = headers.to_vec();
    if data.is_some()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        all.push(("content-type", "application/x-www-form-urlencoded"));
    }
    let body = data.map_or_else(Bytes::new, |d| Bytes::from(d.to_owned()));
    api.send(method, url, &all, body).await
}

/// `/devices/<id>/tasks…` as the documentation writes it: the id percent-encoded once more.
fn tasks_url(query: &str) -> String {
    format!("/devices/{}/tasks{query}", enc(DEVICE))
}

/// The simulated CPE, killed when dropped.
fn start_cpe(acs: &Acs) -> Process {
    common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "1",
            "--model",
            "tr098",
            "--oui",
            OUI,
            "--product-class",
            PRODUCT_CLASS,
            "--serial-pattern",
            "SR552NA084-{n:07}",
        ],
    )
}

/// The device's document.
async fn device(api: &Api) -> Json {
    let url = format!(
        "/devices/?query={}",
        enc(&json!({"_id": DEVICE}).to_string())
    );
    let a = curl(api, "GET", &url, None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
        .as_array()
        .and_then(|l| l.first())
        .cloned()
        .expect("the device")
}

/// A documented task with `?timeout=3000&connection_request`: 200, executed.
async fn executed(api: &Api, task: &str) -> Json {
    let a = curl(
        api,
        "POST",
        &tasks_url("?timeout=3000&connection_request"),
        Some(task),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{task}: {}", a.body);
    assert!(a.body["_id"].is_string(), "{}", a.body);
    assert_eq!(a.body["device"], DEVICE);
    a.body
}

#[tokio::test]
async fn every_example_of_the_genieacs_api_reference() {
    let acs = Acs::start(&[]);
    let api = acs.api.clone();
    let cpe = start_cpe(&acs);
    acs.wait_device(DEVICE).await;
    // Connection Requests need the device's credentials: GenieACS's default provision sets
    // them on the device; here the operator gives the simulator's.
    api.put(
        &format!("/devices/{}/credentials", enc(DEVICE)),
        json!({"cr_username": "sim", "cr_password": "sim"}),
    )
    .await;

    // "Find a device by its ID".
    let url = format!(
        "/devices/?query={}",
        enc(&json!({"_id": DEVICE}).to_string())
    );
    let found = curl(&api, "GET", &url, None, &[]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body[0]["_id"], DEVICE);
    assert_eq!(
        found.body[0]["_deviceId"]["_SerialNumber"],
        "SR552NA084-0000001"
    );
    assert!(
        found.body[0]["_lastInform"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );

    // refreshObject "" ("Refresh all device parameters now").
    let a = curl(
        &api,
        "POST",
        &tasks_url("?connection_request"),
        Some(r#"{"name": "refreshObject", "objectName": ""}"#),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let doc = device(&api).await;
    assert_eq!(
        param_value(&doc, &format!("{IGD}.Time.NTPServer1")).as_deref(),
        Some("pool.ntp.org"),
        "refreshed: {doc}"
    );
    let leaf = &doc[IGD]["ManagementServer"]["PeriodicInformInterval"];
    assert_eq!(leaf["_type"], "xsd:unsignedInt", "{leaf}");
    assert!(
        leaf["_writable"].is_boolean() && leaf["_timestamp"].is_string(),
        "{leaf}"
    );
    assert_eq!(doc[IGD]["LANDevice"]["1"]["_object"], true);

    // "Find a device by its MAC address" (read by the refresh).
    let wan = format!("{IGD}.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.MACAddress");
    let mac = param_value(&doc, &wan).expect("MAC read");
    let url = format!("/devices/?query={}", enc(&json!({ &wan: mac }).to_string()));
    let a = curl(&api, "GET", &url, None, &[]).await;
    assert_eq!(a.body.as_array().map(Vec::len), Some(1), "{}", a.body);

    // "Devices that have not initiated an inform in the last 7 days" (before 2017): none;
    // after that date: ours.
    for (op, found) in [("$lt", 0), ("$gt", 1)] {
        let q = json!({"_lastInform": {op: "2017-12-11 13:16:23 +0000"}});
        let url = format!("/devices/?query={}", enc(&q.to_string()));
        let a = curl(&api, "GET", &url, None, &[]).await;
        assert_eq!(
            a.body.as_array().map(Vec::len),
            Some(found),
            "{op}: {}",
            a.body
        );
    }

    // "Return specific parameters for a given device" (projection).
    let url = format!(
        "/devices?query={}&projection={IGD}.DeviceInfo.ModelName,{IGD}.DeviceInfo.Manufacturer",
        enc(&json!({"_id": DEVICE}).to_string())
    );
    let a = curl(&api, "GET", &url, None, &[]).await;
    let info = &a.body[0][IGD]["DeviceInfo"];
    assert!(info["ModelName"]["_value"].is_string(), "{}", a.body);
    assert!(info.get("SerialNumber").is_none(), "projected out: {info}");
    assert!(a.body[0].get("_tags").is_none());

    // "Change WiFi SSID and password".
    let wlan = format!("{IGD}.LANDevice.1.WLANConfiguration.1");
    let set = json!({"name": "setParameterValues", "parameterValues": [
        [format!("{wlan}.SSID"), "GenieACS", "xsd:string"],
        [format!("{wlan}.PreSharedKey.1.PreSharedKey"), "hello world", "xsd:string"]]});
    let a = curl(
        &api,
        "POST",
        &tasks_url("?connection_request"),
        Some(&set.to_string()),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        param_value(&device(&api).await, &format!("{wlan}.SSID")).as_deref(),
        Some("GenieACS")
    );

    // "Show pending tasks for a given device": a completed task is gone.
    let url = format!(
        "/tasks/?query={}",
        enc(&json!({"device": DEVICE}).to_string())
    );
    assert_eq!(curl(&api, "GET", &url, None, &[]).await.body, json!([]));

    // getParameterValues, then the device document has the values.
    executed(
        &api,
        &format!(
            r#"{{"name": "getParameterValues", "parameterNames": ["{IGD}.WANDevice.1.WANConnectionDevice.1.WANIPConnectionNumberOfEntries", "{IGD}.Time.NTPServer1", "{IGD}.Time.Status"]}}"#
        ),
    )
    .await;
    assert_eq!(
        param_value(&device(&api).await, &format!("{IGD}.Time.Status")).as_deref(),
        Some("Synchronized")
    );

    // refreshObject of an object named without its trailing dot.
    executed(
        &api,
        &format!(
            r#"{{"name": "refreshObject", "objectName": "{IGD}.WANDevice.1.WANConnectionDevice"}}"#
        ),
    )
    .await;

    // setParameterValues with a JSON boolean and no type: the device's own type is used.
    executed(
        &api,
        &format!(r#"{{"name": "setParameterValues", "parameterValues": [["{IGD}.ManagementServer.UpgradesManaged",false]]}}"#),
    )
    .await;
    let doc = device(&api).await;
    let managed = &doc[IGD]["ManagementServer"]["UpgradesManaged"];
    assert_eq!(
        (&managed["_value"], &managed["_type"]),
        (&json!(false), &json!("xsd:boolean"))
    );

    // addObject of an object named without its trailing dot.
    let added = executed(
        &api,
        &format!(r#"{{"name":"addObject","objectName":"{IGD}.WANDevice.1.WANConnectionDevice.1.WANPPPConnection"}}"#),
    )
    .await;
    let instance = added["result"]["instanceNumber"]
        .as_u64()
        .expect("instance number");
    let doc = device(&api).await;
    let ppp = &doc[IGD]["WANDevice"]["1"]["WANConnectionDevice"]["1"]["WANPPPConnection"];
    assert_eq!(ppp[instance.to_string()]["_object"], true, "{ppp}");

    // A task the CPE faults: 202, the task stays with its fault, and the fault is listed as
    // <device>:task_<id>; retry, then delete it.
    let bad = format!(
        r#"{{"name": "setParameterValues", "parameterValues": [["{IGD}.NoSuchThing", "x", "xsd:string"]]}}"#
    );
    let a = curl(
        &api,
        "POST",
        &tasks_url("?timeout=3000&connection_request"),
        Some(&bad),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.body);
    let task_id = a.body["_id"].as_str().expect("id").to_owned();
    let a = curl(&api, "GET", "/faults/", None, &[]).await;
    let fault_id = format!("{DEVICE}:task_{task_id}");
    let fault = a
        .body
        .as_array()
        .and_then(|l| l.iter().find(|f| f["_id"] == fault_id.as_str()));
    let fault = fault.unwrap_or_else(|| panic!("no fault {fault_id}: {}", a.body));
    assert!(
        fault["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("cwmp.900")),
        "{fault}"
    );
    let url = format!(
        "/tasks/?query={}",
        enc(&json!({"device": DEVICE}).to_string())
    );
    let listed = curl(&api, "GET", &url, None, &[]).await.body;
    assert_eq!(listed[0]["fault"]["code"], fault["code"]);
    // "Retry a faulty task at the next inform".
    let a = curl(&api, "POST", &format!("/tasks/{task_id}/retry"), None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let a = curl(&api, "GET", "/faults/", None, &[]).await;
    assert!(
        !a.body.to_string().contains(&fault_id),
        "retry closes the fault"
    );
    // "Delete the given task".
    let a = curl(&api, "DELETE", &format!("/tasks/{task_id}"), None, &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(curl(&api, "GET", &url, None, &[]).await.body, json!([]));
    // "Delete the given fault": the <device>:<channel> id of a fault that is not there is
    // no error (GenieACS deletes idempotently).
    let a = curl(
        &api,
        "DELETE",
        &format!("/faults/{}", enc(&format!("{DEVICE}:default"))),
        None,
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);

    // Tags: "Assign the tag testing", then "Remove the tag testing".
    let tag_url = format!("/devices/{}/tags/testing", enc(DEVICE));
    assert_eq!(
        curl(&api, "POST", &tag_url, None, &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(device(&api).await["_tags"], json!(["testing"]));
    assert_eq!(
        curl(&api, "DELETE", &tag_url, None, &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(device(&api).await["_tags"], json!([]));

    // "Create a preset to set 5 minutes inform interval for all devices tagged with test".
    let preset = format!(
        r#"{{"weight": 0, "precondition": "{{\"_tags\": \"test\"}}", "configurations": [{{"type": "value", "name": "{IGD}.ManagementServer.PeriodicInformEnable", "value": "true"}}, {{"type": "value", "name": "{IGD}.ManagementServer.PeriodicInformInterval", "value": "300"}}]}}"#
    );
    let a = curl(&api, "PUT", "/presets/inform", Some(&preset), &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let test_tag = format!("/devices/{}/tags/test", enc(DEVICE));
    assert_eq!(
        curl(&api, "POST", &test_tag, None, &[]).await.status,
        StatusCode::OK
    );
    // A Connection Request alone (no task) starts a session, in which the preset applies.
    let a = curl(&api, "POST", &tasks_url("?connection_request"), None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let interval = format!("{IGD}.ManagementServer.PeriodicInformInterval");
    eventually("the preset's interval on the device", GUARD, async || {
        (param_value(&device(&api).await, &interval).as_deref() == Some("300")).then_some(())
    })
    .await;
    let a = curl(&api, "DELETE", "/presets/inform", None, &[]).await;
    assert_eq!(a.status, StatusCode::OK);

    // "Upload a firmware image file", list files, find it by query.
    let image = vec![7u8; 4096];
    let a = api
        .send(
            "PUT",
            "/files/new_firmware_v1.0.bin",
            &[
                ("fileType", "1 Firmware Upgrade Image"),
                ("oui", OUI),
                ("productClass", PRODUCT_CLASS),
                ("version", "1.0"),
            ],
            Bytes::from(image),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let all = curl(&api, "GET", "/files/", None, &[]).await.body;
    assert_eq!(all[0]["filename"], "new_firmware_v1.0.bin");
    assert_eq!(all[0]["metadata"]["version"], "1.0");
    let url = format!(
        "/files/?query={}",
        enc(r#"{"filename":"new_firmware_v1.0.bin"}"#)
    );
    assert_eq!(
        curl(&api, "GET", &url, None, &[])
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let url = format!("/files/?query={}", enc(r#"{"filename":"other.bin"}"#));
    assert_eq!(curl(&api, "GET", &url, None, &[]).await.body, json!([]));

    // download by file name: no file_base_url is configured; the URL names the host the CPE
    // reached. The CPE fetches it and reports it; the task then completes (and is deleted).
    let a = curl(
        &api,
        "POST",
        &tasks_url("?timeout=3000&connection_request"),
        Some(r#"{"name": "download", "file": "new_firmware_v1.0.bin"}"#),
        &[],
    )
    .await;
    assert!(
        matches!(a.status, StatusCode::OK | StatusCode::ACCEPTED),
        "{}",
        a.body
    );
    assert!(a.body.get("fault").is_none(), "{}", a.body);
    let download = a.body["_id"].as_str().expect("id").to_owned();
    eventually("the download's TransferComplete", GUARD, async || {
        let url = format!(
            "/tasks/?query={}",
            enc(&json!({"_id": download}).to_string())
        );
        let listed = curl(&api, "GET", &url, None, &[]).await.body;
        assert!(listed[0].get("fault").is_none(), "{listed}");
        (listed == json!([])).then_some(())
    })
    .await;

    // reboot, then factoryReset.
    executed(&api, r#"{"name": "reboot"}"#).await;
    let reboot_seen = acs
        .session_finished("the reboot's M Reboot session", 0, DEVICE, |e| {
            e.iter().any(|c| c == "M Reboot")
        })
        .await;
    assert!(reboot_seen.ok());
    executed(&api, r#"{"name": "factoryReset"}"#).await;

    // "Delete a previously uploaded file".
    let a = curl(&api, "DELETE", "/files/new_firmware_v1.0.bin", None, &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        curl(&api, "GET", "/files/", None, &[]).await.body,
        json!([])
    );

    // "Delete the given device from the database": it comes back at its next inform.
    let a = curl(
        &api,
        "DELETE",
        &format!("/devices/{}", enc(DEVICE)),
        None,
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let url = format!(
        "/devices/?query={}",
        enc(&json!({"_id": DEVICE}).to_string())
    );
    assert_eq!(curl(&api, "GET", &url, None, &[]).await.body, json!([]));
    drop(cpe);
}
