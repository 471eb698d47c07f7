//! GenieACS's `add_object` and `delete_object` preset configurations: exactly one instance,
//! or none, of an object whose key parameters have given values (GenieACS's alias
//! `Device.WiFi.SSID.[SSID:"guest"]`, built from an entry of the objects collection,
//! [`PresetObject`]).
//!
//! The plan lists the object's instances (GetParameterNames, next level), reads their key
//! parameters, then adds the missing instance (and sets its keys and values), deletes the
//! ones that should not be there, and keeps the values of the one that should.

use std::collections::{BTreeMap, BTreeSet};

use cwmp::rpc::{AddObject, DeleteObject, GetParameterValues};
use serde_json::Value as Json;

use super::config::{DesiredValue, InvalidConfig};
use super::plan::{Inputs, Progress, Purpose, Step, rpc};
use crate::store::PresetObject;
use crate::task::{GPV_BATCH, typed_value};

/// A configuration entry naming an object of the collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRef {
    /// The object whose instances are meant, with its trailing dot.
    pub parent: String,
    /// Name in the objects collection.
    pub object: String,
    /// `add_object` (one instance) or `delete_object` (none).
    pub present: bool,
}

impl InstanceRef {
    /// An entry for `parent` (GenieACS writes it without the trailing dot; both are taken).
    pub fn new(parent: &str, object: String, present: bool) -> InstanceRef {
        let parent = if parent.ends_with('.') {
            parent.to_owned()
        } else {
            format!("{parent}.")
        };
        InstanceRef {
            parent,
            object,
            present,
        }
    }
}

/// An entry with its object looked up.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRule {
    /// The object whose instances are meant, with its trailing dot.
    pub parent: String,
    /// Key parameters (relative names) and the values that identify the instance.
    pub keys: Vec<(String, Json)>,
    /// Other values set on the instance.
    pub values: Vec<(String, Json)>,
    /// One instance (`add_object`) or none (`delete_object`).
    pub present: bool,
}

impl InstanceRule {
    /// Looks `r.object` up in `objects`.
    pub fn resolve(
        r: &InstanceRef,
        objects: &[PresetObject],
    ) -> Result<InstanceRule, InvalidConfig> {
        let o = objects.iter().find(|o| o.name == r.object).ok_or_else(|| {
            InvalidConfig(format!(
                "no object {:?} in the objects collection",
                r.object
            ))
        })?;
        let pairs = |it: &mut dyn Iterator<Item = (&str, &Json)>| {
            it.map(|(k, v)| (k.to_owned(), v.clone()))
                .collect::<Vec<_>>()
        };
        Ok(InstanceRule {
            parent: r.parent.clone(),
            keys: pairs(&mut o.key_values()),
            values: pairs(&mut o.other_values()),
            present: r.present,
        })
    }

    /// GenieACS's alias path, `Device.WiFi.SSID.[SSID:"guest"]`: one rule per alias, the
    /// highest weight winning.
    pub fn alias(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("{}[{}]", self.parent, keys.join(","))
    }
}

/// `(rule, owning preset)` by alias, highest weight winning.
pub(crate) type Rules = BTreeMap<String, (InstanceRule, String)>;

/// True when the stored value `current` is `wanted` (in the parameter's own type, so a
/// boolean `1` is `true`).
fn same(current: &cwmp::Value, wanted: &Json) -> bool {
    typed_value(wanted, current.xsi_type())
        .or_else(|_| typed_value(wanted, None))
        .is_ok_and(|w| w.as_text() == current.as_text())
}

/// The instances of `rule.parent` that match its keys (by number), and the one this
/// session created for it, if any.
fn matching(i: &Inputs<'_>, progress: &Progress, alias: &str, rule: &InstanceRule) -> Vec<String> {
    let created = progress.created.get(alias);
    let mut out: Vec<(u64, String)> = i
        .instances_of(&rule.parent)
        .into_iter()
        .filter(|inst| {
            created == Some(inst)
                || rule.keys.iter().all(|(k, want)| {
                    i.param(&format!("{inst}{k}"))
                        .and_then(|p| p.value.as_ref())
                        .is_some_and(|v| same(v, want))
                })
        })
        .map(|inst| (instance_number(&rule.parent, &inst), inst))
        .collect();
    out.sort();
    out.into_iter().map(|(_, inst)| inst).collect()
}

