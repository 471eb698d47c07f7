//! Provision scripts in a session, the GenieACS way (`docs/provisions.rst`): every selected
//! preset's provisions run against what the ACS knows of the device; what their declarations
//! miss or hold stale is read (GetParameterNames, then GetParameterValues in batches), then,
//! once every script ran to its end, what differs is written (SetParameterValues typed like
//! the device's values, AddObject/DeleteObject to reach declared instance counts, tags); the
//! scripts run again after each answer until they ask for nothing. Each request goes through
//! the preset engine ([`super::presets::plan::Step`]), so faults land on the preset's fault
//! channel with its retry back-off.

pub(crate) mod builtin;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use cwmp::rpc::{
    AddObject, DeleteObject, GetParameterNames, GetParameterValues, ParameterValueStruct,
    SetParameterValues,
};
use serde_json::Value as Json;

use super::presets::plan::{Purpose, Step};
use crate::script::{Desired, ExtCache, Need, Tree, Write};
use crate::task::typed_value;

/// Most names in one GetParameterValues of the provisions.
pub const MAX_READ_BATCH: usize = 256;

/// The provisions' state in one session.
#[derive(Debug, Default)]
pub(crate) struct ProvisionRun {
    /// Objects listed with their whole subtree in this session.
    pub deep: HashSet<String>,
    /// Requests sent per preset for its provisions (bounded by `max_iterations`).
    pub rounds: BTreeMap<String, u32>,
    /// Extension replies of this session.
    pub ext: ExtCache,
    /// Stored provision scripts, read once per session when a preset needs them.
    pub scripts: Option<Arc<HashMap<String, Arc<str>>>>,
    /// Alias values to set on instances just added: `(preset, path, value)`.
    pub pending: Vec<(String, String, Json)>,
    /// `clear()` calls already applied: `(path, timestamp)`.
    pub cleared: HashSet<(String, i64)>,
    /// Stored virtual parameter scripts, read once per session when declared.
    pub vparam_scripts: Option<Arc<HashMap<String, Arc<str>>>>,
    /// Virtual parameters computed in this session (each at most once).
    pub vparams_done: HashSet<String>,
}

/// A virtual parameter a provision declared: `VirtualParameters.<name>`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VparamAsk {
    /// Name.
    pub name: String,
    /// Attribute timestamps as declared (`{"value": t}`): the script's `args[0]`.
    pub timestamps: Json,
    /// Wanted values (`{"value": [v, type]}`): the script's `args[1]`.
    pub values: Json,
}

/// The virtual parameters `declarations` ask to compute: stale or to be changed, and not yet
/// computed in this session. `all` names every stored virtual parameter (for `*`).
pub(crate) fn vparams_to_compute(
    declarations: &[crate::script::Declaration],
    tree: &Tree,
    all: &[String],
    done: &HashSet<String>,
) -> Vec<VparamAsk> {
    use crate::script::path::Segment;
    let mut out: Vec<VparamAsk> = Vec::new();
    for d in declarations {
        if d.path.root_name() != Some("VirtualParameters") || d.path.len() != 2 {
            continue;
        }
        let names: Vec<String> = match &d.path.segments[1] {
            Segment::Name(n) => vec![n.clone()],
            Segment::Wildcard => all.to_vec(),
            Segment::Alias(_) => continue,
        };
        for name in names {
            if done.contains(&name) || out.iter().any(|v| v.name == name) || !all.contains(&name) {
                continue;
            }
            let row = tree.row(&format!("VirtualParameters.{name}"));
            let wanted = d.attr_get.values().copied().max().unwrap_or(1);
            let stale = row.is_none_or(|r| r.updated.as_millis() < wanted);
            let differs = d.value_set.as_ref().is_some_and(|v| {
                !crate::script::declaration::same_value(row.and_then(|r| r.value.as_ref()), v)
            });
            if !stale && !differs {
                continue;
            }
            let timestamps: serde_json::Map<String, Json> = d
                .attr_get
                .iter()
                .map(|(k, t)| (k.clone(), Json::from(*t)))
                .collect();
            let mut values = serde_json::Map::new();
            if let Some(v) = &d.value_set {
                values.insert(
                    "value".into(),
                    Json::Array(vec![
                        v.value.clone(),
                        Json::from(v.ty.clone().unwrap_or_else(|| "xsd:string".into())),
                    ]),
                );
            }
            out.push(VparamAsk {
                name,
                timestamps: Json::Object(timestamps),
                values: Json::Object(values),
            });
        }
    }
    out
}

