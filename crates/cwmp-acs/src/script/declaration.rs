//! What a script declares (GenieACS `declare(path, timestamps, values)`), and what a
//! declaration asks of the device given what the ACS knows: reads (GetParameterNames to learn
//! instances and names, GetParameterValues for stale values) and, once nothing is missing,
//! writes (SetParameterValues, AddObject, DeleteObject, tags).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use super::path::{Path, Segment};
use super::tree::Tree;

/// Namespaces kept by the ACS, never read from the CPE.
const VIRTUAL_ROOTS: &[&str] = &[
    "DeviceID",
    "Tags",
    "Events",
    "VirtualParameters",
    "Downloads",
    "Reboot",
    "FactoryReset",
];

/// A desired value: the JSON value and its `xsd:` type when the script gave `[value, type]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desired {
    /// Value (string, number or boolean).
    pub value: Json,
    /// Type, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
}

/// One `declare()` call, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    /// The path as parsed.
    pub path: Path,
    /// Instance list wanted no older than this (ms); GenieACS's default is 1 (ever).
    pub path_get: i64,
    /// Wanted number of instances matching `path`.
    pub path_set: Option<u32>,
    /// Attributes (`value`, `writable`, `object`) wanted no older than the given time (ms).
    pub attr_get: BTreeMap<String, i64>,
    /// Wanted value.
    pub value_set: Option<Desired>,
}

/// Why a declaration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidDeclaration(pub String);

/// Most bytes of the JSON of one declaration's timestamps or values.
pub const MAX_DECLARATION_JSON: usize = 64 * 1024;

fn timestamp(v: &Json) -> Option<i64> {
    // GenieACS ignores timestamps below 1 (`!(t >= 1)`).
    v.as_f64()
        .filter(|t| *t >= 1.0 && t.is_finite())
        .map(|t| t as i64)
}

fn desired(v: &Json) -> Result<Desired, InvalidDeclaration> {
    let scalar = |v: &Json| matches!(v, Json::String(_) | Json::Number(_) | Json::Bool(_));
    match v {
        Json::Array(a) if !a.is_empty() && a.len() <= 2 && scalar(&a[0]) => {
            let ty = match a.get(1) {
                None | Some(Json::Null) => None,
                Some(Json::String(t)) if t.len() <= 64 => Some(t.clone()),
                Some(_) => {
                    return Err(InvalidDeclaration(
                        "a value's type must be a string like \"xsd:string\"".into(),
                    ));
                }
            };
            Ok(Desired {
                value: a[0].clone(),
                ty,
            })
        }
        v if scalar(v) => Ok(Desired {
            value: v.clone(),
            ty: None,
        }),
        _ => Err(InvalidDeclaration(
            "a value must be a string, number, boolean or [value, type]".into(),
        )),
    }
}

impl Declaration {
    /// Parses `declare(path, timestamps, values)` as GenieACS reads it.
    pub fn parse(
        path: &str,
        timestamps: &Json,
        values: &Json,
    ) -> Result<Declaration, InvalidDeclaration> {
        let path = Path::parse(path).map_err(|e| InvalidDeclaration(e.to_string()))?;
        let empty = Map::new();
        let obj = |v: &'_ Json, what: &str| -> Result<Map<String, Json>, InvalidDeclaration> {
            match v {
                Json::Null => Ok(empty.clone()),
                Json::Object(m) if m.len() <= 8 => Ok(m.clone()),
                Json::Object(_) => Err(InvalidDeclaration(format!(
                    "{what} has more than 8 attributes"
                ))),
                _ => Err(InvalidDeclaration(format!("{what} must be an object"))),
            }
        };
        let mut d = Declaration {
            path,
            path_get: 1,
            path_set: None,
            attr_get: BTreeMap::new(),
            value_set: None,
        };
        for (k, v) in obj(values, "values")? {
            match k.as_str() {
                "path" => {
                    let n = v
                        .as_f64()
                        .filter(|n| *n >= 0.0 && *n <= f64::from(super::MAX_INSTANCES))
                        .ok_or_else(|| {
                            InvalidDeclaration(format!(
                                "values.path must be an instance count 0..={}",
                                super::MAX_INSTANCES
                            ))
                        })?;
                    d.path_set = Some(n as u32);
                }
                "value" => {
                    d.attr_get.entry(k.clone()).or_insert(1);
                    d.value_set = Some(desired(&v)?);
                }
                "writable" | "object" | "notification" | "accessList" => {
                    // Attribute writes other than the value are not supported: refused loudly.
                    return Err(InvalidDeclaration(format!(
                        "setting the {k} attribute is not supported"
                    )));
                }
                other => {
                    return Err(InvalidDeclaration(format!(
                        "unknown attribute {other:?} in values"
                    )));
                }
            }
        }
        for (k, v) in obj(timestamps, "timestamps")? {
            let Some(t) = timestamp(&v) else { continue };
            match k.as_str() {
                "path" => d.path_get = t,
                "value" | "writable" | "object" | "notification" | "accessList" => {
                    d.attr_get.insert(k.clone(), t);
                }
                other => {
                    return Err(InvalidDeclaration(format!(
                        "unknown attribute {other:?} in timestamps"
                    )));
                }
            }
        }
        Ok(d)
    }

    /// Attribute names the returned object exposes.
    pub fn attributes(&self) -> Vec<String> {
        self.attr_get.keys().cloned().collect()
    }

    /// The JSON form of the dry run (`{"path", "timestamps", "values"}`).
    pub fn to_json(&self) -> Json {
        let mut ts = Map::new();
        ts.insert("path".into(), json!(self.path_get));
        for (k, t) in &self.attr_get {
            ts.insert(k.clone(), json!(t));
        }
        let mut vals = Map::new();
        if let Some(n) = self.path_set {
            vals.insert("path".into(), json!(n));
        }
        if let Some(d) = &self.value_set {
            vals.insert(
                "value".into(),
                match &d.ty {
                    Some(t) => json!([d.value, t]),
                    None => d.value.clone(),
                },
            );
        }
        json!({"path": self.path.to_string(), "timestamps": ts, "values": vals})
    }

    fn is_virtual(&self) -> bool {
        self.path
            .root_name()
            .is_some_and(|r| VIRTUAL_ROOTS.contains(&r))
    }
}

