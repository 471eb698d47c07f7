//! The preset part of the ACS's turn: selecting presets, sending the requests of
//! [`plan::next_step`](crate::session::presets::plan::next_step) and recording their answers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cwmp::rpc::{Download, ParameterValueStruct, SetParameterValues};
use cwmp::{Body, Envelope, EventCode, Value};
use rand::TryRngCore as _;

use super::Session;
use crate::files::signing::Grant;
use crate::query::DeviceView;
use crate::session::presets::plan::{
    Inputs, Progress, Purpose, Selected, Step, download_key, next_step,
};
use crate::session::presets::{Catalog, LOOP_FAULT, fault_channel};
use crate::session::results::engine_fault;
use crate::session::types::{Outcome, SessionError};
use crate::store::{
    DeviceId, FaultInfo, FaultRecord, NewFault, PresetState, StoreError, Timestamp,
};

mod answer;
mod provisions;

use provisions::Scripted;

/// A preset request on the wire.
#[derive(Debug)]
struct Outstanding {
    id: String,
    request: Body,
    presets: Vec<String>,
    purpose: Purpose,
}

/// The preset engine's state in one session.
#[derive(Debug, Default)]
pub(super) struct PresetRun {
    started: bool,
    done: bool,
    catalog: Arc<Catalog>,
    progress: Progress,
    excluded: BTreeSet<String>,
    stopped: BTreeSet<String>,
    open_faults: BTreeSet<String>,
    states: BTreeMap<String, PresetState>,
    /// The store holds no state for the device (as loaded or last saved): saving none again
    /// is skipped, which spares two writes per session to devices no preset is working on.
    stored_empty: bool,
    rpcs: u32,
    outstanding: Option<Outstanding>,
    /// States and faults read with the Inform ([`crate::store::Store::begin_session`]).
    prefetched: Option<(Vec<PresetState>, Vec<FaultRecord>)>,
    /// Provision scripts of the selected presets.
    provisions: crate::session::provisions::ProvisionRun,
}

impl PresetRun {
    /// Keeps the states and faults read with the Inform for [`Session::preset_start`].
    pub(super) fn prefetch(&mut self, states: Vec<PresetState>, faults: Vec<FaultRecord>) {
        self.prefetched = Some((states, faults));
    }

    /// True while a preset request awaits its answer.
    pub(super) fn is_waiting(&self) -> bool {
        self.outstanding.is_some()
    }
}

/// `Device.` or `InternetGatewayDevice.`, from what the device reported.
fn root(params: &[crate::store::Parameter]) -> &'static str {
    if params
        .iter()
        .any(|p| p.path.starts_with("InternetGatewayDevice."))
    {
        "InternetGatewayDevice."
    } else {
        "Device."
    }
}

fn random_hex(bytes: usize) -> Result<String, SessionError> {
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng
        .try_fill_bytes(&mut raw)
        .map_err(|e| SessionError::Store(std::io::Error::other(format!("random: {e}")).into()))?;
    Ok(cwmp::http_auth::hex(&raw))
}

