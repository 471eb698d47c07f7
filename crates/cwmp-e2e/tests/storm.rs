//! An outage storm in small: 300 known devices all power up within 2 s against an ACS that
//! serves at most 8 sessions at once, half the sessions slowed. The ACS sheds the rest with 503 + `Retry-After`, the
//! simulator's devices come back no sooner than asked, and every device completes its BOOT
//! session in the end, each counted once by the ACS.

mod common;

use std::time::Duration;

use common::acs::Acs;
use common::{datamodels_dir, sim};

const DEVICES: u64 = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_boots_through_a_storm_the_acs_sheds_with_retry_after() {
    let Some(models) = datamodels_dir() else {
        return;
    };
    let acs = Acs::start(&[
        ("RUST_LOG", "info"),
        ("CWMP_ACS_MAX_SESSIONS", "8"),
        ("CWMP_ACS_OVERLOAD_RETRY_AFTER_SECS", "1"),
    ]);
    let devices = DEVICES.to_string();
    let report = sim::run(
        &acs.cwmp_url(),
        &models,
        &[
            "--devices",
            &devices,
            "--storm",
            "2",
            "--concurrency",
            "64",
            "--threads",
            "2",
            "--seed",
            "3",
            "--inform-interval",
            "3600",
            // Half the sessions hold their slot 0.3 s per message: the slots run out.
            "--faults",
            "slow=0.5",
            "--slow-delay-ms",
            "300",
        ],
        Duration::from_secs(240),
    )
    .await;
    println!("storm report: {report}");
    assert!(report["all_booted_s"].is_number(), "{report}");
    assert_eq!(
        report["events"]["1 BOOT"].as_u64(),
        report["sessions_started"].as_u64()
    );
    let refused = report["failed_by_reason"]["http_503"].as_u64().unwrap_or(0);
    assert!(refused > 0, "the ACS shed part of the storm: {report}");
    assert_eq!(
        report["sessions_ok"].as_u64(),
        Some(DEVICES),
        "one BOOT session per device: {report}"
    );
}
