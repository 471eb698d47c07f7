//! An external program as a handler. It is run with an argv (never through a shell), an
//! empty environment but `PATH`, no stdin, a time limit and a bound on what it prints:
//!
//! | call | argv after the configured command | exit status |
//! |---|---|---|
//! | get | `get PATH` | 0: the first line of stdout is the value; else the stored value is used |
//! | set | `set PATH VALUE [PATH VALUE]...` | 0 applied; 10 applied after a reboot; 20 values refused (stdout lines `PATH` or `PATH<TAB>reason` name them; none named: all); else failed |
//! | add | `add PATH.N.` | 0 / 10; else failed |
//! | delete | `delete PATH.N.` | 0 / 10; else failed |
//!
//! A program still running at its timeout is killed (SIGKILL, with every process of its
//! process group) and counts as failed.

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cwmp_datamodel::ApplyStatus;

use super::contract::{Handler, HandlerError, Setting};

/// Exit status: applied, takes effect after a reboot (SetParameterValues status 1).
pub const EXIT_PENDING: i32 = 10;
/// Exit status: the values were refused (fault 9007).
pub const EXIT_REFUSED: i32 = 20;
/// Most bytes of stdout (and of stderr) kept from one run.
const MAX_OUTPUT: u64 = 64 * 1024;
/// `PATH` given to handler programs.
const SAFE_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// What a finished run produced.
#[derive(Debug)]
pub struct Output {
    /// Exit status.
    pub status: ExitStatus,
    /// Stdout (at most 64 KiB, lossy UTF-8).
    pub stdout: String,
    /// Stderr (at most 64 KiB, lossy UTF-8).
    pub stderr: String,
}

/// Runs `argv` with a time limit; `Err` names what went wrong (spawn failure, timeout).
pub fn run_bounded(argv: &[String], timeout: Duration) -> Result<Output, String> {
    let (program, args) = argv.split_first().ok_or("empty command")?;
    let mut child = Command::new(program)
        .args(args)
        .env_clear()
        .env("PATH", SAFE_PATH)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(MAX_OUTPUT).read_to_end(&mut buf);
            }
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
        rx
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                return Err(format!(
                    "{program}: no answer within {} s (killed)",
                    timeout.as_secs_f32()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("{program}: {e}")),
        }
    };
    // The pipes close when the program exits, unless it left a process holding them: that
    // one is killed once the time is up, and what was read so far is lost.
    let wait = deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(100);
    let stdout = out.recv_timeout(wait);
    let stderr = err.recv_timeout(Duration::from_millis(100));
    let (Ok(stdout), Ok(stderr)) = (stdout, stderr) else {
        kill_group(&mut child);
        return Err(format!(
            "{program}: left a process holding its output (killed)"
        ));
    };
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Kills the child's process group (it leads its own) and reaps the child.
fn kill_group(child: &mut Child) {
    let pid = rustix::process::Pid::from_child(child);
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    let _ = child.kill();
    let _ = child.wait();
}

/// A subtree handled by an external program.
#[derive(Debug, Clone)]
pub struct ProgramHandler {
    name: String,
    command: Vec<String>,
    timeout: Duration,
    live: bool,
}

impl ProgramHandler {
    /// `command` is the program and its fixed arguments; `live`: values are read with `get`.
    pub fn new(
        name: impl Into<String>,
        command: Vec<String>,
        timeout: Duration,
        live: bool,
    ) -> Self {
        ProgramHandler {
            name: name.into(),
            command,
            timeout,
            live,
        }
    }

    /// The program's path.
    pub fn program(&self) -> PathBuf {
        self.command.first().map(PathBuf::from).unwrap_or_default()
    }

    fn call(&self, verb: &str, rest: &[&str]) -> Result<Output, HandlerError> {
        let mut argv = self.command.clone();
        argv.push(verb.into());
        argv.extend(rest.iter().map(|s| (*s).to_owned()));
        run_bounded(&argv, self.timeout).map_err(HandlerError::Failed)
    }

    fn status(&self, verb: &str, out: &Output) -> Result<ApplyStatus, HandlerError> {
        match out.status.code() {
            Some(0) => Ok(ApplyStatus::Applied),
            Some(EXIT_PENDING) => Ok(ApplyStatus::Pending),
            code => Err(HandlerError::Failed(format!(
                "{} {verb}: {} {}",
                self.name,
                code.map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}")),
                out.stderr.lines().next().unwrap_or("").trim()
            ))),
        }
    }
}

impl Handler for ProgramHandler {
    fn name(&self) -> &str {
        &self.name
    }

    fn is_live(&self, _schema_path: &str) -> bool {
        self.live
    }

    fn get(&self, path: &str, _nearby: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        match self.call("get", &[path]) {
            Ok(out) if out.status.success() => {
                Some(out.stdout.lines().next().unwrap_or("").to_owned())
            }
            Ok(out) => {
                tracing::warn!(handler = %self.name, path, status = %out.status, "get failed; stored value used");
                None
            }
            Err(e) => {
                tracing::warn!(handler = %self.name, path, "get failed; stored value used: {e}");
                None
            }
        }
    }

    fn set(&mut self, settings: &[Setting<'_>]) -> Result<ApplyStatus, HandlerError> {
        let args: Vec<&str> = settings.iter().flat_map(|(p, v)| [*p, *v]).collect();
        let out = self.call("set", &args)?;
        if out.status.code() == Some(EXIT_REFUSED) {
            let named: Vec<(String, String)> = out
                .stdout
                .lines()
                .filter_map(|l| {
                    let (path, why) = l.split_once('\t').unwrap_or((l, "refused"));
                    settings
                        .iter()
                        .any(|(p, _)| *p == path.trim())
                        .then(|| (path.trim().to_owned(), why.trim().to_owned()))
                })
                .collect();
            let refused = if named.is_empty() {
                settings
                    .iter()
                    .map(|(p, _)| ((*p).to_owned(), "refused".to_owned()))
                    .collect()
            } else {
                named
            };
            return Err(HandlerError::Refused(refused));
        }
        self.status("set", &out)
    }

    fn add(&mut self, path: &str) -> Result<ApplyStatus, HandlerError> {
        let out = self.call("add", &[path])?;
        self.status("add", &out)
    }

    fn delete(&mut self, path: &str) -> Result<ApplyStatus, HandlerError> {
        let out = self.call("delete", &[path])?;
        self.status("delete", &out)
    }
}
