//! The in-memory schema: objects, parameters, data types and lookups.
//!
//! Everything is stored in flat arrays indexed by `u32` ids; names are
//! interned once. A [`Schema`] is immutable after loading and `Send + Sync`,
//! so one `Arc<Schema>` can serve any number of simulated devices.

mod build;
mod compact;
mod load;
mod refs;
mod sources;
mod strings;
pub mod syntax;
mod xml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use refs::{DataTypeRef, DefaultValue, NodeRef, ObjectRef, ParamRef, Target, UniqueKeyRef};

use crate::error::SchemaError;
use crate::path::{PathError, SchemaPath, split_parameter};
use strings::{Strings, Sym};
use syntax::{DefaultKind, Syntax, SyntaxId};

/// Index of an object in its schema (document order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub(crate) u32);

/// Index of a parameter in its schema (document order, grouped by object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub(crate) u32);

/// Index of a named data type in its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataTypeId(pub(crate) u32);

/// Item status; `Deleted` items are dropped at load unless [`LoadOptions::keep_deleted`].
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// In use.
    #[default]
    Current,
    /// Still required, will be obsoleted.
    Deprecated,
    /// May be omitted by implementations.
    Obsoleted,
    /// Removed from the model.
    Deleted,
}

impl Status {
    /// Parses the XML attribute value.
    pub fn from_xml(s: &str) -> Option<Self> {
        Some(match s {
            "current" => Self::Current,
            "deprecated" => Self::Deprecated,
            "obsoleted" => Self::Obsoleted,
            "deleted" => Self::Deleted,
            _ => return None,
        })
    }
}

/// Object access: `ReadWrite` on a table means the ACS may Add/Delete instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectAccess {
    /// Fixed instances (or a single-instance object).
    ReadOnly,
    /// AddObject / DeleteObject allowed.
    ReadWrite,
}

/// Parameter access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamAccess {
    /// Only the CPE sets it.
    ReadOnly,
    /// The ACS may set it.
    ReadWrite,
    /// The ACS may set it once (e.g. `Alias` in some tables), then read-only.
    WriteOnceReadOnly,
}

impl ParamAccess {
    /// True unless `ReadOnly`.
    pub fn is_writable(self) -> bool {
        self != Self::ReadOnly
    }
}

/// Active notification support (TR-069 A.3.2.4 `SetParameterAttributes`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum ActiveNotify {
    /// Any notification setting allowed.
    #[default]
    Normal,
    /// The CPE may refuse active notification (9009).
    CanDeny,
    /// Active notification is always on and cannot be changed.
    ForceEnabled,
    /// Active notification is on by default.
    ForceDefaultEnabled,
}

impl ActiveNotify {
    fn from_xml(s: &str) -> Option<Self> {
        Some(match s {
            "normal" => Self::Normal,
            "canDeny" => Self::CanDeny,
            "forceEnabled" => Self::ForceEnabled,
            "forceDefaultEnabled" => Self::ForceDefaultEnabled,
            _ => return None,
        })
    }
}

/// A data-model version such as `2.17` or `2.15.1`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Corrigendum / patch (0 if absent).
    pub patch: u16,
}

impl FromStr for Version {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let mut it = s.trim().split('.');
        let mut next = |required: bool| match it.next() {
            Some(p) => p.parse::<u16>().map_err(|_| ()),
            None if required => Err(()),
            None => Ok(0),
        };
        let v = Version {
            major: next(true)?,
            minor: next(true)?,
            patch: next(false)?,
        };
        if it.next().is_some() {
            return Err(());
        }
        Ok(v)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// How to load a document.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Keep `<description>` texts (off by default to save memory).
    pub keep_descriptions: bool,
    /// Keep `status="deleted"` objects and parameters (dropped by default).
    pub keep_deleted: bool,
    /// Name of the model to load (`Device:2.17`); default: the document's only
    /// (or first non-service) model.
    pub model: Option<String>,
    /// Extra directories searched for `<import file=...>` (after the importing file's own).
    pub import_dirs: Vec<PathBuf>,
}

/// Why an instance path does not resolve to a schema item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The path is malformed.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The path is well-formed but the schema has no such item.
    #[error("no such item in the schema: {0}")]
    Unknown(SchemaPath),
}

pub(crate) struct UniqueKey {
    pub functional: bool,
    pub params: Box<[Sym]>,
}

pub(crate) struct Object {
    pub path: Sym,
    pub parent: Option<ObjectId>,
    pub access: ObjectAccess,
    pub min_entries: u32,
    pub max_entries: Option<u32>,
    pub num_entries: Option<Sym>,
    pub enable: Option<Sym>,
    pub unique_keys: Box<[UniqueKey]>,
    pub status: Status,
    pub version: Option<Version>,
    pub description: Option<Box<str>>,
    /// Range of this object's parameters in `Schema::params`.
    pub params: (u32, u32),
    pub children: Box<[ObjectId]>,
}

