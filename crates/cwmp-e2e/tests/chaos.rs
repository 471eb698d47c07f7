//! Exactly once under crashes: 200 simulated devices inform every 2 s, half their sessions
//! slowed so that they are in flight most of the time; each device gets a SetParameterValues
//! task, and the ACS is killed with SIGKILL five times while the tasks run. Every task must
//! complete (none lost) and no device may receive the same state change twice (the
//! simulator counts, per device, the state-changing requests by their ParameterKey).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::acs::Acs;
use common::{GUARD, datamodels_dir, eventually};
use cwmp_testkit::process::{Process, workspace_bin};
use serde_json::{Value as Json, json};

const DEVICES: u32 = 200;
const KILLS: usize = 5;
const PARAM: &str = "Device.DeviceInfo.ProvisioningCode";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_five_times_under_load_no_task_is_lost_or_sent_twice() {
    let Some(models) = datamodels_dir() else {
        return;
    };
    let mut acs = Acs::start(&[("RUST_LOG", "info"), ("CWMP_ACS_SESSION_LOG", "off")]);
    let dir = tempfile::tempdir().expect("sim dir");
    let report = dir.path().join("report.json");
    let devices = DEVICES.to_string();
    let mut cmd = Command::new(workspace_bin("cwmp-sim"));
    cmd.args(["run", "--acs", &acs.cwmp_url(), "--cr-listen", "off"])
        .arg("--schema-dir")
        .arg(&models)
        .arg("--report")
        .arg(&report)
        .args(["--devices", &devices, "--inform-interval", "2"])
        .args(["--faults", "slow=0.5", "--slow-delay-ms", "300"])
        .args(["--duration", "300", "--threads", "1", "--seed", "7"]);
    let mut sim = Process::spawn("sim", cmd).expect("spawn cwmp-sim");

    let ids: Vec<String> = eventually("every device registered", GUARD, async || {
        let (list, total) = acs.api.devices(&json!({}), DEVICES).await;
        (total == u64::from(DEVICES)).then(|| {
            list.iter()
                .filter_map(|d| d["_id"].as_str().map(str::to_owned))
                .collect()
        })
    })
    .await;
    for (n, id) in ids.iter().enumerate() {
        let answer = acs
            .api
            .task(
                id,
                json!({
                    "name": "setParameterValues",
                    "parameterValues": [[PARAM, format!("chaos-{n}"), "xsd:string"]],
                }),
                None,
            )
            .await;
        assert!(answer.status.is_success(), "{answer:?}");
    }

    // Five crashes, 0.6 s to 1.4 s apart (fixed: no luck involved in the schedule), each
    // while sessions carrying the tasks are in flight.
    for kill in 0..KILLS {
        let pause = 600 + 200 * u64::try_from(kill).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        acs = acs.stop().start();
    }

    let started = Instant::now();
    eventually(
        "every task completed",
        Duration::from_secs(120),
        async || {
            let tasks = acs.api.get("/tasks").await;
            tasks.as_array().is_some_and(Vec::is_empty).then_some(())
        },
    )
    .await;
    println!("tasks done {:?} after the last kill", started.elapsed());
    let faults = acs.api.get("/faults").await;
    assert_eq!(faults, json!([]), "no task faulted");

    // Stop the simulator (SIGINT: it ends its sessions and writes its report).
    let status = Command::new("kill")
        .args(["-INT", &sim.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    eventually("the simulator to exit", GUARD, async || sim.exited()).await;
    let report: Json =
        serde_json::from_slice(&std::fs::read(&report).expect("the sim's report")).expect("JSON");
    println!("sim report: {report}");
    let recovered = acs
        .process
        .lines()
        .iter()
        .filter(|l| l.contains("interrupted task found done"))
        .count();
    println!("tasks found done from the Inform after the last restart: {recovered}");
    assert!(
        report["state_changes"].as_u64().unwrap_or(0) >= u64::from(DEVICES),
        "{report}"
    );
    assert_eq!(report["repeated_state_changes"], 0, "{report}");
}
