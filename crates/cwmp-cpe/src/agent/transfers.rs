//! The agent's side of file transfers: running due transfers between sessions, applying
//! firmware and configuration files through their hooks, reporting each transfer with a
//! TransferComplete exactly once, and rolling back a firmware upgrade the ACS never saw.
//!
//! Exactly once (TR-069 §A.3.3.2, Table 7): a finished transfer is saved `Completed` first,
//! then its `7 TRANSFER COMPLETE` and `M Download`/`M Upload`/`M ScheduleDownload` are raised
//! in the persistent event queue, then it is marked `raised`. The TransferComplete is sent in
//! every session while its `M` event is queued; the TransferCompleteResponse removes the event
//! (in the session), and the transfer leaves the queue after the session. At start-up a
//! transfer left unraised is raised unless its event is there already, and a raised one whose
//! event is gone was acknowledged.
//!
//! A download's fetch runs in its own task ([`super::fetching`]), one at a time; the loop
//! applies the file and reports it when the fetch is done.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use cwmp::event::MethodEvent;
use cwmp::{EventCode, FaultCode};

use super::fetching::{FetchJob, InFlight, finished};
use super::{Agent, AgentError};
use crate::config::RebootMode;
use crate::session::CpeRequest;
use crate::transfer::apply::{FirmwareStore, HOOK_TIMEOUT, produce, run_hook};
use crate::transfer::rpc::{CONFIG_FILE, FIRMWARE, LOG_FILE, UPLOAD_CONFIG_FILE};
use crate::transfer::upload::put;
use crate::transfer::{Kind, Limits, Outcome, Phase, Transfer, TransferError, UpgradeWatch};
use crate::transport::Credentials;

/// What a finished transfer asks of the agent.
enum After {
    /// Nothing more.
    Nothing,
    /// A firmware image was installed: reboot.
    Reboot,
}

fn method_event(kind: Kind) -> EventCode {
    EventCode::Method(match kind {
        Kind::Download => MethodEvent::Download,
        Kind::ScheduleDownload => MethodEvent::ScheduleDownload,
        Kind::Upload => MethodEvent::Upload,
    })
}

impl Agent {
    /// The file transfers the ACS asked for, until their TransferComplete is acknowledged.
    pub fn transfers(&self) -> &crate::transfer::TransferQueue {
        &self.transfers
    }

    /// True when the agent stopped its loop to be restarted as a reboot (`reboot = "exit"`):
    /// the process should exit with [`REBOOT_EXIT_STATUS`](crate::config::REBOOT_EXIT_STATUS).
    pub fn restart_requested(&self) -> bool {
        self.restart
    }

    fn event_queued(&self, t: &Transfer) -> bool {
        let code = method_event(t.kind);
        self.queue
            .events()
            .iter()
            .any(|e| e.code == code && e.command_key == t.command_key)
    }

    /// Raises the events of a completed, not yet raised transfer (unless a crash left them
    /// raised already) and marks it raised; a new session is wanted.
    fn raise_completion(&mut self, id: u64) -> Result<(), AgentError> {
        let Some(t) = self.transfers.get(id).cloned() else {
            return Ok(());
        };
        let Phase::Completed {
            outcome,
            raised: false,
        } = t.phase.clone()
        else {
            return Ok(());
        };
        if !self.event_queued(&t) {
            self.raise(EventCode::TransferComplete, "")?;
            self.raise(method_event(t.kind), &t.command_key)?;
        }
        self.transfers.set_phase(
            id,
            Phase::Completed {
                outcome,
                raised: true,
            },
        )?;
        self.force = true;
        Ok(())
    }

    /// Saves a transfer's outcome and raises its events.
    fn complete(&mut self, id: u64, outcome: Outcome) -> Result<(), AgentError> {
        if outcome.fault_code == 0 {
            tracing::info!(id, "transfer done");
        } else {
            tracing::warn!(
                id,
                code = outcome.fault_code,
                "transfer failed: {}",
                outcome.fault_string
            );
        }
        self.transfers.set_phase(
            id,
            Phase::Completed {
                outcome,
                raised: false,
            },
        )?;
        self.raise_completion(id)
    }

