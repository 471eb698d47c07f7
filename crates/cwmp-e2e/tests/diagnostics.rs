//! A diagnostic requested through the API (TR-143): the task sets `DiagnosticsState` to
//! `Requested`, the CPE runs the test after the session and informs `8 DIAGNOSTICS
//! COMPLETE`, the ACS reads the results back, and `?connection_request` waits for them.

mod common;

use hyper::StatusCode;
use serde_json::json;

use common::acs::Acs;
use common::api::param_value;
use common::enc;

const DEVICE: &str = "00D09E-EX1000-DIAG0000001";

#[tokio::test]
async fn an_ipping_requested_by_a_task_is_answered_with_its_results() {
    let acs = Acs::start(&[]);
    let _cpe = common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "1",
            "--oui",
            "00D09E",
            "--product-class",
            "EX1000",
            "--serial-pattern",
            "DIAG{n:07}",
        ],
    );
    acs.wait_device(DEVICE).await;
    acs.api
        .put(
            &format!("/devices/{}/credentials", enc(DEVICE)),
            json!({"cr_username": "sim", "cr_password": "sim"}),
        )
        .await;
    let ping = "Device.IP.Diagnostics.IPPing.";
    let task = json!({"name": "setParameterValues", "parameterValues": [
        [format!("{ping}Host"), "127.0.0.1"],
        [format!("{ping}NumberOfRepetitions"), 2],
        [format!("{ping}DiagnosticsState"), "Requested"]]});
    let a = acs.api.task(DEVICE, task, Some(3000)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let results = &a.body["result"]["diagnostics"];
    assert_eq!(
        results[format!("{ping}DiagnosticsState")],
        "Complete",
        "{}",
        a.body
    );
    assert_eq!(results[format!("{ping}SuccessCount")], "2", "{results}");
    // The results are on the device, and the read-back task is gone.
    let doc = acs.api.device(DEVICE).await.expect("device");
    assert_eq!(
        param_value(&doc, &format!("{ping}DiagnosticsState")).as_deref(),
        Some("Complete")
    );
    assert_eq!(acs.api.get("/tasks").await, json!([]));
}
