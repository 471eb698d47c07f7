//! Borrowed views (`ObjectRef`, `ParamRef`, `DataTypeRef`) over a [`Schema`].

use super::strings::Sym;
use super::syntax::{DefaultKind, Syntax, SyntaxId};
use super::{
    ActiveNotify, DataType, DataTypeId, Object, ObjectAccess, ObjectId, ParamAccess, ParamId,
    Parameter, Schema, Status, Version,
};

/// A schema object (single-instance object or table row template).
#[derive(Clone, Copy)]
pub struct ObjectRef<'a> {
    schema: &'a Schema,
    id: ObjectId,
}

/// A schema parameter.
#[derive(Clone, Copy)]
pub struct ParamRef<'a> {
    schema: &'a Schema,
    id: ParamId,
}

/// A named data type.
#[derive(Clone, Copy)]
pub struct DataTypeRef<'a> {
    schema: &'a Schema,
    id: DataTypeId,
}

/// An object or a parameter.
#[derive(Debug, Clone, Copy)]
pub enum NodeRef<'a> {
    /// An object.
    Object(ObjectRef<'a>),
    /// A parameter.
    Parameter(ParamRef<'a>),
}

/// What an instance path resolves to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An object (instance), e.g. `Device.IP.Interface.3.`.
    Object(ObjectRef<'a>),
    /// A table itself, without instance number, e.g. `Device.IP.Interface.`
    /// (the object is the `{i}.` row template).
    Table(ObjectRef<'a>),
    /// A parameter.
    Parameter(ParamRef<'a>),
}

/// One unique key of a table: a set of parameter names.
#[derive(Clone, Copy)]
pub struct UniqueKeyRef<'a> {
    schema: &'a Schema,
    functional: bool,
    params: &'a [Sym],
}

/// A parameter default value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultValue<'a> {
    /// Factory, object-creation or implementation default.
    pub kind: DefaultKind,
    /// The value as text.
    pub value: &'a str,
}

impl<'a> ObjectRef<'a> {
    pub(crate) fn new(schema: &'a Schema, id: ObjectId) -> Self {
        ObjectRef { schema, id }
    }

    fn data(&self) -> &'a Object {
        &self.schema.objects[self.id.0 as usize]
    }

    /// The object's id.
    pub fn id(&self) -> ObjectId {
        self.id
    }

    /// Full schema path, e.g. `Device.IP.Interface.{i}.`.
    pub fn path(&self) -> &'a str {
        self.schema.strings.get(self.data().path)
    }

    /// Last name segment, e.g. `Interface` for `Device.IP.Interface.{i}.`.
    pub fn name(&self) -> &'a str {
        let p = self.path();
        let p = p.strip_suffix('.').unwrap_or(p);
        let p = p.strip_suffix(".{i}").unwrap_or(p);
        p.rsplit('.').next().unwrap_or(p)
    }

    /// For a table, the path without the trailing `{i}.` (`Device.IP.Interface.`).
    pub fn table_path(&self) -> Option<&'a str> {
        self.path().strip_suffix("{i}.")
    }

    /// True for tables (path ends with `{i}.`).
    pub fn is_multi_instance(&self) -> bool {
        self.path().ends_with("{i}.")
    }

    /// Number of `{i}` placeholders in the path (instance numbers needed).
    pub fn depth(&self) -> usize {
        self.path().matches("{i}").count()
    }

    /// Access: `ReadWrite` on a table means AddObject/DeleteObject are allowed.
    pub fn access(&self) -> ObjectAccess {
        self.data().access
    }

    /// `minEntries` (default 1).
    pub fn min_entries(&self) -> u32 {
        self.data().min_entries
    }

    /// `maxEntries`; `None` is unbounded.
    pub fn max_entries(&self) -> Option<u32> {
        self.data().max_entries
    }

    /// Name of the parent's parameter counting this table's entries.
    pub fn num_entries_parameter(&self) -> Option<&'a str> {
        self.data().num_entries.map(|s| self.schema.strings.get(s))
    }

    /// The parent's parameter counting this table's entries, if it exists.
    pub fn num_entries_param(&self) -> Option<ParamRef<'a>> {
        self.parent()?.parameter(self.num_entries_parameter()?)
    }

    /// Name of this table's enable parameter.
    pub fn enable_parameter(&self) -> Option<&'a str> {
        self.data().enable.map(|s| self.schema.strings.get(s))
    }

    /// Unique keys (for tables).
    pub fn unique_keys(&self) -> impl ExactSizeIterator<Item = UniqueKeyRef<'a>> + 'a {
        let schema = self.schema;
        self.data().unique_keys.iter().map(move |k| UniqueKeyRef {
            schema,
            functional: k.functional,
            params: &k.params,
        })
    }

    /// Status.
    pub fn status(&self) -> Status {
        self.data().status
    }

    /// Version that introduced the object (inherited from the parent if not given).
    pub fn version(&self) -> Option<Version> {
        self.data().version
    }

    /// Description (only with [`super::LoadOptions::keep_descriptions`]).
    pub fn description(&self) -> Option<&'a str> {
        self.data().description.as_deref()
    }

    /// The parent object.
    pub fn parent(&self) -> Option<ObjectRef<'a>> {
        self.data().parent.map(|id| ObjectRef::new(self.schema, id))
    }

    /// The object's parameters in document order.
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = ParamRef<'a>> + 'a {
        let schema = self.schema;
        let (start, end) = self.data().params;
        (start..end).map(move |i| ParamRef::new(schema, ParamId(i)))
    }

    /// The parameter called `name` (binary search).
    pub fn parameter(&self, name: &str) -> Option<ParamRef<'a>> {
        let s = self.schema;
        let (start, end) = self.data().params;
        let slice = s.params_by_name.get(start as usize..end as usize)?;
        let i = slice
            .binary_search_by(|id| s.strings.get(s.params[id.0 as usize].name).cmp(name))
            .ok()?;
        Some(ParamRef::new(s, slice[i]))
    }

    /// Child objects (next level), in document order.
    pub fn child_objects(&self) -> impl ExactSizeIterator<Item = ObjectRef<'a>> + 'a {
        let schema = self.schema;
        self.data()
            .children
            .iter()
            .map(move |&id| ObjectRef::new(schema, id))
    }

    /// Next level: parameters, then child objects.
    pub fn children(&self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        self.parameters()
            .map(NodeRef::Parameter)
            .chain(self.child_objects().map(NodeRef::Object))
    }
}