pub(crate) struct Parameter {
    pub name: Sym,
    pub object: ObjectId,
    pub syntax: SyntaxId,
    pub access: ParamAccess,
    pub active_notify: ActiveNotify,
    pub forced_inform: bool,
    pub status: Status,
    pub version: Option<Version>,
    pub default: Option<(DefaultKind, Sym)>,
    pub description: Option<Box<str>>,
}

pub(crate) struct DataType {
    pub name: Box<str>,
    pub base: Option<DataTypeId>,
    pub syntax: SyntaxId,
    pub status: Status,
    pub description: Option<Box<str>>,
}

/// A loaded data model: immutable, `Send + Sync`, cheap to share in an `Arc`.
pub struct Schema {
    pub(crate) model_name: Box<str>,
    pub(crate) spec: Option<Box<str>>,
    pub(crate) strings: Strings,
    pub(crate) objects: Box<[Object]>,
    pub(crate) params: Box<[Parameter]>,
    /// Per object, its parameter range sorted by name.
    pub(crate) params_by_name: Box<[ParamId]>,
    pub(crate) objects_by_path: Box<[ObjectId]>,
    pub(crate) syntaxes: Box<[Syntax]>,
    pub(crate) data_types: Box<[DataType]>,
    pub(crate) data_types_by_name: Box<[DataTypeId]>,
    pub(crate) forced_inform: Box<[ParamId]>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("model", &self.model_name)
            .field("objects", &self.objects.len())
            .field("parameters", &self.params.len())
            .field("syntaxes", &self.syntaxes.len())
            .field("data_types", &self.data_types.len())
            .finish()
    }
}

impl Schema {
    /// Loads a data-model XML file (and any files it imports), or a compact schema written by
    /// [`Schema::to_compact`] (told apart by its first bytes).
    pub fn from_file(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Self, SchemaError> {
        load::load_file(path.as_ref(), options)
    }

    /// Loads a data-model document held in memory; `name` is used in error messages.
    pub fn from_xml(xml: &str, name: &str, options: &LoadOptions) -> Result<Self, SchemaError> {
        load::load_str(xml, name, options)
    }

    /// Reads a compact schema (JSON lines, see [`Schema::to_compact`]); `name` is used in
    /// error messages. Every index and name is checked: a broken file is an error, not a panic.
    pub fn from_compact(text: &str, name: &str) -> Result<Self, SchemaError> {
        compact::read(text, name)
    }

    /// Writes the schema in the compact form: every fact of the model (names, types, ranges,
    /// enumerations, units, references, access, multiplicity, defaults, notification rules,
    /// status, version), no description text. Deterministic: the same schema gives the same bytes.
    pub fn to_compact(&self) -> String {
        compact::write(self)
    }

    /// Model name, e.g. `Device:2.17`.
    pub fn model_name(&self) -> &str {
        &self.model_name
    }

    /// Model version, from the model name (`Device:2.17` → 2.17).
    pub fn model_version(&self) -> Option<Version> {
        self.model_name.rsplit_once(':')?.1.parse().ok()
    }

    /// The document's `spec` URN, if any.
    pub fn spec(&self) -> Option<&str> {
        self.spec.as_deref()
    }

    /// Number of objects.
    pub fn object_count(&self) -> usize {
        self.objects.len()
    }

    /// Number of parameters.
    pub fn parameter_count(&self) -> usize {
        self.params.len()
    }

    /// Number of distinct resolved syntaxes (shared between parameters).
    pub fn syntax_count(&self) -> usize {
        self.syntaxes.len()
    }

    /// The root object (`Device.` / `InternetGatewayDevice.`).
    pub fn root(&self) -> Option<ObjectRef<'_>> {
        self.objects().find(|o| o.parent().is_none())
    }

