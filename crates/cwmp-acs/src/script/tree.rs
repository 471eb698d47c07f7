//! The device as a script sees it: the stored parameter rows plus GenieACS's virtual
//! namespaces (`DeviceID.*`, `Tags.*`, `Events.*`, `VirtualParameters.*`), and the matching
//! of [`Path`]s (wildcards, alias filters) against them.

use std::collections::BTreeSet;
use std::sync::Arc;

use cwmp::Value;
use serde_json::{Value as Json, json};

use super::path::{Path, Segment};
use crate::store::{Device, Parameter, Timestamp};

/// Most instances a wildcard or alias filter may expand to in one declaration.
pub const MAX_EXPANSION: usize = 10_000;

/// One row as a script sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Full path, objects with a trailing dot.
    pub path: String,
    /// Value, when known.
    pub value: Option<Value>,
    /// Writable flag, when known.
    pub writable: Option<bool>,
    /// When the row was last refreshed.
    pub updated: Timestamp,
}

impl Row {
    /// True for an object or instance row.
    pub fn is_object(&self) -> bool {
        self.path.ends_with('.')
    }
}

impl From<&Parameter> for Row {
    fn from(p: &Parameter) -> Row {
        Row {
            path: p.path.clone(),
            value: p.value.clone(),
            writable: p.writable,
            updated: p.updated,
        }
    }
}

/// The rows a script run reads, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    rows: Vec<Row>,
}

/// The JavaScript form of a value: GenieACS's `[value, type]`, with booleans as booleans,
/// numbers as numbers and dates as milliseconds.
pub fn js_value(v: &Value) -> Json {
    let ty = v.xsi_type().unwrap_or("xsd:string").to_owned();
    let ty = if ty.contains(':') {
        ty
    } else {
        format!("xsd:{ty}")
    };
    let val = match v {
        Value::Boolean(b) => json!(b),
        Value::Int(n) => json!(n),
        Value::UnsignedInt(n) => json!(n),
        Value::Long(n) => json!(n),
        Value::UnsignedLong(n) => json!(n),
        Value::DateTime(_) => chrono::DateTime::parse_from_rfc3339(&v.as_text())
            .map_or_else(|_| json!(v.as_text()), |d| json!(d.timestamp_millis())),
        _ => json!(v.as_text()),
    };
    json!([val, ty])
}

impl Tree {
    /// The device's rows (virtual parameters are stored among them) and the namespaces
    /// the ACS keeps (`DeviceID.*`, `Tags.*`, `Events.*`).
    pub fn new(device: &Device, params: &[Parameter]) -> Tree {
        let t = device.last_inform.unwrap_or_default();
        let mut rows: Vec<Row> = params.iter().map(Row::from).collect();
        let id = &device.identity;
        let text = |path: &str, v: &str| Row {
            path: path.to_owned(),
            value: Some(Value::String(v.to_owned())),
            writable: Some(false),
            updated: Timestamp(i64::MAX),
        };
        rows.push(text("DeviceID.ID", device.id.as_str()));
        rows.push(text("DeviceID.Manufacturer", &id.manufacturer));
        rows.push(text("DeviceID.OUI", &id.oui));
        rows.push(text("DeviceID.ProductClass", &id.product_class));
        rows.push(text("DeviceID.SerialNumber", &id.serial_number));
        for tag in &device.tags {
            rows.push(Row {
                path: format!("Tags.{tag}"),
                value: Some(Value::Boolean(true)),
                writable: Some(true),
                updated: Timestamp(i64::MAX),
            });
        }
        if let Some(last) = device.last_inform {
            rows.push(Row {
                path: "Events.Inform".into(),
                value: chrono::DateTime::from_timestamp_millis(last.as_millis())
                    .map(|d| Value::Untyped(d.to_rfc3339()))
                    .map(|v| Value::from_wire(Some("dateTime"), &v.as_text())),
                writable: Some(false),
                updated: t,
            });
        }
        rows.push(Row {
            path: "Events.Registered".into(),
            value: chrono::DateTime::from_timestamp_millis(device.created.as_millis())
                .map(|d| Value::from_wire(Some("dateTime"), &d.to_rfc3339())),
            writable: Some(false),
            updated: Timestamp(i64::MAX),
        });
        rows.sort_by(|a, b| a.path.cmp(&b.path));
        rows.dedup_by(|a, b| a.path == b.path);
        Tree { rows }
    }

    /// A tree of exactly these rows (tests, dry runs).
    pub fn from_rows(mut rows: Vec<Row>) -> Tree {
        rows.sort_by(|a, b| a.path.cmp(&b.path));
        rows.dedup_by(|a, b| a.path == b.path);
        Tree { rows }
    }

    /// Shared form for a script run.
    pub fn shared(self) -> Arc<Tree> {
        Arc::new(self)
    }

    /// The row of a leaf (`a.b`) or object (`a.b.`) path.
    pub fn row(&self, path: &str) -> Option<&Row> {
        self.rows
            .binary_search_by(|r| r.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.rows[i])
    }

    /// The row of a concrete path written without a trailing dot: leaf, else object.
    pub fn node(&self, path: &str) -> Option<&Row> {
        self.row(path).or_else(|| self.row(&format!("{path}.")))
    }

