//! The next step towards the desired state: a pure function of the selected presets, what
//! the store knows and what this session already did.
//!
//! Order: Connection Request credentials (bootstrap), object enumeration and AddObject,
//! parameter reads then SetParameterValues, attribute reads then SetParameterAttributes,
//! tags, firmware, reboot. Reads come first, and only what differs is written. A value is
//! read when it is not fresh: not written in this session (by the Inform, a read or an
//! acknowledged set).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use cwmp::Body;
use cwmp::rpc::{
    AddObject, GetParameterAttributes, GetParameterNames, GetParameterValues, Notification,
    ParameterValueStruct, Reboot, SetParameterAttributes, SetParameterAttributesStruct,
    SetParameterValues,
};
use sha2::Digest as _;

use super::config::{DesiredValue, Firmware, PresetConfig};
use super::instances;
use crate::store::{Device, Parameter, Timestamp};
use crate::task::typed_value;

/// A preset selected for this session.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// Name.
    pub name: String,
    /// Its configuration.
    pub config: PresetConfig,
}

/// What the session already did for presets.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Paths read with GetParameterValues.
    pub read_values: HashSet<String>,
    /// Paths read with GetParameterAttributes.
    pub read_attrs: HashSet<String>,
    /// Objects enumerated with GetParameterNames.
    pub enumerated: HashSet<String>,
    /// Instances added in this session for `add_object` rules, by the rule's alias.
    pub created: BTreeMap<String, String>,
    /// Credentials provisioned (or tried).
    pub credentials_done: bool,
    /// A reboot was sent.
    pub rebooted: bool,
    /// Presets that changed something.
    pub changed: BTreeSet<String>,
}

/// What an outstanding preset request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Reads parameters or attributes.
    Read,
    /// Lists the instances of an object.
    Enumerate(String),
    /// Adds the instance of an `add_object` rule (its alias).
    AddInstance(String),
    /// Changes the device.
    Write,
    /// Sets Connection Request credentials.
    Credentials {
        /// Username set.
        username: String,
        /// Password set.
        password: String,
    },
    /// Starts a firmware download with this command key.
    Download(String),
}

/// The next thing to do.
#[derive(Debug)]
pub(crate) enum Step {
    /// Send a request on behalf of `presets`.
    Rpc {
        /// The request.
        request: Body,
        /// Presets it serves (faults are recorded on each).
        presets: Vec<String>,
        /// What it is for.
        purpose: Purpose,
    },
    /// Add and remove tags in the store.
    Tags {
        /// Tags to add.
        add: Vec<String>,
        /// Tags to remove.
        remove: Vec<String>,
        /// Presets asking.
        presets: Vec<String>,
    },
    /// Start the firmware download of `preset` (the caller builds the request).
    Firmware {
        /// The preset.
        preset: String,
        /// What to install.
        firmware: Firmware,
    },
    /// Provision Connection Request credentials for `presets` (the caller draws them).
    Credentials {
        /// Presets asking (empty: the global switch).
        presets: Vec<String>,
    },
    /// Nothing left.
    Done,
}

/// Inputs of [`next_step`].
pub(crate) struct Inputs<'a> {
    /// Selected presets, lowest weight first.
    pub selected: &'a [Selected],
    /// The device record.
    pub device: &'a Device,
    /// Its parameters, sorted by path.
    pub params: &'a [Parameter],
    /// Start of the session: rows updated since are fresh.
    pub session_start: Timestamp,
    /// `0 BOOTSTRAP` in this session's Inform.
    pub bootstrap: bool,
    /// Global credentials switch.
    pub credentials_always: bool,
    /// Data model root (`Device.` or `InternetGatewayDevice.`).
    pub root: &'a str,
    /// Download command keys the device's presets wait for.
    pub pending_downloads: &'a BTreeMap<String, String>,
}

impl Inputs<'_> {
    pub(super) fn param(&self, path: &str) -> Option<&Parameter> {
        self.params
            .binary_search_by(|p| p.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.params[i])
    }

    pub(super) fn fresh_value(&self, path: &str) -> bool {
        self.param(path)
            .is_some_and(|p| p.value.is_some() && p.updated >= self.session_start)
    }

    /// Paths (`Device.X.3.`) of the instances of `object` (`Device.X.`) in the store.
    pub(super) fn instances_of(&self, object: &str) -> Vec<String> {
        let start = self.params.partition_point(|p| p.path.as_str() < object);
        self.params[start..]
            .iter()
            .take_while(|p| p.path.starts_with(object))
            .filter(|p| {
                p.path[object.len()..]
                    .strip_suffix('.')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|p| p.path.clone())
            .collect()
    }
}