/// What the session learnt in this session already (so a read is never asked twice).
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// Objects listed with GetParameterNames in this session (`a.b.`).
    pub enumerated: &'a HashSet<String>,
    /// Objects listed with everything under them in this session (`a.b.`).
    pub deep: &'a HashSet<String>,
    /// Leaf paths read with GetParameterValues in this session.
    pub read: &'a HashSet<String>,
    /// Virtual parameters that have a script and were not computed in this session.
    pub virtual_pending: &'a HashSet<String>,
}

/// A read the device must answer before the script can go on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum Need {
    /// GetParameterNames of an object (`a.b.`), one level.
    Names(String),
    /// GetParameterNames of an object and everything under it.
    Subtree(String),
    /// GetParameterValues of a leaf.
    Value(String),
    /// The script of virtual parameter `name` must run first (`VirtualParameters.<name>`).
    Virtual(String),
}

/// A change the script's declarations ask for once everything they read is known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Write {
    /// SetParameterValues of one leaf.
    Set {
        /// Leaf path.
        path: String,
        /// Wanted value.
        desired: Desired,
    },
    /// AddObject under `object` (`a.b.`); alias pairs are set on the new instance.
    Add {
        /// Object path with its trailing dot.
        object: String,
        /// `(relative path, value)` to set on the new instance.
        alias: Vec<(String, String)>,
    },
    /// DeleteObject of an instance (`a.b.3.`).
    Delete {
        /// Instance path with its trailing dot.
        instance: String,
    },
    /// Add (`true`) or remove a tag.
    Tag {
        /// Tag name.
        tag: String,
        /// Wanted.
        on: bool,
    },
}

fn fresh_object(tree: &Tree, known: Known<'_>, base: &str, t: i64) -> bool {
    let obj = format!("{base}.");
    known.enumerated.contains(&obj)
        || known.deep.iter().any(|d| obj.starts_with(d.as_str()))
        || tree.row(&obj).is_some_and(|r| r.updated.as_millis() >= t)
        || (t <= 1 && tree.has_subtree(base))
}

