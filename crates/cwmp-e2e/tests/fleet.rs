//! A thousand simulated devices (`cwmp-sim`) bootstrap against the real `cwmp-acs` and are
//! provisioned by one preset, with no fault.

mod common;

use std::time::{Duration, Instant};

use common::acs::Acs;
use common::{datamodels_dir, sim};
use serde_json::json;

const DEVICES: u64 = 1000;
const TAG: &str = "e2e-fleet";
const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_devices_bootstrap_and_are_provisioned_by_one_preset() {
    let Some(models) = datamodels_dir() else {
        return;
    };
    // The session engine's debug lines are not needed for a thousand sessions.
    let acs = Acs::start(&[("RUST_LOG", "info")]);
    acs.api
        .put(
            "/presets/fleet",
            json!({
                "events": ["0 BOOTSTRAP"],
                "configuration": {
                    "parameters": [[INTERVAL, 1800, "xsd:unsignedInt"]],
                    "tags": { "add": [TAG] },
                },
            }),
        )
        .await;

    let started = Instant::now();
    let devices = DEVICES.to_string();
    let report = sim::run(
        &acs.cwmp_url(),
        &models,
        &[
            "--devices",
            &devices,
            "--sessions",
            &devices,
            "--concurrency",
            "32",
            "--threads",
            "2",
            "--seed",
            "1",
            "--inform-interval",
            "3600",
            "--session-timeout",
            "30",
        ],
        Duration::from_secs(90),
    )
    .await;
    let took = started.elapsed();
    println!(
        "{DEVICES} devices bootstrapped and provisioned in {:.1} s ({:.0} sessions/s, p99 {} ms)",
        took.as_secs_f64(),
        DEVICES as f64 / took.as_secs_f64(),
        report["latency_ms"]["p99"]
    );
    assert_eq!(report["sessions_started"], DEVICES, "{report}");
    assert_eq!(report["sessions_ok"], DEVICES, "{report}");
    assert_eq!(report["sessions_failed"], 0, "{report}");
    assert_eq!(report["events"]["0 BOOTSTRAP"], DEVICES, "{report}");
    assert_eq!(report["rpcs"]["SetParameterValues"], DEVICES, "{report}");

    let (_, all) = acs.api.devices(&json!({}), 1).await;
    assert_eq!(all, DEVICES);
    let (_, tagged) = acs.api.devices(&json!({ "_tags": TAG }), 1).await;
    assert_eq!(tagged, DEVICES);
    let (_, set) = acs.api.devices(&json!({ INTERVAL: 1800 }), 1).await;
    assert_eq!(set, DEVICES);
    let faults = acs.api.get("/faults").await;
    assert_eq!(faults, json!([]), "{faults}");
}