impl Session {
    /// The next preset request, or `None` when the presets are done for this session.
    pub(super) async fn preset_next(
        &mut self,
        now: Timestamp,
    ) -> Result<Option<Outcome>, SessionError> {
        if self.presets.done {
            return Ok(None);
        }
        let device = self.device_id()?;
        if !self.presets.started {
            self.preset_start(&device, now).await?;
        }
        loop {
            if self.nothing_to_plan() {
                // The common session of a fleet without presets: no device read at all.
                self.preset_finish(&device, &[]).await?;
                return Ok(None);
            }
            let record = self
                .store
                .get_device(&device)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("device {device}")))?;
            let params = self.store.get_parameters(&device, "").await?;
            let selected = self.select_presets(
                DeviceView {
                    device: &record,
                    params: &params,
                },
                now,
            );
            let pending: BTreeMap<String, String> = self
                .presets
                .states
                .values()
                .filter_map(|s| s.download.clone().map(|d| (s.preset.clone(), d)))
                .collect();
            let step = match self
                .provision_step(&device, &record, &params, &selected)
                .await?
            {
                Scripted::Again => continue,
                Scripted::Step(step) => *step,
                Scripted::Nothing => next_step(
                    &Inputs {
                        selected: &selected,
                        device: &record,
                        params: &params,
                        session_start: self.started,
                        bootstrap: self.events.contains(&EventCode::Bootstrap),
                        credentials_always: self.config.presets.cr_credentials_on_bootstrap,
                        root: root(&params),
                        pending_downloads: &pending,
                    },
                    &self.presets.progress,
                ),
            };
            if !matches!(step, Step::Done)
                && self.presets.rpcs >= self.config.presets.max_rpcs_per_session
            {
                let mut looping = self.presets.progress.changed.clone();
                if looping.is_empty() {
                    looping.extend(selected.iter().map(|s| s.name.clone()));
                }
                let fault = engine_fault(
                    LOOP_FAULT,
                    format!(
                        "still changing the device after {} preset requests in one session",
                        self.presets.rpcs
                    ),
                );
                for name in looping {
                    self.stop_preset(&device, &name, fault.clone()).await?;
                }
                self.preset_finish(&device, &selected).await?;
                return Ok(None);
            }
            self.presets.rpcs += 1;
            let (request, presets, purpose) = match step {
                Step::Done => {
                    self.note_firmware_version(&record, &selected, &params, root(&params), now)
                        .await?;
                    self.preset_finish(&device, &selected).await?;
                    return Ok(None);
                }
                Step::Tags {
                    add,
                    remove,
                    presets,
                } => {
                    for t in &add {
                        self.store.add_tag(&device, t).await?;
                    }
                    for t in &remove {
                        self.store.remove_tag(&device, t).await?;
                    }
                    self.presets.progress.changed.extend(presets);
                    continue;
                }
                Step::Credentials { presets } => {
                    let username = format!("cr-{}", random_hex(6)?);
                    let password = random_hex(16)?;
                    let base = format!("{}ManagementServer.ConnectionRequest", root(&params));
                    let request = SetParameterValues {
                        parameter_list: vec![
                            ParameterValueStruct {
                                name: format!("{base}Username"),
                                value: Value::string(username.clone()),
                            },
                            ParameterValueStruct {
                                name: format!("{base}Password"),
                                value: Value::string(password.clone()),
                            },
                        ],
                        parameter_key: String::new(),
                    };
                    let presets = if presets.is_empty() {
                        vec!["_credentials".to_owned()]
                    } else {
                        presets
                    };
                    (
                        request.into(),
                        presets,
                        Purpose::Credentials { username, password },
                    )
                }
                Step::Firmware { preset, firmware } => {
                    let base = match &self.files {
                        Some(files) => files.base_for(self.reached.as_deref()).unwrap_or_default(),
                        None => self
                            .config
                            .presets
                            .file_base_url
                            .trim_end_matches('/')
                            .to_owned(),
                    };
                    if base.is_empty() {
                        let fault = engine_fault(
                            "firmware_unconfigured",
                            "no file base URL is configured for firmware downloads",
                        );
                        self.preset_fault(&device, &[preset], fault, now).await?;
                        continue;
                    }
                    let size = self
                        .store
                        .get_file(&firmware.file)
                        .await?
                        .and_then(|f| u32::try_from(f.size).ok())
                        .unwrap_or(0);
                    let key = download_key(&preset, &firmware);
                    // With the file server, a URL signed for this device (TR-069 leaves
                    // the download's authentication to the URL or credentials).
                    let url = match &self.files {
                        Some(files) => {
                            let ttl = self.config.transfer_timeout.as_secs();
                            let expires = u64::try_from(now.as_millis() / 1000)
                                .unwrap_or(0)
                                .saturating_add(ttl);
                            files.signed_url_at(
                                &base,
                                Grant::File,
                                &firmware.file,
                                &device,
                                expires,
                            )
                        }
                        None => format!("{base}/{}", firmware.file),
                    };
                    let request = Download {
                        command_key: key.clone(),
                        file_type: "1 Firmware Upgrade Image".into(),
                        url,
                        username: String::new(),
                        password: String::new(),
                        file_size: size,
                        target_file_name: String::new(),
                        delay_seconds: 0,
                        success_url: String::new(),
                        failure_url: String::new(),
                    };
                    (request.into(), vec![preset], Purpose::Download(key))
                }
                Step::Rpc {
                    request,
                    presets,
                    purpose,
                } => (request, presets, purpose),
            };
            if Envelope::new(self.version, cwmp::Header::with_id("0"), request.clone())
                .validate()
                .is_err()
            {
                let fault = engine_fault(
                    "invalid_preset",
                    format!(
                        "{} cannot be sent in CWMP {}",
                        request.name(),
                        self.version.as_str()
                    ),
                );
                if matches!(purpose, Purpose::Credentials { .. }) {
                    self.presets.progress.credentials_done = true;
                }
                self.preset_fault(&device, &presets, fault, now).await?;
                continue;
            }
            if matches!(request, Body::Reboot(_)) {
                self.presets.progress.rebooted = true;
            }
            let (id, outcome) = self.wire(request.clone());
            self.presets.outstanding = Some(Outstanding {
                id,
                request,
                presets,
                purpose,
            });
            return Ok(Some(outcome));
        }
    }

    /// Loads presets, faults and bookkeeping; settles downloads reported by TransferComplete.
    async fn preset_start(
        &mut self,
        device: &DeviceId,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.presets.started = true;
        let (states, faults) = match self.presets.prefetched.take() {
            Some(read) => read,
            None => (
                self.store.preset_states(device).await?,
                self.store.list_faults(Some(device)).await?,
            ),
        };
        self.presets.states = states.into_iter().map(|s| (s.preset.clone(), s)).collect();
        self.presets.stored_empty = self.presets.states.is_empty();
        for f in faults {
            if let Some(name) = f.channel.strip_prefix("preset:") {
                self.presets.open_faults.insert(name.to_owned());
                if f.fault.code == LOOP_FAULT {
                    self.presets.stopped.insert(name.to_owned());
                }
            }
        }
        // A deleted fault means "retry now".
        let open = self.presets.open_faults.clone();
        for s in self.presets.states.values_mut() {
            if !open.contains(&s.preset) {
                s.next_attempt = None;
            }
        }
        for (key, code) in self.transfers.clone() {
            let waiting: Vec<String> = self
                .presets
                .states
                .values()
                .filter(|s| s.download.as_deref() == Some(key.as_str()))
                .map(|s| s.preset.clone())
                .collect();
            for name in waiting {
                self.state(&name).download = None;
                if code != 0 {
                    let fault = engine_fault(
                        &format!("cwmp.{code}"),
                        format!("firmware download {key} failed"),
                    );
                    self.note_firmware_failure(device, &name, now).await?;
                    self.preset_fault(device, &[name], fault, now).await?;
                }
            }
        }
        self.presets.catalog = self.preset_cache.get(self.store.as_ref(), now).await?;
        let catalog = Arc::clone(&self.presets.catalog);
        for (name, error) in &catalog.invalid {
            tracing::warn!(device = %device, preset = %name, error = %error, "preset skipped");
            self.presets.excluded.insert(name.clone());
            self.store
                .record_fault(NewFault {
                    device: device.clone(),
                    channel: fault_channel(name),
                    fault: engine_fault("invalid_preset", error.clone()),
                })
                .await?;
        }
        self.save_preset_states(device).await
    }

    /// True when no step could come of this session's inputs: no presets, no firmware
    /// download awaited, no Connection Request credentials to give.
    fn nothing_to_plan(&self) -> bool {
        let run = &self.presets;
        let credentials = self.config.presets.cr_credentials_on_bootstrap
            && self.events.contains(&EventCode::Bootstrap)
            && !run.progress.credentials_done;
        run.catalog.presets.is_empty()
            && run.states.values().all(|s| s.download.is_none())
            && !credentials
    }

    /// Presets that apply now, lowest weight first.
    fn select_presets(&self, view: DeviceView<'_>, now: Timestamp) -> Vec<Selected> {
        let run = &self.presets;
        let inform: Vec<String> = self
            .events
            .iter()
            .map(|e| e.as_str().into_owned())
            .collect();
        run.catalog
            .presets
            .iter()
            .filter(|p| !run.excluded.contains(&p.name) && !run.stopped.contains(&p.name))
            .filter(|p| {
                run.states
                    .get(&p.name)
                    .and_then(|s| s.next_attempt)
                    .is_none_or(|t| t <= now)
            })
            .filter(|p| run.open_faults.contains(&p.name) || p.events_match(&inform))
            .filter(|p| p.schedule.as_ref().is_none_or(|s| s.active(now)))
            .filter(|p| p.precondition.matches_at(view, now))
            .map(|p| Selected {
                name: p.name.clone(),
                config: p.config.clone(),
            })
            .collect()
    }

    /// Records `fault` on each preset, schedules its retry and leaves it out of this session.
    async fn preset_fault(
        &mut self,
        device: &DeviceId,
        presets: &[String],
        fault: FaultInfo,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        for name in presets {
            let rec = self
                .store
                .record_fault(NewFault {
                    device: device.clone(),
                    channel: fault_channel(name),
                    fault: fault.clone(),
                })
                .await?;
            let next = self
                .config
                .retry
                .delay(rec.retries.saturating_add(1))
                .map_or(Timestamp(i64::MAX), |d| now.plus(d));
            self.state(name).next_attempt = Some(next);
            self.presets.excluded.insert(name.clone());
            self.presets.open_faults.insert(name.clone());
        }
        self.save_preset_states(device).await
    }

    /// Stops a looping preset with a `preset_loop` fault.
    async fn stop_preset(
        &mut self,
        device: &DeviceId,
        name: &str,
        fault: FaultInfo,
    ) -> Result<(), SessionError> {
        tracing::warn!(device = %device, preset = %name, "preset loop stopped");
        self.store
            .record_fault(NewFault {
                device: device.clone(),
                channel: fault_channel(name),
                fault,
            })
            .await?;
        self.presets.stopped.insert(name.to_owned());
        self.presets.open_faults.insert(name.to_owned());
        self.state(name).streak = 0;
        Ok(())
    }

    /// End of the presets for this session: clears the faults of satisfied presets and
    /// counts the sessions in which each preset made changes.
    async fn preset_finish(
        &mut self,
        device: &DeviceId,
        selected: &[Selected],
    ) -> Result<(), SessionError> {
        self.presets.done = true;
        for s in selected {
            if self.presets.stopped.contains(&s.name) || self.presets.excluded.contains(&s.name) {
                continue;
            }
            if self.presets.open_faults.remove(&s.name) {
                self.store
                    .delete_fault(device, &fault_channel(&s.name))
                    .await?;
            }
            self.state(&s.name).next_attempt = None;
        }
        let names: Vec<String> = self
            .presets
            .catalog
            .presets
            .iter()
            .map(|p| p.name.clone())
            .collect();
        for name in names {
            if self.presets.stopped.contains(&name) {
                continue;
            }
            if !self.presets.progress.changed.contains(&name) {
                self.state(&name).streak = 0;
                continue;
            }
            let streak = {
                let s = self.state(&name);
                s.streak += 1;
                s.streak
            };
            if streak >= self.config.presets.max_changing_sessions {
                let fault = engine_fault(
                    LOOP_FAULT,
                    format!("changed the device in {streak} consecutive sessions"),
                );
                self.stop_preset(device, &name, fault).await?;
            }
        }
        self.save_preset_states(device).await
    }

    fn state(&mut self, name: &str) -> &mut PresetState {
        self.presets
            .states
            .entry(name.to_owned())
            .or_insert_with(|| PresetState {
                preset: name.to_owned(),
                ..PresetState::default()
            })
    }

    async fn save_preset_states(&mut self, device: &DeviceId) -> Result<(), SessionError> {
        let states: Vec<PresetState> = self
            .presets
            .states
            .values()
            .filter(|s| s.streak > 0 || s.next_attempt.is_some() || s.download.is_some())
            .cloned()
            .collect();
        if states.is_empty() && self.presets.stored_empty {
            return Ok(());
        }
        let empty = states.is_empty();
        self.store.put_preset_states(device, states).await?;
        self.presets.stored_empty = empty;
        Ok(())
    }
}