/// True when `path` (no trailing dot) is an object: its row ends in a dot or rows lie under it.
fn is_object(tree: &Tree, path: &str) -> bool {
    tree.row(&format!("{path}.")).is_some() || tree.has_subtree(path)
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

impl Declaration {
    /// The reads this declaration still needs, given `tree` and what this session read.
    pub fn needs(&self, tree: &Tree, known: Known<'_>, out: &mut Vec<Need>) {
        if self.path.root_name() == Some("VirtualParameters") && self.path.len() == 2 {
            let names: Vec<&String> = match &self.path.segments[1] {
                Segment::Name(n) => known.virtual_pending.get(n).into_iter().collect(),
                Segment::Wildcard => known.virtual_pending.iter().collect(),
                Segment::Alias(_) => Vec::new(),
            };
            let wanted = self.attr_get.values().copied().max().unwrap_or(1);
            for n in names {
                let row = tree.row(&format!("VirtualParameters.{n}"));
                let stale = row.is_none_or(|r| r.updated.as_millis() < wanted);
                let differs = self
                    .value_set
                    .as_ref()
                    .is_some_and(|v| !same_value(row.and_then(|r| r.value.as_ref()), v));
                if stale || differs {
                    out.push(Need::Virtual(n.clone()));
                }
            }
            return;
        }
        if self.is_virtual() {
            return;
        }
        let mut current = vec![String::new()];
        for seg in &self.path.segments {
            let mut next = Vec::new();
            for base in &current {
                match seg {
                    Segment::Name(n) => {
                        let p = join(base, n);
                        if tree.node(&p).is_some() || tree.has_subtree(&p) {
                            next.push(p);
                        } else if !base.is_empty()
                            && is_object(tree, base)
                            && !fresh_object(tree, known, base, i64::MAX)
                        {
                            // Unknown name under a known object: list the object once.
                            out.push(Need::Names(format!("{base}.")));
                        }
                    }
                    Segment::Wildcard | Segment::Alias(_) => {
                        if base.is_empty() || !is_object(tree, base) {
                            continue;
                        }
                        if !fresh_object(tree, known, base, self.path_get) {
                            out.push(Need::Subtree(format!("{base}.")));
                            continue;
                        }
                        for c in tree.children(base) {
                            let inst = join(base, &c);
                            if let Segment::Alias(pairs) = seg {
                                if !c.bytes().all(|b| b.is_ascii_digit()) {
                                    continue;
                                }
                                let mut complete = true;
                                for (k, _) in pairs {
                                    let kp = format!("{inst}.{k}");
                                    let fresh = known.read.contains(&kp)
                                        || tree.row(&kp).is_some_and(|r| {
                                            r.value.is_some()
                                                && r.updated.as_millis() >= self.path_get
                                        });
                                    if !fresh && tree.row(&kp).is_some() {
                                        out.push(Need::Value(kp));
                                        complete = false;
                                    }
                                }
                                if complete && tree.alias_matches(&inst, pairs) {
                                    next.push(inst);
                                }
                            } else {
                                next.push(inst);
                            }
                        }
                    }
                }
            }
            current = next;
        }
        for m in current.iter().filter(|m| !m.is_empty()) {
            let row = tree.row(m);
            for (attr, t) in &self.attr_get {
                match attr.as_str() {
                    "value" => {
                        if let Some(r) = row
                            && !known.read.contains(m)
                            && (r.value.is_none() || r.updated.as_millis() < *t)
                        {
                            out.push(Need::Value(m.clone()));
                        }
                    }
                    _ => {
                        let parent = m.rsplit_once('.').map_or("", |(p, _)| p);
                        let has = row
                            .is_some_and(|r| r.writable.is_some() && r.updated.as_millis() >= *t);
                        if !has
                            && !parent.is_empty()
                            && !fresh_object(tree, known, parent, i64::MAX)
                        {
                            out.push(Need::Names(format!("{parent}.")));
                        }
                    }
                }
            }
        }
    }

    /// The changes this declaration asks for, once [`Declaration::needs`] is empty.
    pub fn writes(&self, tree: &Tree, out: &mut Vec<Write>) {
        if self.path.root_name() == Some("Tags") {
            if let (Some(d), Some(Segment::Name(tag))) =
                (&self.value_set, self.path.segments.get(1))
            {
                let on = match &d.value {
                    Json::Bool(b) => *b,
                    Json::String(s) => s == "true",
                    Json::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
                    _ => false,
                };
                let has = tree.row(&format!("Tags.{tag}")).is_some();
                if on != has {
                    out.push(Write::Tag {
                        tag: tag.clone(),
                        on,
                    });
                }
            }
            return;
        }
        if self.is_virtual() {
            return;
        }
        if let Some(n) = self.path_set
            && let Some(last) = self.path.segments.last()
            && matches!(last, Segment::Wildcard | Segment::Alias(_))
        {
            let parent = self.path.prefix(self.path.len() - 1);
            for base in tree.expand(&parent) {
                let one = Path {
                    segments: vec![last.clone()],
                };
                let sub: Vec<String> = tree
                    .children(&base)
                    .into_iter()
                    .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
                    .map(|c| join(&base, &c))
                    .filter(|inst| match &one.segments[0] {
                        Segment::Alias(pairs) => tree.alias_matches(inst, pairs),
                        _ => true,
                    })
                    .collect();
                let have = sub.len();
                let want = n as usize;
                if have < want {
                    let alias = match last {
                        Segment::Alias(pairs) => pairs.clone(),
                        _ => Vec::new(),
                    };
                    for _ in have..want {
                        out.push(Write::Add {
                            object: format!("{base}."),
                            alias: alias.clone(),
                        });
                    }
                } else {
                    for inst in sub.iter().skip(want) {
                        out.push(Write::Delete {
                            instance: format!("{inst}."),
                        });
                    }
                }
            }
        }
        if let Some(d) = &self.value_set {
            for m in tree.expand(&self.path) {
                let Some(row) = tree.row(&m) else { continue };
                if !same_value(row.value.as_ref(), d) {
                    out.push(Write::Set {
                        path: m,
                        desired: d.clone(),
                    });
                }
            }
        }
    }
}

/// True when the stored value already is the desired one (compared as the device would
/// store it: typed like the stored value when no type is given).
pub fn same_value(current: Option<&cwmp::Value>, d: &Desired) -> bool {
    let Some(cur) = current else { return false };
    let ty = d.ty.as_deref().or_else(|| cur.xsi_type());
    match crate::task::typed_value(&d.value, ty)
        .or_else(|_| crate::task::typed_value(&d.value, None))
    {
        Ok(v) => v.as_text() == cur.as_text(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests;
