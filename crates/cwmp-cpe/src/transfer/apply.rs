//! Applying a downloaded file through a configured hook (`[transfer] apply_firmware`,
//! `apply_config`), and the firmware store in the state dir: the installed image and the one
//! before it, kept for a rollback.
//!
//! A hook is a shell command run as `sh -c '<command> "$@"' cwmp-hook <path> <file type>`,
//! with a time limit; a non-zero exit fails the transfer. A line `version=V` on its stdout
//! reports the SoftwareVersion the file installs.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt as _;
use tokio::process::Command;

/// Longest a hook may run.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(300);
/// Most bytes of a hook's stdout read.
const MAX_HOOK_OUTPUT: u64 = 64 * 1024;

/// What a hook reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookReport {
    /// The SoftwareVersion from a `version=V` line, if any.
    pub version: Option<String>,
}

/// Runs `command` on `path` of `file_type`; `Err` with a message naming the failure.
pub async fn run_hook(
    command: &str,
    path: &Path,
    file_type: &str,
    timeout: Duration,
) -> Result<HookReport, String> {
    let args = [path.as_os_str(), file_type.as_ref()];
    let (out, _) = run(command, &args, timeout, MAX_HOOK_OUTPUT).await?;
    Ok(HookReport {
        version: version_line(&String::from_utf8_lossy(&out)),
    })
}

/// Runs `command` with `file_type` as `$1`; its stdout (at most `max` bytes) is the file.
pub async fn produce(
    command: &str,
    file_type: &str,
    timeout: Duration,
    max: u64,
) -> Result<Vec<u8>, String> {
    let (out, cut) = run(command, &[file_type.as_ref()], timeout, max).await?;
    if cut {
        return Err(format!("{command:?} produced more than {max} bytes"));
    }
    Ok(out)
}

/// Runs `sh -c '<command> "$@"' cwmp-hook <args>`: its stdout (the first `max` bytes, and
/// whether there was more), or why it failed (start, non-zero exit, `timeout`).
async fn run(
    command: &str,
    args: &[&std::ffi::OsStr],
    timeout: Duration,
    max: u64,
) -> Result<(Vec<u8>, bool), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg("cwmp-hook")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting {command:?}: {e}"))?;
    let mut stdout = child.stdout.take();
    let run = async {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            (&mut *s)
                .take(max.saturating_add(1))
                .read_to_end(&mut out)
                .await
                .map_err(|e| format!("reading the output of {command:?}: {e}"))?;
            // Drain the rest so the command is not stopped by a full pipe.
            let _ = tokio::io::copy(s, &mut tokio::io::sink()).await;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| format!("waiting for {command:?}: {e}"))?;
        Ok::<_, String>((status, out))
    };
    let (status, mut out) = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| format!("{command:?} did not finish within {} s", timeout.as_secs()))??;
    if !status.success() {
        return Err(format!("{command:?} failed ({status})"));
    }
    let cut = out.len() as u64 > max;
    out.truncate(usize::try_from(max).unwrap_or(usize::MAX));
    Ok((out, cut))
}

/// The value of the last `version=V` line.
fn version_line(out: &str) -> Option<String> {
    out.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("version="))
        .map(|v| v.trim().chars().take(64).collect())
        .filter(|v: &String| !v.is_empty())
}

/// Where the firmware images live in the state dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareStore {
    dir: PathBuf,
}

impl FirmwareStore {
    /// The store under `<state_dir>/firmware`.
    pub fn new(state_dir: &Path) -> FirmwareStore {
        FirmwareStore {
            dir: state_dir.join("firmware"),
        }
    }

    /// The image installed now (absent before the first install).
    pub fn installed(&self) -> PathBuf {
        self.dir.join("installed.img")
    }

    /// The image installed before, kept for a rollback.
    pub fn backup(&self) -> PathBuf {
        self.dir.join("backup.img")
    }

    /// Keeps the installed image as the backup (before installing another); whether there was
    /// one.
    pub fn back_up(&self) -> std::io::Result<bool> {
        std::fs::create_dir_all(&self.dir)?;
        match std::fs::rename(self.installed(), self.backup()) {
            Ok(()) => Ok(true),
            // Nothing installed: a backup left by a cut install is still the one to keep.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(self.backup().is_file()),
            Err(e) => Err(e),
        }
    }

    /// Records `image` as the installed one (moves it into the store).
    pub fn install(&self, image: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::rename(image, self.installed())
    }

    /// After a rollback: the backup is the installed image again.
    pub fn restore(&self) -> std::io::Result<()> {
        std::fs::rename(self.backup(), self.installed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hook_gets_path_and_type_and_reports_a_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seen = dir.path().join("seen");
        // The path and type are appended to the command: a script takes them as $1 $2.
        let cmd = format!(
            "sh -c 'echo \"$1|$2\" > {}; echo noise; echo version=2.0' hook",
            seen.display()
        );
        let r = run_hook(
            &cmd,
            Path::new("/x/fw.bin"),
            "1 Firmware Upgrade Image",
            HOOK_TIMEOUT,
        )
        .await
        .expect("runs");
        assert_eq!(r.version.as_deref(), Some("2.0"));
        let text = std::fs::read_to_string(&seen).expect("written");
        assert_eq!(text.trim(), "/x/fw.bin|1 Firmware Upgrade Image");
        let err = run_hook("exit 3", Path::new("/x"), "t", HOOK_TIMEOUT).await;
        assert!(err.is_err_and(|e| e.contains("failed")));
        let slow = run_hook(
            "sh -c 'sleep 5' hook",
            Path::new("/x"),
            "t",
            Duration::from_millis(100),
        )
        .await;
        assert!(slow.is_err_and(|e| e.contains("did not finish")));
    }

    #[test]
    fn store_backs_up_and_restores() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = FirmwareStore::new(dir.path());
        assert!(!s.back_up().expect("nothing to back up"));
        let img = dir.path().join("new");
        std::fs::write(&img, b"v1").expect("write");
        s.install(&img).expect("install");
        assert!(s.back_up().expect("backup"));
        s.restore().expect("restore");
        assert_eq!(std::fs::read(s.installed()).expect("read"), b"v1");
    }
}
