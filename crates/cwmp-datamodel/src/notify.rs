//! Change tracking for `4 VALUE CHANGE` (TR-069 A.3.2.4 Notification, 3.7.1.5)
//! and the Inform parameter list.
//!
//! Changes made by anything but the ACS (a local set, the system, a live
//! backend) are recorded for parameters whose Notification is passive (1)
//! or active (2); changes made by the ACS through SetParameterValues are not
//! (A.3.2.4: the ACS already knows them). An active change raises a flag the
//! agent reads with [`Tree::take_active_request`] to open a session.

use std::collections::HashSet;

use cwmp::FaultCode;
use cwmp::rpc::ParameterValueStruct;

use crate::backend::{Backend, LiveRead};
use crate::ops::Fault;
use crate::ops::get::Located;
use crate::tree::{Tree, key};
use crate::validate::check_text;

/// What recording a change did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeSignal {
    /// At least one change was recorded for the next Inform.
    pub recorded: bool,
    /// At least one was under active notification: a session is wanted now.
    pub active: bool,
}

impl ChangeSignal {
    fn merge(&mut self, o: ChangeSignal) {
        self.recorded |= o.recorded;
        self.active |= o.active;
    }
}

/// Parameters for an Inform: forced ones plus changed ones, each once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InformParameters {
    /// The ParameterList.
    pub parameters: Vec<ParameterValueStruct>,
    /// True if changes were included: the Inform must carry `4 VALUE CHANGE`.
    pub value_change: bool,
}

/// Notification values that put the parameter in a CWMP Inform (1, 2, and the
/// CWMP-side part of 4 and 6).
fn notifies_cwmp(n: u8) -> bool {
    matches!(n, 1 | 2 | 4 | 6)
}

impl Tree {
    /// Records a change of `param` in instance `nums` if its Notification asks for it.
    fn record(&mut self, param: u32, nums: &[u32]) -> ChangeSignal {
        let obj = self.model.param(param).object;
        let Some(inst) = self.st.get(obj, nums) else {
            return ChangeSignal::default();
        };
        let n = self.attr_of(param, inst).notification;
        if !notifies_cwmp(n) {
            return ChangeSignal::default();
        }
        self.st.changed.insert(key(param, nums).into());
        let active = n == 2;
        self.st.active_pending |= active;
        ChangeSignal {
            recorded: true,
            active,
        }
    }

    /// Sets a value on behalf of the CPE itself (system, operator, any
    /// parameter, read-only or not). 9005 unknown, 9007 invalid.
    pub fn set_local(&mut self, path: &str, value: &str) -> Result<ChangeSignal, Fault> {
        let Ok(Located::Param { param, nums }) = self.locate(path) else {
            return Err(Fault::invalid_name(path));
        };
        let m = self.model.clone();
        if m.param(param).derived.is_some() {
            return Err(Fault::new(
                FaultCode::NON_WRITABLE_PARAMETER,
                format!("{path} is computed"),
            ));
        }
        let text = check_text(m.param_syntax(param), value)
            .map_err(|e| Fault::new(FaultCode::INVALID_PARAMETER_VALUE, e.to_string()))?;
        let unchanged = self
            .st
            .get(m.param(param).object, &nums)
            .is_some_and(|i| i.value(&m, param) == text);
        if unchanged {
            return Ok(ChangeSignal::default());
        }
        self.st.store(&m, param, &nums, text.into());
        Ok(self.record(param, &nums))
    }

    /// Reads every live parameter whose Notification is on, stores the new
    /// values and records those that changed.
    pub fn refresh_live(&mut self, backend: &dyn Backend) -> ChangeSignal {
        let m = self.model.clone();
        let mut updates: Vec<(u32, Vec<u32>, String)> = Vec::new();
        for (k, inst) in &self.st.instances {
            let (obj, nums) = (k[0], &k[1..]);
            let (a, b) = m.obj(obj).params;
            for param in a..b {
                let p = m.param(param);
                if !backend.is_live(&p.path) || self.attr_of(param, inst).notification == 0 {
                    continue;
                }
                let req = LiveRead {
                    model: &m,
                    st: &self.st,
                    obj,
                    nums,
                    schema_path: &p.path,
                };
                if let Some(v) = backend.read(&req) {
                    if inst.value(&m, param) != v {
                        updates.push((param, nums.to_vec(), v));
                    }
                }
            }
        }
        let mut sig = ChangeSignal::default();
        for (param, nums, v) in updates {
            self.st.store(&m, param, &nums, v.into());
            sig.merge(self.record(param, &nums));
        }
        sig
    }

