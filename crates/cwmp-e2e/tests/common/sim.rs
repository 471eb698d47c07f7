//! The real `cwmp-sim`: a fleet run to its end, and its JSON report.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cwmp_testkit::process::{Process, workspace_bin};
use serde_json::Value as Json;

/// Runs `cwmp-sim run --acs <acs_url> --report <file> ARGS` until it exits (at most
/// `limit`, else it is killed and the test fails); its report.
pub async fn run(acs_url: &str, datamodels: &Path, args: &[&str], limit: Duration) -> Json {
    let dir = tempfile::tempdir().expect("sim dir");
    let report = dir.path().join("report.json");
    let mut cmd = Command::new(workspace_bin("cwmp-sim"));
    cmd.args(["run", "--acs", acs_url, "--cr-listen", "off"])
        .arg("--schema-dir")
        .arg(datamodels)
        .arg("--report")
        .arg(&report)
        .args(args);
    let mut process = Process::spawn("sim", cmd).expect("spawn cwmp-sim");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = process.exited() {
            break status;
        }
        assert!(
            started.elapsed() < limit,
            "cwmp-sim did not finish within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "cwmp-sim: {status}\n{}", process.tail(40));
    println!("cwmp-sim output:\n{}", process.lines().join("\n"));
    let text = std::fs::read(&report).expect("the sim's report");
    serde_json::from_slice(&text).expect("the report is JSON")
}

/// Starts `cwmp-sim run --acs <acs_url> ARGS` with Connection Requests on a loopback port
/// and leaves it running (killed when the returned process is dropped): simulated devices
/// a test drives through the ACS.
pub fn spawn(acs_url: &str, args: &[&str]) -> Process {
    let mut cmd = Command::new(workspace_bin("cwmp-sim"));
    cmd.args(["run", "--acs", acs_url, "--cr-listen", "127.0.0.1:0"])
        .args(["--duration", "600", "--reboot-delay", "1"])
        .args(args);
    Process::spawn("sim", cmd).expect("spawn cwmp-sim")
}
