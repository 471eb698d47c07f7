//! The real `cwmp-cpe` daemon with a temporary configuration and state directory, and its
//! operator CLI over the control socket.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use cwmp_testkit::process::{Process, workspace_bin};

use super::GUARD;
use cwmp_testkit::process::free_port;

/// The TR-181 data model the agent loads.
pub const TR181_FILE: &str = "tr-181-2-17-0-cwmp-full.xml";
/// The agent's device id at the ACS (OUI-ProductClass-SerialNumber of its profile).
pub const DEVICE_ID: &str = "00D09E-EX1000-EX0000000001";
/// Connection Request username the agent checks.
pub const CR_USERNAME: &str = "acs";
/// Connection Request password the agent checks.
pub const CR_PASSWORD: &str = "cr-secret";
/// The PeriodicInformInterval of its configuration.
pub const INITIAL_INTERVAL: u32 = 3600;

/// A running agent, killed when dropped.
pub struct Agent {
    /// The daemon and its log.
    pub process: Process,
    /// Its control socket.
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
}

fn write_config(dir: &Path, datamodels: &Path, acs_url: &str, extra: &str) -> PathBuf {
    let path = dir.join("cpe.toml");
    let port = free_port();
    let text = format!(
        r#"state_dir = "{state}"
session_timeout = 10

[acs]
url = "{acs_url}"
username = "cpe"
password = "acs-secret"

[cpe]
url = "http://127.0.0.1:{port}/"
listen = "127.0.0.1"
port = {port}
path = "/"
username = "{CR_USERNAME}"
password = "{CR_PASSWORD}"

[inform]
enable = true
interval = {INITIAL_INTERVAL}

[data_model]
file = "{model}"
profile = "tr181-gateway"
{extra}"#,
        state = dir.join("state").display(),
        model = datamodels.join(TR181_FILE).display(),
    );
    std::fs::write(&path, text).expect("write the agent's configuration");
    path
}

impl Agent {
    /// Starts the daemon towards `acs_url`; returns once its control socket answers.
    pub async fn start(datamodels: &Path, acs_url: &str) -> Agent {
        Agent::start_with(datamodels, acs_url, "").await
    }

    /// Starts the daemon towards `acs_url` with `extra` TOML sections (e.g. `[transfer]`)
    /// appended to its configuration; returns once its control socket answers.
    pub async fn start_with(datamodels: &Path, acs_url: &str, extra: &str) -> Agent {
        let dir = tempfile::tempdir().expect("agent dir");
        let config = write_config(dir.path(), datamodels, acs_url, extra);
        let mut cmd = Command::new(workspace_bin("cwmp-cpe"));
        cmd.args(["run", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info");
        let mut process = Process::spawn("cpe", cmd).expect("spawn cwmp-cpe");
        let socket = dir.path().join("state/cwmp-cpe.sock");
        let started = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            if let Some(status) = process.exited() {
                panic!("cwmp-cpe exited with {status}:\n{}", process.tail(40));
            }
            assert!(started.elapsed() < GUARD, "cwmp-cpe did not start in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Agent {
            process,
            socket,
            _dir: dir,
        }
    }

    /// Runs `cwmp-cpe ARGS --socket <socket>` (bounded).
    pub async fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(workspace_bin("cwmp-cpe"));
        cmd.args(args).arg("--socket").arg(&self.socket);
        let run = tokio::task::spawn_blocking(move || cmd.output().expect("run cwmp-cpe"));
        tokio::time::timeout(GUARD, run)
            .await
            .expect("the CLI answered in time")
            .expect("joined")
    }

    /// The CLI's output, which must have succeeded.
    pub async fn ok(&self, args: &[&str]) -> String {
        let o = self.cli(args).await;
        assert!(
            o.status.success(),
            "cwmp-cpe {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// `cwmp-cpe get PATH`: the value of one parameter.
    pub async fn get(&self, path: &str) -> String {
        let out = self.ok(&["get", path]).await;
        let words: Vec<&str> = out.split_whitespace().collect();
        match words.as_slice() {
            [name, _kind, value @ ..] if *name == path => value.join(" "),
            _ => panic!("unexpected `get {path}` output: {out}"),
        }
    }

    /// `cwmp-cpe show status` as `(field, value)` rows.
    pub async fn status(&self) -> Vec<(String, String)> {
        self.ok(&["show", "status"])
            .await
            .lines()
            .filter_map(|l| l.split_once(" : "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    }
}
