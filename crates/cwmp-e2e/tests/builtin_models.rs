//! The binaries carry their data models: `cwmp-cpe` with the example configuration and
//! `cwmp-sim` with its defaults run from a temporary directory with no `../shared` (nor any
//! data-model file) beside them, and complete sessions with the real `cwmp-acs`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::GUARD;
use common::acs::Acs;
use common::agent::DEVICE_ID;
use cwmp_testkit::process::{Process, free_port, workspace_bin};

/// A copy of workspace binary `name` in `dir` (a hard link when the file system allows).
fn install(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    let from = workspace_bin(name);
    if std::fs::hard_link(&from, &to).is_err() {
        std::fs::copy(&from, &to).expect("copy the binary");
    }
    to
}

/// `<tmp>/a/b`: a working directory whose `../shared` and `../../shared` are known to be
/// absent (they are inside the temporary directory).
fn bare_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("a/b");
    std::fs::create_dir_all(&dir).expect("mkdir");
    assert!(!dir.join("../shared").exists() && !dir.join("../../shared").exists());
    dir
}

/// The example configuration, pointed at `acs_url` and a free Connection Request port.
fn example_config(acs_url: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cwmp-cpe/cpe.example.toml"
    ))
    .expect("the example configuration");
    assert!(
        !text.contains("\nfile ="),
        "the example must not need a data-model file"
    );
    let port = free_port();
    text.replace(
        "url = \"http://127.0.0.1:7547/\"",
        &format!("url = \"{acs_url}\""),
    )
    .replace(
        "http://127.0.0.1:7548/",
        &format!("http://127.0.0.1:{port}/"),
    )
    .replace("port = 7548", &format!("port = {port}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_runs_the_example_configuration_from_a_bare_directory() {
    let acs = Acs::start(&[("RUST_LOG", "info")]);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = bare_dir(tmp.path());
    let bin = install("cwmp-cpe", &dir);
    std::fs::write(dir.join("cpe.toml"), example_config(&acs.cwmp_url())).expect("config");
    let mut cmd = Command::new(&bin);
    cmd.current_dir(&dir)
        .args(["run", "--config", "cpe.toml"])
        .env("RUST_LOG", "info");
    let mut agent = Process::spawn("cpe", cmd).expect("spawn cwmp-cpe");
    let device = acs.wait_device(DEVICE_ID).await;
    assert_eq!(device["_id"], DEVICE_ID, "{device}");
    assert!(
        agent
            .find_line(0, |l| l.contains("data model") && l.contains("Device:2.17"))
            .is_some(),
        "the agent says it runs the built-in model:\n{}",
        agent.tail(20)
    );
    assert!(agent.exited().is_none(), "{}", agent.tail(20));
    // The state went where the example says, relative to the working directory.
    assert!(dir.join("cpe-state").is_dir());
}

/// Runs `cwmp-sim run` in `dir` until it exits; its JSON report.
async fn sim_report(bin: &Path, dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .args(["run", "--cr-listen", "off", "--report", "report.json"])
        .args(args);
    let mut sim = Process::spawn("sim", cmd).expect("spawn cwmp-sim");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = sim.exited() {
            break status;
        }
        assert!(started.elapsed() < GUARD, "cwmp-sim did not finish in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "cwmp-sim: {status}\n{}", sim.tail(40));
    let text = std::fs::read(dir.join("report.json")).expect("the report");
    serde_json::from_slice(&text).expect("the report is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_runs_both_builtin_models_from_a_bare_directory() {
    let acs = Acs::start(&[("RUST_LOG", "info")]);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = bare_dir(tmp.path());
    let bin = install("cwmp-sim", &dir);
    let url = acs.cwmp_url();
    for (model, serial) in [("tr181", "A{n:04}"), ("tr098", "B{n:04}")] {
        let report = sim_report(
            &bin,
            &dir,
            &[
                "--acs",
                &url,
                "--model",
                model,
                "--devices",
                "3",
                "--sessions",
                "3",
                "--serial-pattern",
                serial,
                "--seed",
                "1",
            ],
        )
        .await;
        assert_eq!(report["sessions_ok"], 3, "{model}: {report}");
        assert_eq!(report["sessions_failed"], 0, "{model}: {report}");
    }
    let (_, count) = acs.api.devices(&serde_json::json!({}), 10).await;
    assert_eq!(count, 6);
}
