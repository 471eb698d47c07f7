//! Real processes for end-to-end tests: the workspace's binaries found beside the test
//! executable, spawned with their output captured line by line and killed when dropped.

use std::io::{BufRead as _, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};

/// The command that builds the binaries the end-to-end tests run.
pub const BUILD_COMMAND: &str = "cargo build --workspace --bins --locked";

/// Lines of its log a failing test prints for each process still held.
const TAIL_ON_PANIC: usize = 60;

/// The path of workspace binary `name` in the test executable's target directory
/// (`target/debug/` for `target/debug/deps/<test>`); panics naming [`BUILD_COMMAND`] when
/// it is not there, since `cargo test` does not build other packages' binaries.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable is in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} not found: run `{BUILD_COMMAND}` before the tests",
        path.display()
    );
    path
}

/// A TCP port free on 127.0.0.1 at the time of the call, for a child that needs its port
/// named in its configuration.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running child process whose stdout and stderr lines are kept in order; killed
/// (SIGKILL) and reaped when dropped.
pub struct Process {
    name: String,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Spawns `command` (its stdin closed, its output captured); `name` labels its lines
    /// when a failing test prints them.
    pub fn spawn(name: &str, mut command: Command) -> std::io::Result<Process> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, Arc::clone(&lines));
        }
        if let Some(err) = child.stderr.take() {
            collect(err, Arc::clone(&lines));
        }
        Ok(Process {
            name: name.to_owned(),
            child,
            lines,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Every line written so far, in the order they were read.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many lines were written so far (a mark for [`Process::find_line`]).
    pub fn line_count(&self) -> usize {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The first line at or after index `from` that satisfies `pred`, with its index.
    pub fn find_line(&self, from: usize, pred: impl Fn(&str) -> bool) -> Option<(usize, String)> {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, l)| pred(l))
            .map(|(i, l)| (i, l.clone()))
    }

    /// The exit status if the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `n` lines, labelled with the process name, for a failure message.
    pub fn tail(&self, n: usize) -> String {
        let lines = self.lines();
        let start = lines.len().saturating_sub(n);
        lines[start..]
            .iter()
            .map(|l| format!("[{}] {l}\n", self.name))
            .collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprint!("{}", self.tail(TAIL_ON_PANIC));
        }
    }
}

/// Reads `pipe` to its end on a thread (so that the child never blocks on a full pipe),
/// appending each line to `lines`.
fn collect(pipe: impl Read + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    });
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    #[should_panic(expected = "run `cargo build --workspace --bins --locked`")]
    fn a_missing_binary_names_the_build_command() {
        workspace_bin("no-such-binary");
    }

    #[test]
    fn output_lines_are_kept_and_found() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out one; echo err two >&2; echo out three"]);
        let mut p = Process::spawn("sh", cmd).expect("spawn sh");
        let started = Instant::now();
        while p.line_count() < 3 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{:?}",
                p.lines()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(p.lines().contains(&"err two".to_owned()));
        let (i, line) = p.find_line(0, |l| l.starts_with("out")).expect("a line");
        assert_eq!(line, "out one");
        let (_, next) = p
            .find_line(i + 1, |l| l.starts_with("out"))
            .expect("another");
        assert_eq!(next, "out three");
        assert!(p.find_line(0, |l| l == "none").is_none());
        while p.exited().is_none() {
            assert!(started.elapsed() < Duration::from_secs(30));
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(p.tail(1).starts_with("[sh] "));
    }
}