    /// Records a change of the NumberOfEntries parameter counting table `obj` under `parent`.
    fn record_count(&mut self, obj: u32, parent: &[u32]) -> ChangeSignal {
        let m = self.model.clone();
        let Some(pobj) = m.obj(obj).parent else {
            return ChangeSignal::default();
        };
        let (a, b) = m.obj(pobj).params;
        let counter =
            (a..b).find(|&p| m.param(p).derived == Some(crate::model::Derived::NumEntries(obj)));
        match counter {
            Some(p) => self.record(p, parent),
            None => ChangeSignal::default(),
        }
    }

    /// Adds a row on behalf of the CPE (e.g. a new `Hosts.Host`), read-only tables included.
    pub fn add_instance_local(&mut self, table_path: &str) -> Result<(u32, ChangeSignal), Fault> {
        let (obj, nums) = self.local_table(table_path)?;
        let n = self.create_row(obj, &nums)?;
        Ok((n, self.record_count(obj, &nums)))
    }

    /// Deletes a row on behalf of the CPE, read-only tables included.
    pub fn delete_instance_local(&mut self, path: &str) -> Result<ChangeSignal, Fault> {
        let (obj, nums) = self.local_row(path)?;
        let m = self.model.clone();
        self.st.remove_subtree(&m, obj, &nums);
        let parent = &nums[..nums.len().saturating_sub(1)];
        Ok(self.record_count(obj, parent))
    }

    /// True (once) if an active notification asked for a session since the last call.
    pub fn take_active_request(&mut self) -> bool {
        std::mem::take(&mut self.st.active_pending)
    }

    /// The changed parameters with their current values, without clearing them.
    pub fn pending_changes(&self, backend: &dyn Backend) -> Vec<ParameterValueStruct> {
        let m = &self.model;
        self.st
            .changed
            .iter()
            .filter_map(|k| {
                let (param, nums) = (k[0], &k[1..]);
                let inst = self.st.get(m.param(param).object, nums)?;
                Some(ParameterValueStruct {
                    name: m.param_path(param, nums),
                    value: self.read_value(param, nums, inst, backend),
                })
            })
            .collect()
    }

    /// Forgets the recorded changes (after the InformResponse).
    pub fn clear_changes(&mut self) {
        self.st.changed.clear();
        self.st.active_pending = false;
    }

    /// The changed parameters, cleared.
    pub fn take_changes(&mut self, backend: &dyn Backend) -> Vec<ParameterValueStruct> {
        let out = self.pending_changes(backend);
        self.clear_changes();
        out
    }

    /// Values of the schema's forcedInform parameters present in the tree.
    pub fn forced_inform_values(&self, backend: &dyn Backend) -> Vec<ParameterValueStruct> {
        let m = &self.model;
        let mut out = Vec::new();
        for &param in m.forced_inform.iter() {
            for nums in self.st.instances_of(m.param(param).object) {
                if let Some(inst) = self.st.get(m.param(param).object, &nums) {
                    out.push(ParameterValueStruct {
                        name: m.param_path(param, &nums),
                        value: self.read_value(param, &nums, inst, backend),
                    });
                }
            }
        }
        out
    }

    /// The Inform ParameterList: forced parameters, then pending changes not
    /// already listed (3.7.1.5: each parameter once). Changes stay pending
    /// until [`Tree::clear_changes`].
    pub fn inform_parameters(&self, backend: &dyn Backend) -> InformParameters {
        let mut parameters = self.forced_inform_values(backend);
        let changes = self.pending_changes(backend);
        let value_change = !changes.is_empty();
        if value_change {
            let names: HashSet<String> = parameters.iter().map(|p| p.name.clone()).collect();
            parameters.extend(changes.into_iter().filter(|c| !names.contains(&c.name)));
        }
        InformParameters {
            parameters,
            value_change,
        }
    }
}