/// The stored row of a virtual parameter script's return value `{writable, value}` (value
/// as `[value, type]` or a bare value), or why it is refused.
pub(crate) fn vparam_row(
    name: &str,
    ret: Option<&Json>,
) -> Result<crate::store::ParamUpdate, String> {
    let Some(Json::Object(obj)) = ret else {
        return Err(format!(
            "virtual parameter {name} must return {{writable, value}}"
        ));
    };
    let writable = match obj.get("writable") {
        None | Some(Json::Null) => None,
        Some(Json::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(format!(
                "virtual parameter {name}: writable must be a boolean"
            ));
        }
    };
    let value = match obj.get("value") {
        None | Some(Json::Null) => None,
        Some(Json::Array(a)) if !a.is_empty() && a.len() <= 2 => {
            let ty = a.get(1).and_then(Json::as_str);
            Some(typed_value(&a[0], ty).map_err(|e| format!("virtual parameter {name}: {}", e.0))?)
        }
        Some(v) => {
            Some(typed_value(v, None).map_err(|e| format!("virtual parameter {name}: {}", e.0))?)
        }
    };
    Ok(crate::store::ParamUpdate {
        path: format!("VirtualParameters.{name}"),
        value,
        writable,
        ..crate::store::ParamUpdate::default()
    })
}

/// What one preset's provisions ask for after a pass.
#[derive(Debug, Default)]
pub(crate) struct PresetAsk {
    /// Preset name.
    pub preset: String,
    /// Reads.
    pub needs: Vec<Need>,
    /// Writes (only when no preset needs a read).
    pub writes: Vec<Write>,
}

fn rpc(request: impl Into<cwmp::Body>, presets: Vec<String>, purpose: Purpose) -> Step {
    Step::Rpc {
        request: request.into(),
        presets,
        purpose,
    }
}

/// The value to send for `desired` on `path`: its own type, else the device's.
fn typed(tree: &Tree, path: &str, d: &Desired) -> Option<cwmp::Value> {
    let current = tree.row(path).and_then(|r| r.value.as_ref());
    let ty =
        d.ty.as_deref()
            .or_else(|| current.and_then(|c| c.xsi_type()));
    typed_value(&d.value, ty)
        .or_else(|_| typed_value(&d.value, None))
        .ok()
}