fn instance_number(parent: &str, inst: &str) -> u64 {
    inst.strip_prefix(parent)
        .and_then(|r| r.strip_suffix('.'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

/// The instance a present rule keeps: the one created in this session, else the first.
fn kept(progress: &Progress, alias: &str, matching: &[String]) -> Option<String> {
    progress
        .created
        .get(alias)
        .filter(|c| matching.contains(c))
        .or(matching.first())
        .cloned()
}

/// The next request for the instance rules, if any is needed before values are read and set.
pub(crate) fn next_step(i: &Inputs<'_>, progress: &Progress, rules: &Rules) -> Option<Step> {
    for (rule, owner) in rules.values() {
        if !progress.enumerated.contains(&rule.parent) {
            let req = cwmp::rpc::GetParameterNames {
                parameter_path: rule.parent.clone(),
                next_level: true,
            };
            return Some(rpc(
                req,
                vec![owner.clone()],
                Purpose::Enumerate(rule.parent.clone()),
            ));
        }
    }
    let mut reads = BTreeSet::new();
    let mut readers = BTreeSet::new();
    for (rule, owner) in rules.values() {
        for inst in i.instances_of(&rule.parent) {
            for (k, _) in &rule.keys {
                let path = format!("{inst}{k}");
                if !i.fresh_value(&path) && !progress.read_values.contains(&path) {
                    reads.insert(path);
                    readers.insert(owner.clone());
                }
            }
        }
    }
    if !reads.is_empty() {
        let req = GetParameterValues {
            parameter_names: reads.into_iter().take(GPV_BATCH).collect(),
        };
        return Some(rpc(req, readers.into_iter().collect(), Purpose::Read));
    }
    for (alias, (rule, owner)) in rules {
        let found = matching(i, progress, alias, rule);
        let keep = if rule.present {
            kept(progress, alias, &found)
        } else {
            None
        };
        if rule.present && keep.is_none() && !progress.created.contains_key(alias) {
            let req = AddObject {
                object_name: rule.parent.clone(),
                parameter_key: String::new(),
            };
            return Some(rpc(
                req,
                vec![owner.clone()],
                Purpose::AddInstance(alias.clone()),
            ));
        }
        if let Some(extra) = found.into_iter().find(|f| Some(f) != keep.as_ref()) {
            let req = DeleteObject {
                object_name: extra,
                parameter_key: String::new(),
            };
            return Some(rpc(req, vec![owner.clone()], Purpose::Write));
        }
    }
    None
}

/// The values the instance rules want, by full path: each kept instance's values, and its
/// keys too when this session created it.
pub(crate) fn desired_values(
    i: &Inputs<'_>,
    progress: &Progress,
    rules: &Rules,
) -> Vec<(String, (DesiredValue, String))> {
    let mut out = Vec::new();
    for (alias, (rule, owner)) in rules.iter().filter(|(_, (r, _))| r.present) {
        let found = matching(i, progress, alias, rule);
        let Some(inst) = kept(progress, alias, &found) else {
            continue;
        };
        let created = progress.created.get(alias) == Some(&inst);
        let keys = rule.keys.iter().filter(|_| created);
        for (k, v) in keys.chain(&rule.values) {
            let path = format!("{inst}{k}");
            let d = DesiredValue {
                path: path.clone(),
                value: v.clone(),
                ty: None,
            };
            out.push((path, (d, owner.clone())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(doc: Json) -> PresetObject {
        PresetObject::from_document("guest", &doc).expect("object")
    }

    #[test]
    fn a_reference_resolves_to_keys_and_values_and_genieacs_alias() {
        let o = object(json!({"_keys": ["SSID"], "SSID": "guest", "Enable": true}));
        let r = InstanceRef::new("Device.WiFi.SSID", "guest".into(), true);
        assert_eq!(r.parent, "Device.WiFi.SSID.");
        let rule = InstanceRule::resolve(&r, &[o]).expect("resolve");
        assert_eq!(rule.keys, [("SSID".to_owned(), json!("guest"))]);
        assert_eq!(rule.values, [("Enable".to_owned(), json!(true))]);
        assert_eq!(rule.alias(), r#"Device.WiFi.SSID.[SSID:"guest"]"#);
    }

    #[test]
    fn a_missing_object_is_named() {
        let r = InstanceRef::new("Device.X.", "nope".into(), false);
        let e = InstanceRule::resolve(&r, &[]).expect_err("missing");
        assert!(e.0.contains("nope"), "{e}");
    }

    #[test]
    fn booleans_compare_in_the_parameter_type() {
        assert!(same(&cwmp::Value::Boolean(true), &json!(true)));
        assert!(same(&cwmp::Value::Boolean(true), &json!("1")));
        assert!(!same(&cwmp::Value::Boolean(false), &json!(true)));
        assert!(same(&cwmp::Value::string("guest"), &json!("guest")));
        assert!(same(&cwmp::Value::UnsignedInt(5), &json!(5)));
    }
}
