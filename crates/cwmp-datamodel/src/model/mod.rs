//! A device model: the part of a [`Schema`] a profile implements, plus its
//! vendor extensions, compiled once and shared (`Arc<Model>`) by every device
//! built from that profile. Instance numbering and the `{i}` placeholders are
//! handled here and nowhere else.

mod build;

use std::sync::{Arc, OnceLock};

use cwmp::XsdType;
use regex::Regex;

use crate::path::{PLACEHOLDER, SchemaPath};
use crate::profile::{Profile, ProfileError};
use crate::schema::syntax::{BaseType, Syntax};
use crate::schema::{ActiveNotify, ParamAccess, Schema};
use crate::tree::State;

/// Settings shared by every device of a model.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Accept Notification values 3–6 (lightweight notification, CWMP 1.4); refused with 9009 otherwise.
    pub allow_lightweight_notification: bool,
    /// Refuse active notification (9009) on `activeNotify="canDeny"` parameters.
    pub deny_active_on_can_deny: bool,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            allow_lightweight_notification: false,
            deny_active_on_can_deny: true,
        }
    }
}

/// Value computed by the tree rather than stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Derived {
    /// `…NumberOfEntries`: the number of instances of this (model) table under the parent.
    NumEntries(u32),
    /// `ManagementServer.ParameterKey`: the tree's ParameterKey.
    ParameterKey,
}

pub(crate) struct MObject {
    /// Schema path, e.g. `Device.IP.Interface.{i}.`.
    pub path: Box<str>,
    /// The path split at each `{i}`: `["Device.IP.Interface.", "."]`.
    pub pieces: Box<[Box<str>]>,
    pub parent: Option<u32>,
    pub children: Box<[u32]>,
    /// Range of this object's parameters in `Model::params`.
    pub params: (u32, u32),
    /// Table row (path ends with `{i}.`).
    pub multi: bool,
    /// Number of `{i}` in the path.
    pub depth: usize,
    /// AddObject / DeleteObject allowed.
    pub writable: bool,
    pub max_entries: Option<u32>,
    /// Local index of an `Alias` parameter (set to `cpe-<n>` on creation).
    pub alias: Option<u32>,
}

pub(crate) struct MParam {
    pub name: Box<str>,
    /// Schema path, e.g. `Device.IP.Interface.{i}.Enable`.
    pub path: Box<str>,
    pub object: u32,
    pub syntax: u32,
    pub access: ParamAccess,
    pub active_notify: ActiveNotify,
    pub forced_inform: bool,
    /// Value in a new instance.
    pub initial: Box<str>,
    pub derived: Option<Derived>,
}

pub(crate) struct MSyntax {
    pub syntax: Syntax,
    /// Anchored, compiled patterns; uncompilable ones are left out.
    regexes: OnceLock<Box<[Regex]>>,
}

impl MSyntax {
    fn new(syntax: Syntax) -> Self {
        MSyntax {
            syntax,
            regexes: OnceLock::new(),
        }
    }

    /// The patterns, compiled on first use.
    pub fn regexes(&self) -> &[Regex] {
        self.regexes.get_or_init(|| {
            self.syntax
                .patterns
                .iter()
                .filter_map(|p| Regex::new(&format!("^(?:{})$", p.value)).ok())
                .collect()
        })
    }

    /// True if the syntax has patterns (even uncompilable ones).
    pub fn has_patterns(&self) -> bool {
        !self.syntax.patterns.is_empty()
    }

    /// The `xsi:type` the value has on the wire; `None` for decimal.
    pub fn wire_type(&self) -> Option<XsdType> {
        if self.syntax.list.is_some() {
            return Some(XsdType::String);
        }
        xsd_type(self.syntax.base)
    }
}

/// The CWMP wire type of a base type; `None` for decimal (no [`XsdType`] variant).
pub fn xsd_type(base: BaseType) -> Option<XsdType> {
    Some(match base {
        BaseType::String => XsdType::String,
        BaseType::Int => XsdType::Int,
        BaseType::UnsignedInt => XsdType::UnsignedInt,
        BaseType::Long => XsdType::Long,
        BaseType::UnsignedLong => XsdType::UnsignedLong,
        BaseType::Boolean => XsdType::Boolean,
        BaseType::DateTime => XsdType::DateTime,
        BaseType::Base64 => XsdType::Base64,
        BaseType::HexBinary => XsdType::HexBinary,
        BaseType::Decimal => return None,
    })
}

/// What an instance path designates in a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// An object instance (`Device.IP.Interface.3.`); `nums.len() == depth`.
    Object { obj: u32, nums: Vec<u32> },
    /// A table (`Device.IP.Interface.`); `obj` is the row object, `nums` the parent's.
    Table { obj: u32, nums: Vec<u32> },
    /// A parameter of an object instance.
    Param { param: u32, nums: Vec<u32> },
}

#[derive(Debug, Clone, Copy)]
enum Node {
    Object(u32),
    Param(u32),
}

/// A compiled device model over a shared [`Schema`].
pub struct Model {
    schema: Arc<Schema>,
    profile_name: Box<str>,
    options: ModelOptions,
    pub(crate) objects: Box<[MObject]>,
    pub(crate) params: Box<[MParam]>,
    pub(crate) syntaxes: Box<[MSyntax]>,
    /// Every schema path (`{i}` placeholders), looked up on each path an RPC names: a
    /// fast hash, as the keys are the schema's and a peer's path is only looked up.
    by_path: foldhash::HashMap<Box<str>, Node>,
    pub(crate) forced_inform: Box<[u32]>,
    /// The state of a new device (profile instances and values).
    pub(crate) initial: State,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("schema", &self.schema.model_name())
            .field("profile", &self.profile_name)
            .field("objects", &self.objects.len())
            .field("parameters", &self.params.len())
            .finish()
    }
}