    /// After a (re)boot: finishes what a crash cut, drops acknowledged transfers and starts
    /// the post-upgrade deadline.
    pub(super) fn transfers_booted(&mut self) -> Result<(), AgentError> {
        let unraised: Vec<u64> = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| matches!(t.phase, Phase::Completed { raised: false, .. }))
            .map(|t| t.id)
            .collect();
        for id in unraised {
            self.raise_completion(id)?;
        }
        self.drop_acknowledged()?;
        if let Some(watch) = self.transfers.upgrade().cloned() {
            if watch.deadline.is_none() {
                let deadline = self.clock.unix() + i64::from(self.config.backup.delay);
                tracing::info!(
                    deadline,
                    "firmware upgrade: waiting for a session with the ACS"
                );
                self.transfers.set_upgrade(Some(UpgradeWatch {
                    deadline: Some(deadline),
                    ..watch
                }))?;
            }
        }
        Ok(())
    }

    /// Before a session: the TransferComplete of every reported transfer not yet waiting.
    pub(super) fn push_transfer_completes(&mut self) {
        for t in self.transfers.transfers() {
            // Not raised yet, or its event is gone (acknowledged, or discarded by a BOOTSTRAP).
            if !matches!(t.phase, Phase::Completed { raised: true, .. }) || !self.event_queued(t) {
                continue;
            }
            if let Some(tc) = t.transfer_complete() {
                let request = CpeRequest::TransferComplete(tc);
                if !self.requests.iter().any(|r| r == &request) {
                    self.requests.push(request);
                }
            }
        }
    }

    /// After a session: acknowledged transfers leave; a successful session confirms a
    /// firmware upgrade.
    pub(super) fn transfers_after_session(&mut self, ok: bool) -> Result<(), AgentError> {
        self.drop_acknowledged()?;
        if ok && self.transfers.upgrade().is_some() {
            tracing::info!("firmware upgrade confirmed by a session with the ACS");
            self.transfers.set_upgrade(None)?;
            let _ = std::fs::remove_file(self.firmware().backup());
        }
        Ok(())
    }

    fn drop_acknowledged(&mut self) -> Result<(), AgentError> {
        let done: Vec<u64> = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| matches!(t.phase, Phase::Completed { raised: true, .. }))
            .filter(|t| !self.event_queued(t))
            .map(|t| t.id)
            .collect();
        for id in done {
            self.transfers.remove(id)?;
        }
        Ok(())
    }

    /// Time until the next transfer or the post-upgrade deadline is due (no next transfer
    /// while a download is in flight: its end wakes the loop).
    pub(super) fn transfer_wakeup(&self) -> Option<Duration> {
        let now = self.clock.unix();
        let idle = self.fetching.is_none();
        let starts = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| idle && t.phase == Phase::Queued)
            .map(|t| t.not_before);
        let deadline = self.transfers.upgrade().and_then(|w| w.deadline);
        starts
            .chain(deadline)
            .min()
            .map(|t| Duration::from_secs(u64::try_from(t - now).unwrap_or(0)))
    }

    /// Runs the due transfers in order, and the post-upgrade deadline, until one download
    /// starts fetching: it runs on while the loop serves other requests (see
    /// [`fetch_finished`](Self::fetch_finished)).
    pub(super) async fn run_transfers(&mut self) -> Result<(), AgentError> {
        self.check_upgrade_deadline().await?;
        while self.fetching.is_none() && !self.restart {
            let now = self.clock.unix();
            let due = self
                .transfers
                .transfers()
                .iter()
                .find(|t| t.phase == Phase::Queued && t.not_before <= now)
                .cloned();
            let Some(t) = due else {
                break;
            };
            if !t.windows.is_empty() && !t.windows.iter().any(|w| w.start <= now && now <= w.end) {
                match t.windows.iter().find(|w| w.start > now) {
                    Some(next) => self.transfers.reschedule(t.id, next.start)?,
                    None => self.complete(
                        t.id,
                        Outcome::failure(
                            FaultCode::FILE_TRANSFER_WINDOW_EXCEEDED,
                            "every time window has passed",
                            now,
                            now,
                        ),
                    )?,
                }
                continue;
            }
            self.transfers.set_phase(t.id, Phase::InProgress)?;
            tracing::info!(id = t.id, url = %t.url, file_type = %t.file_type, "transfer starts");
            if t.kind.is_download() {
                self.start_download(&t, now);
            } else {
                let result = self.upload(&t).await.map(|()| After::Nothing);
                if self.finish(&t, now, result)? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Waits for the download in flight and finishes it, then runs what is due next, until
    /// no download is in flight (an agent driven by [`step`](Agent::step)).
    pub(super) async fn drain_transfers(&mut self) -> Result<(), AgentError> {
        while self.fetching.is_some() {
            let result = finished(&mut self.fetching).await;
            if self.fetch_finished(result).await? {
                break;
            }
            self.run_transfers().await?;
        }
        Ok(())
    }

    /// The fetch in flight ended with `result`: applies the file by type and reports it;
    /// true when that rebooted (a firmware install).
    pub(super) async fn fetch_finished(
        &mut self,
        result: Result<u64, TransferError>,
    ) -> Result<bool, AgentError> {
        let Some(done) = self.fetching.take() else {
            return Ok(false);
        };
        let t = match self.transfers.get(done.id) {
            Some(t) if t.phase == Phase::InProgress => t.clone(),
            // A factory reset forgot it meanwhile.
            _ => {
                tracing::warn!(id = done.id, "download finished for a forgotten transfer");
                let _ = std::fs::remove_file(&done.dest);
                return Ok(false);
            }
        };
        let result = match result {
            Ok(bytes) => {
                tracing::info!(id = t.id, bytes, path = %done.dest.display(), "downloaded");
                self.apply_download(&t, &done.dest).await
            }
            Err(e) => Err(e),
        };
        self.finish(&t, done.start, result)
    }

    /// Saves a finished transfer's outcome, raises its events and reboots after a firmware
    /// install; true when it rebooted.
    fn finish(
        &mut self,
        t: &Transfer,
        start: i64,
        result: Result<After, TransferError>,
    ) -> Result<bool, AgentError> {
        let end = self.clock.unix();
        match result {
            Ok(after) => {
                self.complete(t.id, Outcome::success(start, end))?;
                if let After::Reboot = after {
                    self.reboot_for_firmware()?;
                    return Ok(true);
                }
            }
            Err(e) => {
                let code = e.fault_code(t.kind.is_download());
                self.complete(t.id, Outcome::failure(code, &e.to_string(), start, end))?;
            }
        }
        Ok(false)
    }

    fn limits(&self) -> Limits {
        Limits {
            max_size: self.config.transfer.max_size,
            timeout: Duration::from_secs(u64::from(self.config.transfer.timeout.max(1))),
        }
    }

    fn firmware(&self) -> FirmwareStore {
        FirmwareStore::new(&self.config.state_dir)
    }

    fn download_dir(&self) -> PathBuf {
        self.config
            .transfer
            .download_dir
            .clone()
            .unwrap_or_else(|| self.config.state_dir.join("downloads"))
    }

    fn software_version_path(&self) -> String {
        format!("{}DeviceInfo.SoftwareVersion", self.config.root())
    }

    /// Starts fetching the file in a task of its own.
    fn start_download(&mut self, t: &Transfer, now: i64) {
        let job = FetchJob {
            url: t.url.clone(),
            credentials: credentials(t),
            expected_size: u64::from(t.file_size),
            dest: self.download_dir().join(file_name(t)),
            limits: self.limits(),
        };
        self.fetching = Some(InFlight::spawn(self.connector.clone(), t.id, now, job));
    }

    /// Applies a downloaded file by type.
    async fn apply_download(&mut self, t: &Transfer, dest: &Path) -> Result<After, TransferError> {
        match t.file_type.as_str() {
            FIRMWARE => self.install_firmware(t, dest).await.map(|()| After::Reboot),
            CONFIG_FILE => self.apply_config(dest).await.map(|()| After::Nothing),
            _ => Ok(After::Nothing),
        }
    }

    /// Backs up the installed image, runs `apply_firmware`, records the new image and
    /// version and, with `backup --delay-time`, arms the rollback.
    async fn install_firmware(&mut self, t: &Transfer, image: &Path) -> Result<(), TransferError> {
        let store = self.firmware();
        let local = |e: std::io::Error| TransferError::Io(e.to_string());
        let had_backup = store.back_up().map_err(local)?;
        let previous_version = self.text(&self.software_version_path()).unwrap_or_default();
        let report = match self.config.transfer.apply_firmware.clone() {
            Some(cmd) => run_hook(&cmd, image, FIRMWARE, HOOK_TIMEOUT).await,
            None => {
                tracing::info!(path = %image.display(), "firmware image (no apply_firmware hook: nothing installed)");
                Ok(Default::default())
            }
        };
        let report = match report {
            Ok(r) => r,
            Err(message) => {
                if had_backup {
                    let _ = store.restore();
                }
                return Err(TransferError::Local(format!(
                    "installing the image: {message}"
                )));
            }
        };
        store.install(image).map_err(local)?;
        if let Some(version) = &report.version {
            self.set_software_version(version);
        }
        if self.config.backup.delay > 0 {
            self.transfers
                .set_upgrade(Some(UpgradeWatch {
                    transfer_id: t.id,
                    kind: t.kind,
                    command_key: t.command_key.clone(),
                    previous_version,
                    backup: had_backup.then(|| store.backup()),
                    deadline: None,
                }))
                .map_err(|e| TransferError::Io(e.to_string()))?;
        }
        Ok(())
    }

    fn set_software_version(&mut self, version: &str) {
        let path = self.software_version_path();
        match self.tree.set_local(&path, version) {
            Ok(_) => {
                if let Err(e) = self.tree.save(&self.tree_path) {
                    tracing::error!("saving the tree: {e}");
                }
            }
            Err(f) => tracing::warn!("{path}: {}", f.message),
        }
    }

    /// Keeps a copy of the saved tree (the configuration), then runs `apply_config`.
    async fn apply_config(&mut self, file: &Path) -> Result<(), TransferError> {
        let backup = self.config.state_dir.join("config-backup.bin");
        if self.tree_path.is_file() {
            std::fs::copy(&self.tree_path, &backup)
                .map_err(|e| TransferError::Io(format!("backing up the configuration: {e}")))?;
        }
        match self.config.transfer.apply_config.clone() {
            Some(cmd) => run_hook(&cmd, file, CONFIG_FILE, HOOK_TIMEOUT)
                .await
                .map(|_| ())
                .map_err(|m| TransferError::Local(format!("applying the configuration: {m}"))),
            None => {
                tracing::info!(path = %file.display(), "configuration file (no apply_config hook: kept only)");
                Ok(())
            }
        }
    }

    /// Produces the file for the type, then sends it.
    async fn upload(&mut self, t: &Transfer) -> Result<(), TransferError> {
        let max = self.config.transfer.max_size;
        let body = match (t.file_type.as_str(), &self.config.transfer.upload_config) {
            (UPLOAD_CONFIG_FILE, None) => read_bounded(&self.tree_path, max)?,
            (LOG_FILE, _) => match &self.config.transfer.log_file {
                Some(path) => read_bounded(path, max)?,
                None => {
                    return Err(TransferError::Local("no log file is configured".into()));
                }
            },
            (_, Some(cmd)) => produce(cmd, &t.file_type, HOOK_TIMEOUT, max)
                .await
                .map_err(TransferError::Local)?,
            (other, None) => {
                return Err(TransferError::Local(format!(
                    "no upload_config hook produces {other:?}"
                )));
            }
        };
        let creds = credentials(t);
        put(
            &self.connector,
            &t.url,
            creds.as_ref(),
            self.config.transfer.upload_method,
            Bytes::from(body),
            self.limits().timeout,
        )
        .await
    }

    /// Reboots after a firmware install: the simulated reboot, or the loop stops for a
    /// process restart.
    fn reboot_for_firmware(&mut self) -> Result<(), AgentError> {
        self.tree.save(&self.tree_path)?;
        match self.config.transfer.reboot {
            RebootMode::Simulate => {
                tracing::warn!("reboot after a firmware install (simulated)");
                self.boot()
            }
            RebootMode::Exit => {
                tracing::warn!("reboot after a firmware install: the agent exits to be restarted");
                self.restart = true;
                Ok(())
            }
        }
    }

    /// Past the post-upgrade deadline without a session: reinstalls the backup through the
    /// same hook, restores the version, reports 9010 and reboots again.
    async fn check_upgrade_deadline(&mut self) -> Result<(), AgentError> {
        let Some(watch) = self.transfers.upgrade().cloned() else {
            return Ok(());
        };
        let now = self.clock.unix();
        if watch.deadline.is_none_or(|d| now < d) {
            return Ok(());
        }
        let delay = self.config.backup.delay;
        tracing::warn!(
            "no session with the ACS within {delay} s of a firmware upgrade: rolling back"
        );
        let mut message =
            format!("firmware upgrade rolled back: no session with the ACS within {delay} s");
        if let Some(backup) = &watch.backup {
            let hook = self.config.transfer.apply_firmware.clone();
            let restored = match hook {
                Some(cmd) => run_hook(&cmd, backup, FIRMWARE, HOOK_TIMEOUT)
                    .await
                    .map(|_| ()),
                None => Ok(()),
            };
            match restored.and_then(|()| self.firmware().restore().map_err(|e| e.to_string())) {
                Ok(()) => {}
                Err(e) => {
                    tracing::error!("restoring the previous image: {e}");
                    message.push_str(&format!("; restoring the previous image failed: {e}"));
                }
            }
        }
        self.set_software_version(&watch.previous_version);
        let outcome = Outcome::failure(FaultCode::FILE_TRANSFER_FAILURE, &message, now, now);
        let id = match self.transfers.get(watch.transfer_id) {
            Some(_) => watch.transfer_id,
            // Its success was acknowledged already: report the rollback anew.
            None => self.transfers.push(Transfer {
                id: 0,
                kind: watch.kind,
                command_key: watch.command_key.clone(),
                file_type: FIRMWARE.into(),
                url: String::new(),
                username: String::new(),
                password: String::new(),
                file_size: 0,
                target_file_name: String::new(),
                not_before: now,
                windows: Vec::new(),
                phase: Phase::Queued,
            })?,
        };
        self.transfers.set_upgrade(None)?;
        self.transfers.set_phase(
            id,
            Phase::Completed {
                outcome,
                raised: false,
            },
        )?;
        self.raise_completion(id)?;
        self.reboot_for_firmware()
    }
}

/// The download's file name in the download dir: TargetFileName's last component if it is a
/// plain name, else one made of the transfer's id.
fn file_name(t: &Transfer) -> String {
    let name = Path::new(&t.target_file_name)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && !n.starts_with('.'));
    name.map_or_else(|| format!("transfer-{}.bin", t.id), str::to_owned)
}

fn credentials(t: &Transfer) -> Option<Credentials> {
    (!t.username.is_empty()).then(|| Credentials::new(&t.username, &t.password))
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, TransferError> {
    let len = std::fs::metadata(path)
        .map_err(|e| TransferError::Io(format!("{}: {e}", path.display())))?
        .len();
    if len > max {
        return Err(TransferError::TooLarge(max));
    }
    std::fs::read(path).map_err(|e| TransferError::Io(format!("{}: {e}", path.display())))
}