    /// Object by id.
    pub fn object_by_id(&self, id: ObjectId) -> Option<ObjectRef<'_>> {
        self.objects
            .get(id.0 as usize)
            .map(|_| ObjectRef::new(self, id))
    }

    /// Parameter by id.
    pub fn parameter_by_id(&self, id: ParamId) -> Option<ParamRef<'_>> {
        self.params
            .get(id.0 as usize)
            .map(|_| ParamRef::new(self, id))
    }

    /// Object by schema path, e.g. `Device.IP.Interface.{i}.`.
    pub fn object(&self, path: &str) -> Option<ObjectRef<'_>> {
        let objects = &self.objects;
        let strings = &self.strings;
        let i = self
            .objects_by_path
            .binary_search_by(|id| strings.get(objects[id.0 as usize].path).cmp(path))
            .ok()?;
        Some(ObjectRef::new(self, self.objects_by_path[i]))
    }

    /// Parameter by schema path, e.g. `Device.IP.Interface.{i}.Enable`.
    pub fn parameter(&self, path: &str) -> Option<ParamRef<'_>> {
        let (obj, name) = split_parameter(path)?;
        self.object(obj)?.parameter(name)
    }

    /// Object or parameter by schema path (objects end with `.`).
    pub fn node(&self, path: &str) -> Option<NodeRef<'_>> {
        if path.ends_with('.') {
            self.object(path).map(NodeRef::Object)
        } else {
            self.parameter(path).map(NodeRef::Parameter)
        }
    }

    /// Resolves an instance path (`Device.IP.Interface.3.Enable`) to its schema
    /// item and instance numbers. A path naming a table itself
    /// (`Device.IP.Interface.`) resolves to [`Target::Table`].
    pub fn resolve(&self, instance_path: &str) -> Result<(Target<'_>, Vec<u32>), ResolveError> {
        let (path, instances) = SchemaPath::from_instance_path(instance_path)?;
        let target = if path.is_object() {
            match self.object(path.as_str()) {
                Some(o) => Some(Target::Object(o)),
                None => {
                    let table = format!("{path}{{i}}.");
                    self.object(&table).map(Target::Table)
                }
            }
        } else {
            self.parameter(path.as_str()).map(Target::Parameter)
        };
        match target {
            Some(t) => Ok((t, instances)),
            None => Err(ResolveError::Unknown(path)),
        }
    }

    /// All objects, in document order.
    pub fn objects(&self) -> impl ExactSizeIterator<Item = ObjectRef<'_>> + '_ {
        (0..self.objects.len() as u32).map(|i| ObjectRef::new(self, ObjectId(i)))
    }

    /// All parameters, in document order (grouped by object).
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = ParamRef<'_>> + '_ {
        (0..self.params.len() as u32).map(|i| ParamRef::new(self, ParamId(i)))
    }

    /// Parameters with `forcedInform="true"`: sent in every Inform.
    pub fn forced_inform_parameters(&self) -> impl ExactSizeIterator<Item = ParamRef<'_>> + '_ {
        self.forced_inform.iter().map(|&id| ParamRef::new(self, id))
    }

    /// Approximate heap bytes held by the schema (strings, tables, facets).
    pub fn heap_size(&self) -> usize {
        use std::mem::size_of;
        let facets: usize = self
            .syntaxes
            .iter()
            .map(|s| {
                s.enumerations
                    .iter()
                    .chain(s.patterns.iter())
                    .map(|e| e.value.len() + size_of::<syntax::ValueFacet>())
                    .sum::<usize>()
                    + s.sizes.len() * size_of::<syntax::SizeRange>()
                    + s.ranges.len() * size_of::<syntax::IntRange>()
                    + s.units.as_ref().map_or(0, |u| u.len())
            })
            .sum();
        let descriptions: usize = self
            .objects
            .iter()
            .filter_map(|o| o.description.as_ref())
            .chain(self.params.iter().filter_map(|p| p.description.as_ref()))
            .map(|d| d.len())
            .sum();
        let keys: usize = self
            .objects
            .iter()
            .map(|o| o.unique_keys.len() * size_of::<UniqueKey>() + o.children.len() * 4)
            .sum();
        self.strings.heap_bytes()
            + self.objects.len() * size_of::<Object>()
            + self.params.len() * (size_of::<Parameter>() + 4)
            + self.objects_by_path.len() * 4
            + self.syntaxes.len() * size_of::<Syntax>()
            + self.data_types.len() * (size_of::<DataType>() + 16)
            + facets
            + descriptions
            + keys
    }

    /// True if no description text is kept (the default; see [`LoadOptions::keep_descriptions`]).
    pub fn description_free(&self) -> bool {
        self.objects.iter().all(|o| o.description.is_none())
            && self.params.iter().all(|p| p.description.is_none())
            && self.data_types.iter().all(|d| d.description.is_none())
    }

    /// A resolved syntax by id.
    pub fn syntax(&self, id: SyntaxId) -> Option<&Syntax> {
        self.syntaxes.get(id.0 as usize)
    }

    /// A named data type (`IPAddress`, `StatsCounter64`...).
    pub fn data_type(&self, name: &str) -> Option<DataTypeRef<'_>> {
        let dts = &self.data_types;
        let i = self
            .data_types_by_name
            .binary_search_by(|id| (*dts[id.0 as usize].name).cmp(name))
            .ok()?;
        Some(DataTypeRef::new(self, self.data_types_by_name[i]))
    }

    /// Data type by id.
    pub fn data_type_by_id(&self, id: DataTypeId) -> Option<DataTypeRef<'_>> {
        self.data_types
            .get(id.0 as usize)
            .map(|_| DataTypeRef::new(self, id))
    }

    /// All named data types, in document order.
    pub fn data_types(&self) -> impl ExactSizeIterator<Item = DataTypeRef<'_>> + '_ {
        (0..self.data_types.len() as u32).map(|i| DataTypeRef::new(self, DataTypeId(i)))
    }
}

#[cfg(test)]
mod tests;
