//! The configuration of a preset ([`crate::store::Preset::configuration`]): the desired
//! state of matching devices.
//!
//! ```json
//! {
//!   "parameters": [["Device.ManagementServer.PeriodicInformInterval", 1800, "xsd:unsignedInt"]],
//!   "objects": [{"path": "Device.IP.Interface.", "count": 2}],
//!   "notifications": [["Device.DeviceInfo.SoftwareVersion", 2]],
//!   "tags": {"add": ["provisioned"], "remove": ["new"]},
//!   "firmware": {"version": "2.0", "file": "fw-2.0.bin"},
//!   "reboot": true,
//!   "connectionRequestCredentials": true
//! }
//! ```
//!
//! - `parameters`: `[path, value, type?]`; without a type the parameter's known type is
//!   used, else the JSON value's (string, boolean, int).
//! - `objects`: the object (path ending in `.`) has at least `count` instances (AddObject).
//! - `notifications`: the Notification attribute (0 off, 1 passive, 2 active).
//! - `tags`: applied in the store.
//! - `firmware`: a Download of file `file` when `SoftwareVersion` is not `version`.
//! - `reboot`: reboot after this preset changed something in the session.
//! - `connectionRequestCredentials`: on `0 BOOTSTRAP`, give the CPE random Connection
//!   Request credentials and keep them for the ACS's Connection Requests.
//!
//! The GenieACS array form `[{"type": "value", "name", "value"}, {"type": "add_tag",
//! "tag"}, {"type": "delete_tag", "tag"}, {"type": "add_object" | "delete_object", "name":
//! <object path>, "object": <name in the objects collection>}]` is accepted too; the
//! objects are looked up when the preset catalog loads ([`super::instances`]).

use serde_json::{Map, Value as Json};

use super::instances::{InstanceRef, InstanceRule};
use crate::task::typed_value;

/// Most entries in one list of a configuration.
pub const MAX_ENTRIES: usize = 256;

/// Most instances an `objects` entry may ask for.
pub const MAX_OBJECT_COUNT: u32 = 64;

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid preset configuration: {0}")]
pub struct InvalidConfig(pub String);

/// A desired parameter value.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredValue {
    /// Full path.
    pub path: String,
    /// Value as given (string, number or boolean).
    pub value: Json,
    /// `xsd:` type, when given.
    pub ty: Option<String>,
}

/// A desired firmware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firmware {
    /// The `SoftwareVersion` the device should report.
    pub version: String,
    /// Name of the file that installs it.
    pub file: String,
}

/// A parsed preset configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PresetConfig {
    /// Parameter values.
    pub parameters: Vec<DesiredValue>,
    /// `(object path, minimum instance count)`.
    pub objects: Vec<(String, u32)>,
    /// `(path, notification)`.
    pub notifications: Vec<(String, u8)>,
    /// Tags to add.
    pub tags_add: Vec<String>,
    /// Tags to remove.
    pub tags_remove: Vec<String>,
    /// Firmware.
    pub firmware: Option<Firmware>,
    /// Reboot after changes.
    pub reboot: bool,
    /// Provision Connection Request credentials on bootstrap.
    pub connection_request_credentials: bool,
    /// GenieACS's `add_object` / `delete_object` entries, as given.
    pub instance_refs: Vec<InstanceRef>,
    /// The same, with their objects looked up ([`PresetConfig::resolve`]).
    pub instances: Vec<InstanceRule>,
}

fn bad<T>(msg: impl Into<String>) -> Result<T, InvalidConfig> {
    Err(InvalidConfig(msg.into()))
}

fn list<'a>(obj: &'a Map<String, Json>, key: &str) -> Result<&'a [Json], InvalidConfig> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(&[]),
        Some(Json::Array(a)) if a.len() <= MAX_ENTRIES => Ok(a),
        Some(Json::Array(_)) => bad(format!("{key} has more than {MAX_ENTRIES} entries")),
        Some(_) => bad(format!("{key} must be an array")),
    }
}

fn path(v: &Json, what: &str) -> Result<String, InvalidConfig> {
    match v.as_str() {
        Some(s) if !s.is_empty() && s.len() <= 1024 => Ok(s.to_owned()),
        _ => bad(format!("{what} must be a non-empty path")),
    }
}