/// The next request (or tag change) the provisions ask for, or `None` when they are done.
/// `run.deep` learns the subtrees listed by the returned request.
pub(crate) fn next_step(asks: &[PresetAsk], tree: &Tree, run: &mut ProvisionRun) -> Option<Step> {
    // Listing first: values of unknown names cannot be read.
    for a in asks {
        for n in &a.needs {
            match n {
                Need::Names(obj) => {
                    let req = GetParameterNames {
                        parameter_path: obj.clone(),
                        next_level: true,
                    };
                    return Some(rpc(
                        req,
                        vec![a.preset.clone()],
                        Purpose::Enumerate(obj.clone()),
                    ));
                }
                Need::Subtree(obj) => {
                    run.deep.insert(obj.clone());
                    let req = GetParameterNames {
                        parameter_path: obj.clone(),
                        next_level: false,
                    };
                    return Some(rpc(
                        req,
                        vec![a.preset.clone()],
                        Purpose::Enumerate(obj.clone()),
                    ));
                }
                Need::Value(_) | Need::Virtual(_) => {}
            }
        }
    }
    let mut names = BTreeSet::new();
    let mut owners = BTreeSet::new();
    for a in asks {
        for n in &a.needs {
            if let Need::Value(p) = n
                && names.len() < MAX_READ_BATCH
                && names.insert(p.clone())
            {
                owners.insert(a.preset.clone());
            }
        }
    }
    if !names.is_empty() {
        let req = GetParameterValues {
            parameter_names: names.into_iter().collect(),
        };
        return Some(rpc(req, owners.into_iter().collect(), Purpose::Read));
    }
    if asks
        .iter()
        .any(|a| a.needs.iter().any(|n| !matches!(n, Need::Virtual(_))))
    {
        return None;
    }
    // Alias values of instances just added, before anything else touches them.
    if !run.pending.is_empty() {
        let pending = std::mem::take(&mut run.pending);
        let owners: BTreeSet<String> = pending.iter().map(|(p, _, _)| p.clone()).collect();
        let list = pending
            .iter()
            .filter_map(|(_, path, v)| {
                let d = Desired {
                    value: v.clone(),
                    ty: sibling_type(tree, path),
                };
                typed(tree, path, &d).map(|value| ParameterValueStruct {
                    name: path.clone(),
                    value,
                })
            })
            .collect::<Vec<_>>();
        if !list.is_empty() {
            let req = SetParameterValues {
                parameter_list: list,
                parameter_key: String::new(),
            };
            return Some(rpc(req, owners.into_iter().collect(), Purpose::Write));
        }
    }
    let mut add = BTreeSet::new();
    let mut remove = BTreeSet::new();
    let mut tag_owners = BTreeSet::new();
    for a in asks {
        for w in &a.writes {
            if let Write::Tag { tag, on } = w {
                if *on {
                    add.insert(tag.clone());
                    remove.remove(tag);
                } else {
                    remove.insert(tag.clone());
                    add.remove(tag);
                }
                tag_owners.insert(a.preset.clone());
            }
        }
    }
    if !add.is_empty() || !remove.is_empty() {
        return Some(Step::Tags {
            add: add.into_iter().collect(),
            remove: remove.into_iter().collect(),
            presets: tag_owners.into_iter().collect(),
        });
    }
    // Sets: the last declaration of a path wins (later presets weigh more).
    let mut sets: BTreeMap<String, (cwmp::Value, String)> = BTreeMap::new();
    for a in asks {
        for w in &a.writes {
            if let Write::Set { path, desired } = w
                && let Some(v) = typed(tree, path, desired)
            {
                sets.insert(path.clone(), (v, a.preset.clone()));
            }
        }
    }
    if !sets.is_empty() {
        let owners: BTreeSet<String> = sets.values().map(|(_, p)| p.clone()).collect();
        let req = SetParameterValues {
            parameter_list: sets
                .into_iter()
                .map(|(name, (value, _))| ParameterValueStruct { name, value })
                .collect(),
            parameter_key: String::new(),
        };
        return Some(rpc(req, owners.into_iter().collect(), Purpose::Write));
    }
    for a in asks {
        for w in &a.writes {
            match w {
                Write::Delete { instance } => {
                    let req = DeleteObject {
                        object_name: instance.clone(),
                        parameter_key: String::new(),
                    };
                    return Some(rpc(req, vec![a.preset.clone()], Purpose::Write));
                }
                Write::Add { object, alias } => {
                    let req = AddObject {
                        object_name: object.clone(),
                        parameter_key: String::new(),
                    };
                    return Some(rpc(
                        req,
                        vec![a.preset.clone()],
                        Purpose::ProvisionAdd(alias.clone()),
                    ));
                }
                _ => {}
            }
        }
    }
    None
}

/// The type of the same parameter in a sibling instance (`a.b.7.Key` → `a.b.*.Key`).
fn sibling_type(tree: &Tree, path: &str) -> Option<String> {
    let p = crate::script::Path::parse(path).ok()?;
    let (i, _) = p
        .segments
        .iter()
        .enumerate()
        .rev()
        .find(|(_, s)| matches!(s, crate::script::path::Segment::Name(n) if n.bytes().all(|b| b.is_ascii_digit())))?;
    let mut pattern = p.clone();
    pattern.segments[i] = crate::script::path::Segment::Wildcard;
    tree.expand(&pattern)
        .iter()
        .filter(|m| m.as_str() != path)
        .find_map(|m| {
            tree.row(m)
                .and_then(|r| r.value.as_ref())
                .and_then(|v| v.xsi_type())
                .map(str::to_owned)
        })
}

/// Rows a `clear(path, timestamp)` forgets: leaves under `path` older than `timestamp`.
pub(crate) fn cleared_rows(
    params: &[crate::store::Parameter],
    path: &crate::script::Path,
    timestamp: i64,
) -> Vec<String> {
    let concrete: Vec<String> = path
        .segments
        .iter()
        .take_while(|s| matches!(s, crate::script::path::Segment::Name(_)))
        .map(ToString::to_string)
        .collect();
    let prefix = concrete.join(".");
    params
        .iter()
        .filter(|p| !p.path.ends_with('.'))
        .filter(|p| {
            prefix.is_empty() || p.path == prefix || p.path.starts_with(&format!("{prefix}."))
        })
        .filter(|p| p.updated.as_millis() < timestamp)
        .map(|p| p.path.clone())
        .collect()
}

#[cfg(test)]
mod tests;
