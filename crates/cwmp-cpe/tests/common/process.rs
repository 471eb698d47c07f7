//! The real `cwmp-cpe` binary as a child process: started on a config file with its log in
//! the test's dir, killed with SIGKILL when dropped, and the operator CLI run against its
//! control socket. Every wait is bounded by [`GUARD`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The daemon and CLI binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_cwmp-cpe");
/// Guard for every wait: generous, only reached when something is broken.
pub const GUARD: Duration = Duration::from_secs(60);

/// Polls `check` every 50 ms until it yields a value; panics naming `what` after [`GUARD`].
pub async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < GUARD, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running daemon whose `state_dir` is `<dir>/state`; killed (SIGKILL) when dropped.
pub struct Daemon {
    /// The process.
    pub child: Child,
    /// Its control socket.
    pub socket: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// Starts `cwmp-cpe run --config <config>`, logging to `<dir>/daemon.log`, without
    /// waiting for it to be up (it may exit at once, e.g. for a reboot).
    pub fn spawn(dir: &Path, config: &Path) -> Daemon {
        let log = dir.join("daemon.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let child = Command::new(BIN)
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("spawn cwmp-cpe");
        Daemon {
            child,
            socket: dir.join("state/cwmp-cpe.sock"),
            log,
        }
    }

    /// [`spawn`](Self::spawn), then waits until the control socket answers (a stale socket
    /// file may exist after kill -9).
    pub async fn start(dir: &Path, config: &Path) -> Daemon {
        let mut d = Daemon::spawn(dir, config);
        let started = Instant::now();
        while std::os::unix::net::UnixStream::connect(&d.socket).is_err() {
            if let Ok(Some(status)) = d.child.try_wait() {
                panic!("cwmp-cpe exited with {status}: {}", d.log());
            }
            assert!(started.elapsed() < GUARD, "cwmp-cpe did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        d
    }

    /// Everything the daemons of this dir logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, and reaped.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// Waits (bounded) for the process to exit by itself.
    pub async fn exited(&mut self) -> ExitStatus {
        wait_for("cwmp-cpe to exit", || {
            self.child.try_wait().expect("try_wait")
        })
        .await
    }

    /// SIGTERM, then waits (bounded) for a clean exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        wait_for("cwmp-cpe to exit on SIGTERM", || {
            self.child.try_wait().expect("try_wait")
        })
        .await
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the CLI (bounded) with `--socket`.
pub async fn cli(socket: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--socket").arg(socket);
    let run = tokio::task::spawn_blocking(move || cmd.output().expect("run cwmp-cpe"));
    tokio::time::timeout(GUARD, run)
        .await
        .expect("the CLI answered in time")
        .expect("joined")
}

/// The CLI's standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The CLI's standard error.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The CLI's output, which must have succeeded.
pub async fn ok(socket: &Path, args: &[&str]) -> String {
    let o = cli(socket, args).await;
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}