fn strings(v: Option<&Json>, what: &str) -> Result<Vec<String>, InvalidConfig> {
    match v {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(a)) if a.len() <= MAX_ENTRIES => a
            .iter()
            .map(|t| t.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map_or_else(|| bad(format!("{what} must be strings")), Ok),
        Some(_) => bad(format!("{what} must be an array of strings")),
    }
}

fn desired(path_v: &Json, value: &Json, ty: Option<&Json>) -> Result<DesiredValue, InvalidConfig> {
    let path = path(path_v, "a parameter path")?;
    let ty = match ty {
        None | Some(Json::Null) => None,
        Some(Json::String(t)) => Some(t.clone()),
        Some(_) => return bad(format!("{path}: the type must be a string")),
    };
    typed_value(value, ty.as_deref()).map_err(|e| InvalidConfig(format!("{path}: {}", e.0)))?;
    Ok(DesiredValue {
        path,
        value: value.clone(),
        ty,
    })
}

impl PresetConfig {
    /// Looks the `add_object` / `delete_object` entries' objects up in `objects`.
    pub fn resolve(&mut self, objects: &[crate::store::PresetObject]) -> Result<(), InvalidConfig> {
        self.instances = self
            .instance_refs
            .iter()
            .map(|r| InstanceRule::resolve(r, objects))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    /// Parses and checks a configuration (an empty object or array: nothing to do).
    pub fn parse(v: &Json) -> Result<PresetConfig, InvalidConfig> {
        match v {
            Json::Object(obj) => Self::parse_object(obj),
            Json::Array(items) if items.len() <= MAX_ENTRIES => Self::parse_genieacs(items),
            Json::Array(_) => bad(format!("more than {MAX_ENTRIES} entries")),
            _ => bad("a configuration must be a JSON object"),
        }
    }

    fn parse_object(obj: &Map<String, Json>) -> Result<PresetConfig, InvalidConfig> {
        const KEYS: [&str; 7] = [
            "parameters",
            "objects",
            "notifications",
            "tags",
            "firmware",
            "reboot",
            "connectionRequestCredentials",
        ];
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return bad(format!("unknown key {k}"));
        }
        let mut c = PresetConfig::default();
        for e in list(obj, "parameters")? {
            match e.as_array().map(Vec::as_slice) {
                Some([p, v]) => c.parameters.push(desired(p, v, None)?),
                Some([p, v, t]) => c.parameters.push(desired(p, v, Some(t))?),
                _ => return bad("each parameters entry is [path, value, type?]"),
            }
        }
        for e in list(obj, "objects")? {
            let p = path(e.get("path").unwrap_or(&Json::Null), "an object path")?;
            if !p.ends_with('.') {
                return bad(format!("object path {p} must end with '.'"));
            }
            let count = match e.get("count") {
                None => 1,
                Some(n) => n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n <= MAX_OBJECT_COUNT)
                    .map_or_else(
                        || bad(format!("{p}: count must be 0..={MAX_OBJECT_COUNT}")),
                        Ok,
                    )?,
            };
            c.objects.push((p, count));
        }
        for e in list(obj, "notifications")? {
            let Some([p, n]) = e.as_array().map(Vec::as_slice) else {
                return bad("each notifications entry is [path, 0|1|2]");
            };
            let n = match n.as_u64() {
                Some(n @ 0..=2) => n as u8,
                _ => return bad("a notification is 0, 1 or 2"),
            };
            c.notifications.push((path(p, "a notification path")?, n));
        }
        match obj.get("tags") {
            None | Some(Json::Null) => {}
            Some(Json::Object(t)) => {
                c.tags_add = strings(t.get("add"), "tags.add")?;
                c.tags_remove = strings(t.get("remove"), "tags.remove")?;
            }
            Some(_) => return bad("tags must be {\"add\": [...], \"remove\": [...]}"),
        }
        match obj.get("firmware") {
            None | Some(Json::Null) => {}
            Some(f) => {
                let field = |k: &str| {
                    f.get(k)
                        .and_then(Json::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .map_or_else(|| bad(format!("firmware.{k} must be a string")), Ok)
                };
                c.firmware = Some(Firmware {
                    version: field("version")?,
                    file: field("file")?,
                });
            }
        }
        let flag = |k: &str| match obj.get(k) {
            None | Some(Json::Null) => Ok(false),
            Some(Json::Bool(b)) => Ok(*b),
            Some(_) => bad(format!("{k} must be a boolean")),
        };
        c.reboot = flag("reboot")?;
        c.connection_request_credentials = flag("connectionRequestCredentials")?;
        Ok(c)
    }