    /// True when anything is stored under `prefix.`, or the object row itself.
    pub fn has_subtree(&self, path: &str) -> bool {
        let prefix = format!("{path}.");
        let i = self
            .rows
            .partition_point(|r| r.path.as_str() < prefix.as_str());
        self.rows
            .get(i)
            .is_some_and(|r| r.path.starts_with(&prefix))
    }

    /// Names of the children of `path` (`a.b` → `c` for `a.b.c` and `a.b.c.d`).
    pub fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}.")
        };
        let start = self
            .rows
            .partition_point(|r| r.path.as_str() < prefix.as_str());
        let mut out = BTreeSet::new();
        for r in &self.rows[start..] {
            let Some(rest) = r.path.strip_prefix(&prefix) else {
                break;
            };
            if let Some(name) = rest.split('.').next()
                && !name.is_empty()
            {
                out.insert(name.to_owned());
            }
            if out.len() > MAX_EXPANSION {
                break;
            }
        }
        let mut v: Vec<String> = out.into_iter().collect();
        // Instances in numeric order.
        v.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        });
        v
    }

    /// True when the instance `inst` (`a.b.3`) matches every `key:value` pair.
    pub fn alias_matches(&self, inst: &str, pairs: &[(String, String)]) -> bool {
        pairs.iter().all(|(k, v)| {
            self.row(&format!("{inst}.{k}"))
                .and_then(|r| r.value.as_ref())
                .is_some_and(|val| alias_text(val) == *v)
        })
    }

    /// Concrete paths (no trailing dot) that `path` matches in this tree. A concrete path
    /// matches itself when it exists.
    pub fn expand(&self, path: &Path) -> Vec<String> {
        let mut current = vec![String::new()];
        for seg in &path.segments {
            let mut next = Vec::new();
            for base in &current {
                let join = |n: &str| {
                    if base.is_empty() {
                        n.to_owned()
                    } else {
                        format!("{base}.{n}")
                    }
                };
                match seg {
                    Segment::Name(n) => next.push(join(n)),
                    Segment::Wildcard => next.extend(self.children(base).iter().map(|c| join(c))),
                    Segment::Alias(pairs) => next.extend(
                        self.children(base)
                            .iter()
                            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                            .map(|c| join(c))
                            .filter(|inst| self.alias_matches(inst, pairs)),
                    ),
                }
                if next.len() > MAX_EXPANSION {
                    next.truncate(MAX_EXPANSION);
                    break;
                }
            }
            current = next;
        }
        current.retain(|p| !p.is_empty() && (self.node(p).is_some() || self.has_subtree(p)));
        current
    }

    /// What `p.value` etc. give the script for one matched path.
    pub fn attributes(&self, path: &str) -> Json {
        let row = self.node(path);
        let object = row.is_some_and(Row::is_object) || (row.is_none() && self.has_subtree(path));
        json!({
            "path": path,
            "object": [object],
            "writable": row.and_then(|r| r.writable).map(|w| json!([w])).unwrap_or(Json::Null),
            "value": row.and_then(|r| r.value.as_ref()).map(js_value).unwrap_or(Json::Null),
        })
    }
}

/// The text an alias filter compares with (booleans as GenieACS writes them).
pub fn alias_text(v: &Value) -> String {
    match v {
        Value::Boolean(b) => b.to_string(),
        v => v.as_text().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn row(path: &str, v: Option<&str>) -> Row {
        Row {
            path: path.into(),
            value: v.map(|s| Value::String(s.into())),
            writable: Some(true),
            updated: Timestamp(10),
        }
    }

    #[test]
    fn wildcards_and_alias_filters_expand_over_the_rows() {
        let t = Tree::from_rows(vec![
            row("Device.WiFi.SSID.", None),
            row("Device.WiFi.SSID.1.", None),
            row("Device.WiFi.SSID.1.SSID", Some("home")),
            row("Device.WiFi.SSID.2.", None),
            row("Device.WiFi.SSID.2.SSID", Some("guest")),
            row("Device.WiFi.SSID.10.", None),
            row("Device.WiFi.SSID.10.SSID", Some("guest")),
        ]);
        let p = |s: &str| Path::parse(s).expect("path");
        assert_eq!(
            t.expand(&p("Device.WiFi.SSID.*.SSID")),
            vec![
                "Device.WiFi.SSID.1.SSID",
                "Device.WiFi.SSID.2.SSID",
                "Device.WiFi.SSID.10.SSID"
            ]
        );
        assert_eq!(
            t.expand(&p("Device.WiFi.SSID.[SSID:guest]")),
            vec!["Device.WiFi.SSID.2", "Device.WiFi.SSID.10"]
        );
        assert!(t.expand(&p("Device.WiFi.SSID.[SSID:none].SSID")).is_empty());
        assert!(t.expand(&p("Device.WiFi.Radio.*")).is_empty());
        assert_eq!(
            t.expand(&p("Device.WiFi.SSID.1.SSID")),
            vec!["Device.WiFi.SSID.1.SSID"]
        );
        assert_eq!(
            t.attributes("Device.WiFi.SSID.2.SSID")["value"],
            json!(["guest", "xsd:string"])
        );
        assert_eq!(t.attributes("Device.WiFi.SSID.2")["object"], json!([true]));
    }
}