/// Highest weight wins: later entries replace earlier ones with the same key.
fn merged<T: Clone>(
    selected: &[Selected],
    items: impl Fn(&PresetConfig) -> Vec<(String, T)>,
) -> BTreeMap<String, (T, String)> {
    let mut out = BTreeMap::new();
    for s in selected {
        for (key, v) in items(&s.config) {
            out.insert(key, (v, s.name.clone()));
        }
    }
    out
}

pub(super) fn rpc(request: impl Into<Body>, presets: Vec<String>, purpose: Purpose) -> Step {
    Step::Rpc {
        request: request.into(),
        presets,
        purpose,
    }
}

/// Presets of `map` entries, deduplicated.
fn owners<T>(entries: &[(&String, &(T, String))]) -> Vec<String> {
    let set: BTreeSet<String> = entries.iter().map(|(_, (_, n))| n.clone()).collect();
    set.into_iter().collect()
}

/// The next step, or [`Step::Done`] when the device is as desired.
pub(crate) fn next_step(i: &Inputs<'_>, progress: &Progress) -> Step {
    let flagged: Vec<String> = i
        .selected
        .iter()
        .filter(|s| s.config.connection_request_credentials)
        .map(|s| s.name.clone())
        .collect();
    if i.bootstrap && !progress.credentials_done && (i.credentials_always || !flagged.is_empty()) {
        return Step::Credentials { presets: flagged };
    }

    let objects = merged(i.selected, |c| c.objects.clone());
    for (path, (_, owner)) in &objects {
        if !progress.enumerated.contains(path) {
            let req = GetParameterNames {
                parameter_path: path.clone(),
                next_level: true,
            };
            return rpc(req, vec![owner.clone()], Purpose::Enumerate(path.clone()));
        }
    }
    for (path, (count, owner)) in &objects {
        if i.instances_of(path).len() < *count as usize {
            let req = AddObject {
                object_name: path.clone(),
                parameter_key: String::new(),
            };
            return rpc(req, vec![owner.clone()], Purpose::Write);
        }
    }

    let rules: instances::Rules = merged(i.selected, |c| {
        c.instances.iter().map(|r| (r.alias(), r.clone())).collect()
    });
    if let Some(step) = instances::next_step(i, progress, &rules) {
        return step;
    }

    let mut values = merged(i.selected, |c| {
        c.parameters
            .iter()
            .map(|d| (d.path.clone(), d.clone()))
            .collect()
    });
    for (path, entry) in instances::desired_values(i, progress, &rules) {
        values.entry(path).or_insert(entry);
    }
    let firmware = i
        .selected
        .iter()
        .rev()
        .find_map(|s| s.config.firmware.clone().map(|f| (s.name.clone(), f)));
    let version_path = format!("{}DeviceInfo.SoftwareVersion", i.root);
    let mut reads: Vec<(&String, &(DesiredValue, String))> = values
        .iter()
        .filter(|(p, _)| !i.fresh_value(p) && !progress.read_values.contains(*p))
        .collect();
    if let Some(owner) = reads.first().map(|(_, (_, o))| o.clone()) {
        reads.retain(|(_, (_, o))| *o == owner);
        let req = GetParameterValues {
            parameter_names: reads.iter().map(|(p, _)| (*p).clone()).collect(),
        };
        return rpc(req, vec![owner], Purpose::Read);
    }
    if let Some((owner, _)) = &firmware
        && !i.fresh_value(&version_path)
        && !progress.read_values.contains(&version_path)
    {
        let req = GetParameterValues {
            parameter_names: vec![version_path],
        };
        return rpc(req, vec![owner.clone()], Purpose::Read);
    }
    let mut sets = Vec::new();
    let mut set_owners = Vec::new();
    for (path, entry @ (d, _)) in &values {
        let current = i.param(path).and_then(|p| p.value.as_ref());
        let ty =
            d.ty.as_deref()
                .or_else(|| current.and_then(|c| c.xsi_type()));
        // Checked when the preset was parsed; a type taken from the device may not fit.
        let Ok(value) = typed_value(&d.value, ty).or_else(|_| typed_value(&d.value, None)) else {
            continue;
        };
        if current.is_some_and(|c| c.as_text() == value.as_text()) {
            continue;
        }
        sets.push(ParameterValueStruct {
            name: path.clone(),
            value,
        });
        set_owners.push((path, entry));
    }
    if !sets.is_empty() {
        let req = SetParameterValues {
            parameter_list: sets,
            parameter_key: String::new(),
        };
        return rpc(req, owners(&set_owners), Purpose::Write);
    }

    let notifications = merged(i.selected, |c| c.notifications.clone());
    let mut attr_reads: Vec<_> = notifications
        .iter()
        .filter(|(p, _)| !progress.read_attrs.contains(*p))
        .collect();
    if let Some(owner) = attr_reads.first().map(|(_, (_, o))| o.clone()) {
        attr_reads.retain(|(_, (_, o))| *o == owner);
        let req = GetParameterAttributes {
            parameter_names: attr_reads.iter().map(|(p, _)| (*p).clone()).collect(),
        };
        return rpc(req, vec![owner], Purpose::Read);
    }
    let attr_sets: Vec<_> = notifications
        .iter()
        .filter(|(p, (n, _))| i.param(p).and_then(|p| p.notification) != Some(*n))
        .collect();
    if !attr_sets.is_empty() {
        let req = SetParameterAttributes {
            parameter_list: attr_sets
                .iter()
                .map(|(p, (n, _))| SetParameterAttributesStruct {
                    name: (*p).clone(),
                    notification_change: true,
                    notification: Notification::from_value(u32::from(*n)),
                    access_list_change: false,
                    access_list: Vec::new(),
                })
                .collect(),
        };
        return rpc(req, owners(&attr_sets), Purpose::Write);
    }

    let tags = &i.device.tags;
    let mut add = BTreeSet::new();
    let mut remove = BTreeSet::new();
    let mut tag_owners = BTreeSet::new();
    for s in i.selected {
        for t in &s.config.tags_add {
            if !tags.contains(t) {
                add.insert(t.clone());
                remove.remove(t);
                tag_owners.insert(s.name.clone());
            }
        }
        for t in &s.config.tags_remove {
            if tags.contains(t) {
                remove.insert(t.clone());
                add.remove(t);
                tag_owners.insert(s.name.clone());
            }
        }
    }
    if !add.is_empty() || !remove.is_empty() {
        return Step::Tags {
            add: add.into_iter().collect(),
            remove: remove.into_iter().collect(),
            presets: tag_owners.into_iter().collect(),
        };
    }

    if let Some((owner, fw)) = firmware {
        let current = i.param(&version_path).and_then(|p| p.value.as_ref());
        let waiting = i.pending_downloads.get(&owner) == Some(&download_key(&owner, &fw));
        if current.is_none_or(|v| v.as_text() != fw.version) && !waiting {
            return Step::Firmware {
                preset: owner,
                firmware: fw,
            };
        }
    }

    if !progress.rebooted
        && let Some(s) = i
            .selected
            .iter()
            .find(|s| s.config.reboot && progress.changed.contains(&s.name))
    {
        let req = Reboot {
            command_key: command_key(format!("preset:{}", s.name)),
        };
        return rpc(req, vec![s.name.clone()], Purpose::Write);
    }
    Step::Done
}

/// Command key of the firmware download of `preset`.
pub(crate) fn download_key(preset: &str, fw: &Firmware) -> String {
    command_key(format!("preset:{preset}:{}", fw.version))
}

/// `key` if it fits the 32 characters of a CommandKey (TR-069 A.3.2.8), else `preset:` and a
/// digest of it: still one key per preset and version, so answers match it.
fn command_key(key: String) -> String {
    const MAX: usize = 32;
    if key.chars().count() <= MAX {
        return key;
    }
    let digest = cwmp::http_auth::hex(&sha2::Sha256::digest(key.as_bytes()));
    format!("preset:{}", &digest[..MAX - "preset:".len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_keys_fit_32_characters_and_stay_distinct() {
        assert_eq!(command_key("preset:short".into()), "preset:short");
        let long_a = command_key("preset:a-rather-long-preset-name:1.2.3".into());
        let long_b = command_key("preset:a-rather-long-preset-name:1.2.4".into());
        assert_eq!(long_a.len(), 32);
        assert!(long_a.starts_with("preset:"));
        assert_ne!(long_a, long_b);
        assert_eq!(
            long_a,
            command_key("preset:a-rather-long-preset-name:1.2.3".into())
        );
    }
}