    /// GenieACS's `configurations`: `[{"type": "value" | "add_tag" | "delete_tag", …}]`.
    fn parse_genieacs(items: &[Json]) -> Result<PresetConfig, InvalidConfig> {
        let mut c = PresetConfig::default();
        for (i, e) in items.iter().enumerate() {
            let Some(entry) = e.as_object() else {
                return bad(format!("configurations[{i}] must be an object"));
            };
            let ty = match entry.get("type") {
                Some(Json::String(t)) => t.as_str(),
                _ => return bad(format!("configurations[{i}] needs a \"type\"")),
            };
            let keys: &[&str] = match ty {
                "value" => &["type", "name", "value"],
                "add_tag" | "delete_tag" => &["type", "tag"],
                "add_object" | "delete_object" => &["type", "name", "object"],
                "provision" | "age" => {
                    return bad(format!(
                        "configurations[{i}]: type {ty:?} needs provision scripts, which this \
                         server does not run yet"
                    ));
                }
                other => return bad(format!("configurations[{i}]: unknown type {other:?}")),
            };
            if let Some(k) = entry.keys().find(|k| !keys.contains(&k.as_str())) {
                return bad(format!(
                    "configurations[{i}]: unknown key {k:?} for type {ty:?}"
                ));
            }
            let field = |k: &str| entry.get(k).unwrap_or(&Json::Null);
            match ty {
                "value" => c
                    .parameters
                    .push(desired(field("name"), field("value"), None)?),
                "add_object" | "delete_object" => {
                    let parent = path(field("name"), "an object path")?;
                    let object = field("object")
                        .as_str()
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .map_or_else(
                            || bad(format!("configurations[{i}] needs an \"object\"")),
                            Ok,
                        )?;
                    c.instance_refs
                        .push(InstanceRef::new(&parent, object, ty == "add_object"));
                }
                _ => {
                    let tag = field("tag")
                        .as_str()
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .map_or_else(|| bad(format!("configurations[{i}] needs a \"tag\"")), Ok)?;
                    if ty == "add_tag" {
                        c.tags_add.push(tag);
                    } else {
                        c.tags_remove.push(tag);
                    }
                }
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn full_and_genieacs_forms() {
        let c = PresetConfig::parse(&json!({
            "parameters": [["Device.A", 1800, "xsd:unsignedInt"], ["Device.B", "x"]],
            "objects": [{"path": "Device.X.", "count": 2}],
            "notifications": [["Device.A", 2]],
            "tags": {"add": ["a"], "remove": ["b"]},
            "firmware": {"version": "2", "file": "f.bin"},
            "reboot": true,
            "connectionRequestCredentials": true,
        }))
        .expect("parse");
        assert_eq!(c.parameters.len(), 2);
        assert_eq!(c.objects, [("Device.X.".to_owned(), 2)]);
        assert!(c.reboot && c.connection_request_credentials);
        let g = PresetConfig::parse(&json!([{"type": "value", "name": "Device.X", "value": "1"},
            {"type": "add_tag", "tag": "t"}]))
        .expect("genieacs");
        assert_eq!(g.parameters[0].path, "Device.X");
        assert_eq!(g.tags_add, ["t"]);
    }

    #[test]
    fn refusals() {
        for c in [
            json!({"parameters": [["Device.A"]]}),
            json!({"parameters": [["Device.A", "x", "xsd:int"]]}),
            json!({"objects": [{"path": "Device.X"}]}),
            json!({"objects": [{"path": "Device.X.", "count": 1000}]}),
            json!({"notifications": [["Device.A", 7]]}),
            json!({"bogus": 1}),
            json!([{"type": "provision", "name": "x"}]),
            json!([{"type": "add_object", "name": "Device.X"}]),
            json!([{"type": "delete_object", "object": "o"}]),
            json!([{"type": "add_object", "name": "Device.X", "object": "o", "extra": 1}]),
            json!("x"),
        ] {
            assert!(PresetConfig::parse(&c).is_err(), "{c}");
        }
    }
}