impl<'a> ParamRef<'a> {
    pub(crate) fn new(schema: &'a Schema, id: ParamId) -> Self {
        ParamRef { schema, id }
    }

    fn data(&self) -> &'a Parameter {
        &self.schema.params[self.id.0 as usize]
    }

    /// The parameter's id.
    pub fn id(&self) -> ParamId {
        self.id
    }

    /// Name within its object, e.g. `Enable`.
    pub fn name(&self) -> &'a str {
        self.schema.strings.get(self.data().name)
    }

    /// Full schema path, e.g. `Device.IP.Interface.{i}.Enable`.
    pub fn path(&self) -> String {
        let obj = self.object().path();
        let name = self.name();
        let mut s = String::with_capacity(obj.len() + name.len());
        s.push_str(obj);
        s.push_str(name);
        s
    }

    /// The owning object.
    pub fn object(&self) -> ObjectRef<'a> {
        ObjectRef::new(self.schema, self.data().object)
    }

    /// Access.
    pub fn access(&self) -> ParamAccess {
        self.data().access
    }

    /// True if the ACS may set it.
    pub fn is_writable(&self) -> bool {
        self.data().access.is_writable()
    }

    /// Active notification support.
    pub fn active_notify(&self) -> ActiveNotify {
        self.data().active_notify
    }

    /// True if the CPE must include it in every Inform.
    pub fn forced_inform(&self) -> bool {
        self.data().forced_inform
    }

    /// Status.
    pub fn status(&self) -> Status {
        self.data().status
    }

    /// Version that introduced it (inherited from the object if not given).
    pub fn version(&self) -> Option<Version> {
        self.data().version
    }

    /// Resolved syntax (type and facets).
    pub fn syntax(&self) -> &'a Syntax {
        &self.schema.syntaxes[self.data().syntax.0 as usize]
    }

    /// Id of the resolved syntax (equal ids: identical syntax).
    pub fn syntax_id(&self) -> SyntaxId {
        self.data().syntax
    }

    /// The named data type, if the syntax uses one.
    pub fn data_type(&self) -> Option<DataTypeRef<'a>> {
        self.syntax()
            .data_type
            .map(|id| DataTypeRef::new(self.schema, id))
    }

    /// Default value, if the model gives one.
    pub fn default(&self) -> Option<DefaultValue<'a>> {
        self.data().default.map(|(kind, v)| DefaultValue {
            kind,
            value: self.schema.strings.get(v),
        })
    }

    /// Description (only with [`super::LoadOptions::keep_descriptions`]).
    pub fn description(&self) -> Option<&'a str> {
        self.data().description.as_deref()
    }
}

impl<'a> DataTypeRef<'a> {
    pub(crate) fn new(schema: &'a Schema, id: DataTypeId) -> Self {
        DataTypeRef { schema, id }
    }

    fn data(&self) -> &'a DataType {
        &self.schema.data_types[self.id.0 as usize]
    }

    /// The data type's id.
    pub fn id(&self) -> DataTypeId {
        self.id
    }

    /// Name, e.g. `IPv4Address`.
    pub fn name(&self) -> &'a str {
        &self.data().name
    }

    /// The data type it derives from (`IPv4Address` → `IPAddress`).
    pub fn base(&self) -> Option<DataTypeRef<'a>> {
        self.data().base.map(|id| DataTypeRef::new(self.schema, id))
    }

    /// Resolved syntax (inherited facets merged).
    pub fn syntax(&self) -> &'a Syntax {
        &self.schema.syntaxes[self.data().syntax.0 as usize]
    }

    /// Status.
    pub fn status(&self) -> Status {
        self.data().status
    }

    /// Description (only with [`super::LoadOptions::keep_descriptions`]).
    pub fn description(&self) -> Option<&'a str> {
        self.data().description.as_deref()
    }
}

impl<'a> UniqueKeyRef<'a> {
    /// True for a functional key (false for e.g. `Alias`).
    pub fn functional(&self) -> bool {
        self.functional
    }

    /// Names of the key's parameters.
    pub fn parameters(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let strings = &self.schema.strings;
        self.params.iter().map(move |&s| strings.get(s))
    }
}

impl<'a> NodeRef<'a> {
    /// Full schema path.
    pub fn path(&self) -> String {
        match self {
            NodeRef::Object(o) => o.path().to_owned(),
            NodeRef::Parameter(p) => p.path(),
        }
    }
}

impl std::fmt::Debug for ObjectRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectRef({})", self.path())
    }
}

impl std::fmt::Debug for ParamRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParamRef({}{})", self.object().path(), self.name())
    }
}

impl std::fmt::Debug for DataTypeRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataTypeRef({})", self.name())
    }
}

impl std::fmt::Debug for UniqueKeyRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniqueKey")
            .field("functional", &self.functional)
            .field("parameters", &self.parameters().collect::<Vec<_>>())
            .finish()
    }
}
