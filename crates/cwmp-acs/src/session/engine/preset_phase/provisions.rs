//! Running the selected presets' provision scripts in a session
//! ([`crate::session::provisions`]): each pass runs every provision on the blocking pool
//! against the stored device, records script faults on the preset's channel, applies
//! `clear()` calls, and turns what the scripts ask for into the next preset request.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::super::Session;
use crate::script::{self, Facts, OwnedInput, Tree};
use crate::session::presets::plan::{Selected, Step};
use crate::session::provisions::{
    PresetAsk, builtin, cleared_rows, next_step, vparam_row, vparams_to_compute,
};
use crate::session::types::SessionError;
use crate::store::{Device, DeviceId, FaultInfo, ParamBatch, Parameter, ScriptKind, Timestamp};

/// What the provisions want next.
pub(in crate::session::engine) enum Scripted {
    /// Send this request (or change these tags).
    Step(Box<Step>),
    /// The store or the selection changed (a fault, a `clear()`): plan again.
    Again,
    /// The provisions are satisfied: the typed presets go on.
    Nothing,
}

impl Session {
    /// One pass of the selected presets' provisions.
    pub(in crate::session::engine) async fn provision_step(
        &mut self,
        device: &DeviceId,
        record: &Device,
        params: &[Parameter],
        selected: &[Selected],
    ) -> Result<Scripted, SessionError> {
        let with: Vec<&Selected> = selected
            .iter()
            .filter(|s| !s.config.provisions.is_empty())
            .collect();
        if with.is_empty() {
            return Ok(Scripted::Nothing);
        }
        let now = self.started;
        let scripts = match &self.presets.provisions.scripts {
            Some(s) => Arc::clone(s),
            None => {
                let all: HashMap<String, Arc<str>> = self
                    .store
                    .list_scripts(ScriptKind::Provision)
                    .await?
                    .into_iter()
                    .map(|s| (s.name, Arc::from(s.script)))
                    .collect();
                let all = Arc::new(all);
                self.presets.provisions.scripts = Some(Arc::clone(&all));
                all
            }
        };
        if self.presets.provisions.ext.is_unconfigured() {
            self.presets.provisions.ext = script::ExtCache::new(self.config.scripts.ext());
        }
        let vparam_scripts = match &self.presets.provisions.vparam_scripts {
            Some(s) => Arc::clone(s),
            None => {
                let all: HashMap<String, Arc<str>> = self
                    .store
                    .list_scripts(ScriptKind::VirtualParameter)
                    .await?
                    .into_iter()
                    .map(|s| (s.name, Arc::from(s.script)))
                    .collect();
                let all = Arc::new(all);
                self.presets.provisions.vparam_scripts = Some(Arc::clone(&all));
                all
            }
        };
        let mut vparam_names: Vec<String> = vparam_scripts.keys().cloned().collect();
        vparam_names.sort();
        let mut computed = Vec::new();
        let tree = Tree::new(record, params).shared();
        let facts = Arc::new(Facts {
            enumerated: self.presets.progress.enumerated.iter().cloned().collect(),
            deep: self.presets.provisions.deep.clone(),
            read: self.presets.progress.read_values.iter().cloned().collect(),
            virtual_pending: vparam_names
                .iter()
                .filter(|n| !self.presets.provisions.vparams_done.contains(*n))
                .cloned()
                .collect(),
        });
        let limits = self.config.scripts.limits();
        let mut asks = Vec::new();
        let mut faulted = false;
        let mut clears = Vec::new();
        'presets: for s in with {
            let mut ask = PresetAsk {
                preset: s.name.clone(),
                ..PresetAsk::default()
            };
            let mut writes = Vec::new();
            for call in &s.config.provisions {
                let Some(text) = scripts
                    .get(&call.name)
                    .cloned()
                    .or_else(|| builtin::script(&call.name).map(Arc::from))
                else {
                    let fault = FaultInfo {
                        code: "script.missing".into(),
                        message: format!("no provision named {:?}", call.name),
                        detail: Some(json!({"provision": call.name})),
                    };
                    self.preset_fault(device, std::slice::from_ref(&s.name), fault, now)
                        .await?;
                    faulted = true;
                    continue 'presets;
                };
                let out = script::run_blocking(OwnedInput {
                    script: text,
                    args: Json::Array(call.args.clone()),
                    now: now.as_millis(),
                    device_id: device.as_str().to_owned(),
                    tree: Arc::clone(&tree),
                    facts: Arc::clone(&facts),
                    limits,
                    ext: std::mem::take(&mut self.presets.provisions.ext),
                })
                .await;
                self.presets.provisions.ext = out.ext.clone();
                for line in &out.logs {
                    tracing::info!(device = %device, preset = %s.name, provision = %call.name, "script: {line}");
                }
                if let Some(f) = &out.fault {
                    tracing::info!(device = %device, preset = %s.name, provision = %call.name, code = %f.code, "provision faulted: {}", f.describe());
                    let fault = FaultInfo {
                        code: f.code.clone(),
                        message: format!("provision {}: {}", call.name, f.describe()),
                        detail: Some(
                            json!({"provision": call.name, "line": f.line, "column": f.column}),
                        ),
                    };
                    self.preset_fault(device, std::slice::from_ref(&s.name), fault, now)
                        .await?;
                    faulted = true;
                    continue 'presets;
                }
                // Virtual parameters are computed below, not read from the CPE.
                ask.needs.extend(
                    out.needs
                        .iter()
                        .filter(|n| !matches!(n, crate::script::Need::Virtual(_)))
                        .cloned(),
                );
                writes.extend(out.writes(&tree));
                clears.extend(out.clears.iter().cloned());
                let vparams = vparams_to_compute(
                    &out.declarations,
                    &tree,
                    &vparam_names,
                    &self.presets.provisions.vparams_done,
                );
                for v in vparams {
                    let Some(text) = vparam_scripts.get(&v.name).cloned() else {
                        continue;
                    };
                    let vout = script::run_blocking(OwnedInput {
                        script: text,
                        args: json!([v.timestamps, v.values]),
                        now: now.as_millis(),
                        device_id: device.as_str().to_owned(),
                        tree: Arc::clone(&tree),
                        facts: Arc::clone(&facts),
                        limits,
                        ext: std::mem::take(&mut self.presets.provisions.ext),
                    })
                    .await;
                    self.presets.provisions.ext = vout.ext.clone();
                    let row = match &vout.fault {
                        Some(f) => Err(FaultInfo {
                            code: f.code.clone(),
                            message: format!("virtual parameter {}: {}", v.name, f.describe()),
                            detail: Some(
                                json!({"virtualParameter": v.name, "line": f.line, "column": f.column}),
                            ),
                        }),
                        None if !vout.done => {
                            ask.needs.extend(
                                vout.needs
                                    .iter()
                                    .filter(|n| !matches!(n, crate::script::Need::Virtual(_)))
                                    .cloned(),
                            );
                            continue;
                        }
                        None => {
                            let vwrites = vout.writes(&tree);
                            if !vwrites.is_empty() {
                                writes.extend(vwrites);
                                continue;
                            }
                            vparam_row(&v.name, vout.return_value.as_ref()).map_err(|m| FaultInfo {
                                code: "script.error".into(),
                                message: m,
                                detail: Some(json!({"virtualParameter": v.name})),
                            })
                        }
                    };
                    match row {
                        Ok(update) => {
                            self.presets.provisions.vparams_done.insert(v.name.clone());
                            computed.push(update);
                        }
                        Err(fault) => {
                            self.preset_fault(device, std::slice::from_ref(&s.name), fault, now)
                                .await?;
                            faulted = true;
                            continue 'presets;
                        }
                    }
                }
            }
            ask.writes = writes;
            asks.push(ask);
        }
        if !computed.is_empty() {
            self.store
                .write_parameters(
                    device,
                    ParamBatch {
                        time: Timestamp::now(),
                        updates: computed,
                        ..ParamBatch::default()
                    },
                )
                .await?;
            return Ok(Scripted::Again);
        }
        if faulted {
            return Ok(Scripted::Again);
        }
        let mut forget = Vec::new();
        for c in clears {
            if self
                .presets
                .provisions
                .cleared
                .insert((c.path.to_string(), c.timestamp))
            {
                forget.extend(cleared_rows(params, &c.path, c.timestamp));
            }
        }
        if !forget.is_empty() {
            self.store
                .write_parameters(
                    device,
                    ParamBatch {
                        time: now,
                        delete_paths: forget,
                        ..ParamBatch::default()
                    },
                )
                .await?;
            return Ok(Scripted::Again);
        }
        let Some(step) = next_step(&asks, &tree, &mut self.presets.provisions) else {
            return Ok(Scripted::Nothing);
        };
        let owners: Vec<String> = match &step {
            Step::Rpc { presets, .. } | Step::Tags { presets, .. } => presets.clone(),
            _ => Vec::new(),
        };
        let max = self.config.scripts.max_iterations;
        let mut over = Vec::new();
        for o in owners {
            let n = self.presets.provisions.rounds.entry(o.clone()).or_insert(0);
            *n += 1;
            if *n > max {
                over.push(o);
            }
        }
        if !over.is_empty() {
            let fault = FaultInfo {
                code: "script.iterations".into(),
                message: format!(
                    "provisions still asked for requests after {max} rounds in one session"
                ),
                detail: None,
            };
            self.preset_fault(device, &over, fault, now).await?;
            return Ok(Scripted::Again);
        }
        Ok(Scripted::Step(Box::new(step)))
    }
}