impl Model {
    /// Compiles `profile` against `schema`.
    pub fn new(
        schema: Arc<Schema>,
        profile: &Profile,
        options: ModelOptions,
    ) -> Result<Self, ProfileError> {
        build::build(schema, profile, options)
    }

    /// The underlying schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Name of the profile the model was built from.
    pub fn profile_name(&self) -> &str {
        &self.profile_name
    }

    /// Options.
    pub fn options(&self) -> &ModelOptions {
        &self.options
    }

    /// Number of implemented objects (tables count once).
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// Number of implemented parameters (per object, not per instance).
    pub fn parameter_count(&self) -> usize {
        self.params.len()
    }

    /// Root object path (`Device.`).
    pub fn root_path(&self) -> &str {
        self.objects.first().map_or("", |o| &o.path)
    }

    /// True if the schema path (`Device.WiFi.SSID.{i}.SSID`) is implemented.
    pub fn implements(&self, schema_path: &str) -> bool {
        self.by_path.contains_key(schema_path)
    }

    /// Schema paths of all implemented parameters, in tree order.
    pub fn parameter_paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.params.iter().map(|p| &*p.path)
    }

    pub(crate) fn obj(&self, i: u32) -> &MObject {
        &self.objects[i as usize]
    }

    pub(crate) fn param(&self, i: u32) -> &MParam {
        &self.params[i as usize]
    }

    pub(crate) fn param_syntax(&self, i: u32) -> &MSyntax {
        &self.syntaxes[self.param(i).syntax as usize]
    }

    /// Local index of `param` within its object's value array.
    pub(crate) fn local(&self, param: u32) -> usize {
        let p = self.param(param);
        (param - self.obj(p.object).params.0) as usize
    }

    /// A parameter of `obj` by name.
    pub(crate) fn param_by_name(&self, obj: u32, name: &str) -> Option<u32> {
        let (a, b) = self.obj(obj).params;
        (a..b).find(|&i| &*self.param(i).name == name)
    }

    /// Resolves an instance path; `None` if malformed or not implemented.
    /// Only the shape is checked, not whether the instances exist.
    pub(crate) fn resolve(&self, path: &str) -> Option<Resolved> {
        let (sp, nums) = SchemaPath::from_instance_path(path).ok()?;
        if sp.is_object() {
            if let Some(&Node::Object(obj)) = self.by_path.get(sp.as_str()) {
                return Some(Resolved::Object { obj, nums });
            }
            let table = format!("{sp}{PLACEHOLDER}.");
            match self.by_path.get(table.as_str()) {
                Some(&Node::Object(obj)) => Some(Resolved::Table { obj, nums }),
                _ => None,
            }
        } else {
            match self.by_path.get(sp.as_str()) {
                Some(&Node::Param(param)) => Some(Resolved::Param { param, nums }),
                _ => None,
            }
        }
    }

    /// Appends the instance path of `obj` with instance numbers `nums`.
    /// With one number fewer than placeholders, appends the table path.
    pub(crate) fn write_object_path(&self, obj: u32, nums: &[u32], out: &mut String) {
        let pieces = &self.obj(obj).pieces;
        for (i, piece) in pieces.iter().enumerate() {
            out.push_str(piece);
            match nums.get(i) {
                Some(n) => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "{n}");
                }
                None => break,
            }
        }
    }

    /// Instance path of an object (`Device.IP.Interface.3.`).
    pub(crate) fn object_path(&self, obj: u32, nums: &[u32]) -> String {
        let mut s = String::with_capacity(self.obj(obj).path.len() + 8);
        self.write_object_path(obj, nums, &mut s);
        s
    }

    /// Instance path of a parameter (`Device.IP.Interface.3.Enable`).
    pub(crate) fn param_path(&self, param: u32, nums: &[u32]) -> String {
        let p = self.param(param);
        let mut s = String::with_capacity(self.obj(p.object).path.len() + p.name.len() + 8);
        self.write_object_path(p.object, nums, &mut s);
        s.push_str(&p.name);
        s
    }

    /// Effective notification of a parameter with no stored attribute.
    pub(crate) fn default_notification(&self, param: u32) -> u8 {
        match self.param(param).active_notify {
            ActiveNotify::ForceEnabled | ActiveNotify::ForceDefaultEnabled => 2,
            ActiveNotify::Normal | ActiveNotify::CanDeny => 0,
        }
    }

    /// Heap bytes of the compiled model (excluding the shared schema).
    pub fn heap_size(&self) -> usize {
        use std::mem::size_of;
        let objects: usize = self
            .objects
            .iter()
            .map(|o| {
                size_of::<MObject>()
                    + o.path.len()
                    + o.pieces.iter().map(|p| p.len() + 16).sum::<usize>()
                    + o.children.len() * 4
            })
            .sum();
        let params: usize = self
            .params
            .iter()
            .map(|p| size_of::<MParam>() + p.name.len() + p.path.len() + p.initial.len())
            .sum();
        objects
            + params
            + self.syntaxes.len() * size_of::<MSyntax>()
            + self.by_path.len() * (size_of::<(Box<str>, Node)>() + 40)
            + self.initial.heap_size()
    }
}
