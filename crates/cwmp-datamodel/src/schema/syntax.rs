//! Parameter syntax: the built-in base type, facets (size, range,
//! enumeration, pattern, units, list, references) and their inheritance.

use std::sync::Arc;

use roxmltree::Node;
use serde::{Deserialize, Serialize};

use super::xml::{NodeResult, attr_bool, attr_enum, attr_max, attr_parse, bad, elements, tag};
use super::{DataTypeId, Status};

/// Index of a [`Syntax`] in its schema ([`crate::Schema::syntax`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SyntaxId(pub(crate) u32);

/// The built-in (XML Schema) type a parameter's value has on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BaseType {
    /// `xsd:string`.
    String,
    /// `xsd:int` (32-bit signed).
    Int,
    /// `xsd:unsignedInt` (32-bit unsigned).
    UnsignedInt,
    /// `xsd:long` (64-bit signed).
    Long,
    /// `xsd:unsignedLong` (64-bit unsigned).
    UnsignedLong,
    /// `xsd:boolean`.
    Boolean,
    /// `xsd:dateTime`.
    DateTime,
    /// `xsd:base64Binary`.
    Base64,
    /// `xsd:hexBinary`.
    HexBinary,
    /// `xsd:decimal`.
    Decimal,
}

impl BaseType {
    /// Maps a data-model element name (`string`, `unsignedInt`...) to a base type.
    pub fn from_element(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "int" => Self::Int,
            "unsignedInt" => Self::UnsignedInt,
            "long" => Self::Long,
            "unsignedLong" => Self::UnsignedLong,
            "boolean" => Self::Boolean,
            "dateTime" => Self::DateTime,
            "base64" => Self::Base64,
            "hexBinary" => Self::HexBinary,
            "decimal" => Self::Decimal,
            _ => return None,
        })
    }

    /// The CWMP `xsi:type` name, e.g. `xsd:unsignedInt`, `xsd:base64`.
    pub fn xsd_type(self) -> &'static str {
        match self {
            Self::String => "xsd:string",
            Self::Int => "xsd:int",
            Self::UnsignedInt => "xsd:unsignedInt",
            Self::Long => "xsd:long",
            Self::UnsignedLong => "xsd:unsignedLong",
            Self::Boolean => "xsd:boolean",
            Self::DateTime => "xsd:dateTime",
            Self::Base64 => "xsd:base64",
            Self::HexBinary => "xsd:hexBinary",
            Self::Decimal => "xsd:decimal",
        }
    }

    /// True for the integer types (which take `range` facets).
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Self::Int | Self::UnsignedInt | Self::Long | Self::UnsignedLong
        )
    }

    /// True for types with a length (`size` facets): string, base64, hexBinary.
    pub fn has_length(self) -> bool {
        matches!(self, Self::String | Self::Base64 | Self::HexBinary)
    }

    /// The null value (TR-106 A.2.3.5) returned for hidden/secured/command parameters.
    pub fn null_value(self) -> &'static str {
        match self {
            Self::String | Self::Base64 | Self::HexBinary => "",
            Self::Boolean => "false",
            Self::DateTime => "0001-01-01T00:00:00Z",
            _ => "0",
        }
    }
}

/// Whether an enumeration or pattern value may be written or only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FacetAccess {
    /// Only reported by the CPE (e.g. `Error` in `DiagnosticsState`).
    ReadOnly,
    /// May be set by the ACS (the default).
    ReadWrite,
}

/// One allowed length range (string/base64/hexBinary, or a whole list value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SizeRange {
    /// `minLength` (default 0).
    pub min: u32,
    /// `maxLength`; `None` if absent (no limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
}

/// One allowed integer range, with step (default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntRange {
    /// `minInclusive`; `None` means the type's minimum.
    pub min: Option<i128>,
    /// `maxInclusive`; `None` means the type's maximum.
    pub max: Option<i128>,
    /// `step` (default 1).
    pub step: u64,
}

/// One allowed decimal range; bounds are kept as written in the XML.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DecimalRange {
    /// `minInclusive` text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Box<str>>,
    /// `maxInclusive` text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Box<str>>,
    /// `step` text, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Box<str>>,
}

/// An `enumeration` or `pattern` facet value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueFacet {
    /// The value (or regular expression, for patterns).
    pub value: Box<str>,
    /// Whether the ACS may write this value.
    pub access: FacetAccess,
    /// Whether a CPE may leave this value out.
    pub optional: bool,
    /// Facet status.
    pub status: Status,
    /// Numeric `code` (enumerations only, rarely used).
    pub code: Option<i64>,
}

/// How nested lists are written (TR-106 section 3.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NestedBrackets {
    /// Inner commas must be escaped.
    Legacy,
    /// Brackets may be used.
    Permitted,
    /// Brackets must be used.
    Required,
}

/// A `<list>` facet: the value is a comma-separated list of items of the base type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListFacet {
    /// `minItems` (default 0).
    pub min_items: u32,
    /// `maxItems`; `None` is unbounded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Size ranges of the whole list string.
    pub sizes: Box<[SizeRange]>,
    /// Nested list syntax.
    pub nested_brackets: NestedBrackets,
}

/// Strong or weak reference (TR-106 A.2.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RefType {
    /// Cleared when the target is deleted.
    Strong,
    /// Left dangling when the target is deleted.
    Weak,
}

/// The point relative to which a reference target is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PathScope {
    /// Relative to the root, or to the current object if starting with `#`.
    Normal,
    /// Relative to the model root.
    Model,
    /// Relative to the current object.
    Object,
}

/// The kind of item a `pathRef` may reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    /// Anything.
    Any,
    /// A parameter.
    Parameter,
    /// Any object.
    Object,
    /// A single-instance object.
    Single,
    /// A table.
    Table,
    /// A table row.
    Row,
}

/// A `pathRef` facet: the value is a path (or list of paths) to other items.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PathRef {
    /// Strong or weak.
    pub ref_type: RefType,
    /// `targetParent` patterns (empty: anywhere).
    pub target_parents: Box<[Box<str>]>,
    /// Scope of `target_parents`.
    pub scope: PathScope,
    /// Kind of target.
    pub target_type: TargetType,
    /// `targetDataType` when not `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_data_type: Option<Box<str>>,
}

/// An `instanceRef` facet: the value is the instance number of a row of `target_parent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceRef {
    /// Strong or weak.
    pub ref_type: RefType,
    /// The referenced table.
    pub target_parent: Box<str>,
    /// Scope of `target_parent`.
    pub scope: PathScope,
}

/// An `enumerationRef` facet: valid values come from another (list) parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EnumerationRef {
    /// The parameter holding the allowed values.
    pub target_param: Box<str>,
    /// Scope of `target_param`.
    pub scope: PathScope,
    /// Value meaning "none", if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_value: Option<Box<str>>,
}

/// Kind of a parameter default value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DefaultKind {
    /// Factory default (also applies on object creation).
    Factory,
    /// Value on object creation (`AddObject`).
    Object,
    /// Informational implementation default.
    Implementation,
}

/// A fully resolved syntax: data-type inheritance and parameter refinements
/// are already merged. Shared by all parameters with identical syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Syntax {
    /// Built-in type (of each item, for lists; lists are strings on the wire).
    pub base: BaseType,
    /// The most derived named data type, if any.
    pub data_type: Option<DataTypeId>,
    /// Present if the value is a comma-separated list.
    pub list: Option<ListFacet>,
    /// For a list of lists: the list facet of each item (from its data type).
    pub item_list: Option<ListFacet>,
    /// Allowed lengths (any one range matches); empty: unrestricted.
    pub sizes: Box<[SizeRange]>,
    /// Allowed integer ranges (any one matches); empty: the type's full range.
    pub ranges: Box<[IntRange]>,
    /// Allowed decimal ranges.
    pub decimal_ranges: Box<[DecimalRange]>,
    /// Allowed values; empty: unrestricted.
    pub enumerations: Arc<[ValueFacet]>,
    /// Allowed patterns (any one matches); empty: unrestricted.
    pub patterns: Arc<[ValueFacet]>,
    /// Units, e.g. `seconds`.
    pub units: Option<Box<str>>,
    /// Path reference facet.
    pub path_ref: Option<PathRef>,
    /// Instance-number reference facet.
    pub instance_ref: Option<InstanceRef>,
    /// Enumeration taken from another parameter.
    pub enumeration_ref: Option<EnumerationRef>,
    /// Always reads back as the null value.
    pub hidden: bool,
    /// Reads back as the null value (passwords, keys): an empty string for strings.
    pub secured: bool,
    /// Setting it triggers an action; reads back as the null value.
    pub command: bool,
}

impl Syntax {
    /// An unrestricted syntax of the given built-in type.
    pub fn builtin(base: BaseType) -> Self {
        Syntax {
            base,
            data_type: None,
            list: None,
            item_list: None,
            sizes: Box::default(),
            ranges: Box::default(),
            decimal_ranges: Box::default(),
            enumerations: Arc::from(Vec::new()),
            patterns: Arc::from(Vec::new()),
            units: None,
            path_ref: None,
            instance_ref: None,
            enumeration_ref: None,
            hidden: false,
            secured: false,
            command: false,
        }
    }

    /// True if the value reads back as the null value (hidden, secured or command).
    pub fn reads_as_null(&self) -> bool {
        self.hidden || self.secured || self.command
    }

    /// True if `value` is one of the enumerated values (or there are none).
    pub fn allows_enum_value(&self, value: &str) -> bool {
        self.enumerations.is_empty() || self.enumerations.iter().any(|e| &*e.value == value)
    }

    /// Applies refining facets: enumerations are added (same value: replaced),
    /// every other facet kind given in `f` replaces the inherited one.
    pub(crate) fn refine(&mut self, f: Facets) {
        if !f.sizes.is_empty() {
            self.sizes = f.sizes.into();
        }
        if !f.ranges.is_empty() {
            self.ranges = f.ranges.into();
        }
        if !f.decimal_ranges.is_empty() {
            self.decimal_ranges = f.decimal_ranges.into();
        }
        if !f.enumerations.is_empty() {
            let mut all: Vec<ValueFacet> = self.enumerations.to_vec();
            for e in f.enumerations {
                match all.iter_mut().find(|x| x.value == e.value) {
                    Some(x) => *x = e,
                    None => all.push(e),
                }
            }
            self.enumerations = all.into();
        }
        if !f.patterns.is_empty() {
            self.patterns = f.patterns.into();
        }
        if f.units.is_some() {
            self.units = f.units;
        }
        if f.path_ref.is_some() {
            self.path_ref = f.path_ref;
        }
        if f.instance_ref.is_some() {
            self.instance_ref = f.instance_ref;
        }
        if f.enumeration_ref.is_some() {
            self.enumeration_ref = f.enumeration_ref;
        }
    }

    /// Sets the list facet; if the item type already is a list, it becomes `item_list`.
    pub(crate) fn set_list(&mut self, list: ListFacet) {
        if let Some(inner) = self.list.take() {
            if self.item_list.is_none() {
                self.item_list = Some(inner);
            }
        }
        self.list = Some(list);
    }
}

/// Facets read from one element, before merging.
#[derive(Debug, Default)]
pub(crate) struct Facets {
    sizes: Vec<SizeRange>,
    ranges: Vec<IntRange>,
    decimal_ranges: Vec<DecimalRange>,
    enumerations: Vec<ValueFacet>,
    patterns: Vec<ValueFacet>,
    units: Option<Box<str>>,
    path_ref: Option<PathRef>,
    instance_ref: Option<InstanceRef>,
    enumeration_ref: Option<EnumerationRef>,
}

fn scope(v: &str) -> Option<PathScope> {
    Some(match v {
        "normal" => PathScope::Normal,
        "model" => PathScope::Model,
        "object" => PathScope::Object,
        _ => return None,
    })
}

fn ref_type<'a, 'i>(n: Node<'a, 'i>) -> NodeResult<'a, 'i, RefType> {
    attr_enum(n, "refType", |v| match v {
        "strong" => Some(RefType::Strong),
        "weak" => Some(RefType::Weak),
        _ => None,
    })?
    .ok_or_else(|| bad(n, "missing refType"))
}

fn size<'a, 'i>(n: Node<'a, 'i>) -> NodeResult<'a, 'i, SizeRange> {
    Ok(SizeRange {
        min: attr_parse(n, "minLength")?.unwrap_or(0),
        max: attr_parse(n, "maxLength")?,
    })
}

fn value_facet<'a, 'i>(n: Node<'a, 'i>) -> NodeResult<'a, 'i, ValueFacet> {
    let value = n
        .attribute("value")
        .ok_or_else(|| bad(n, "missing value attribute"))?;
    Ok(ValueFacet {
        value: value.into(),
        access: attr_enum(n, "access", |v| match v {
            "readOnly" => Some(FacetAccess::ReadOnly),
            "readWrite" => Some(FacetAccess::ReadWrite),
            _ => None,
        })?
        .unwrap_or(FacetAccess::ReadWrite),
        optional: attr_bool(n, "optional")?.unwrap_or(false),
        status: attr_enum(n, "status", Status::from_xml)?.unwrap_or_default(),
        code: attr_parse(n, "code")?,
    })
}

/// Reads the facet children of `node` (a built-in type element, a
/// `<dataType base=...>` element or a derived data type definition).
pub(crate) fn parse_facets<'a, 'i>(
    node: Node<'a, 'i>,
    base: BaseType,
) -> NodeResult<'a, 'i, Facets> {
    let mut f = Facets::default();
    for n in elements(node) {
        match tag(n) {
            "size" => f.sizes.push(size(n)?),
            "range" if base == BaseType::Decimal => f.decimal_ranges.push(decimal_range(n)),
            "decimalRange" => f.decimal_ranges.push(decimal_range(n)),
            "range" => {
                let min: Option<i128> = attr_parse(n, "minInclusive")?;
                let max: Option<i128> = attr_parse(n, "maxInclusive")?;
                let step: u64 = attr_parse(n, "step")?.unwrap_or(1);
                if step == 0 {
                    return Err(bad(n, "range step must be positive"));
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return Err(bad(
                            n,
                            format!("range minInclusive {lo} > maxInclusive {hi}"),
                        ));
                    }
                }
                f.ranges.push(IntRange { min, max, step });
            }
            "enumeration" => f.enumerations.push(value_facet(n)?),
            "pattern" => f.patterns.push(value_facet(n)?),
            "units" => {
                let v = n
                    .attribute("value")
                    .ok_or_else(|| bad(n, "missing value"))?;
                f.units = Some(v.into());
            }
            "pathRef" => {
                f.path_ref = Some(PathRef {
                    ref_type: ref_type(n)?,
                    target_parents: n
                        .attribute("targetParent")
                        .unwrap_or("")
                        .split_whitespace()
                        .map(Box::from)
                        .collect(),
                    scope: attr_enum(n, "targetParentScope", scope)?.unwrap_or(PathScope::Normal),
                    target_type: attr_enum(n, "targetType", |v| {
                        Some(match v {
                            "any" => TargetType::Any,
                            "parameter" => TargetType::Parameter,
                            "object" => TargetType::Object,
                            "single" => TargetType::Single,
                            "table" => TargetType::Table,
                            "row" => TargetType::Row,
                            _ => return None,
                        })
                    })?
                    .unwrap_or(TargetType::Any),
                    target_data_type: n
                        .attribute("targetDataType")
                        .filter(|v| *v != "any")
                        .map(Box::from),
                });
            }
            "instanceRef" => {
                f.instance_ref = Some(InstanceRef {
                    ref_type: ref_type(n)?,
                    target_parent: n
                        .attribute("targetParent")
                        .ok_or_else(|| bad(n, "missing targetParent"))?
                        .into(),
                    scope: attr_enum(n, "targetParentScope", scope)?.unwrap_or(PathScope::Normal),
                });
            }
            "enumerationRef" => {
                f.enumeration_ref = Some(EnumerationRef {
                    target_param: n
                        .attribute("targetParam")
                        .ok_or_else(|| bad(n, "missing targetParam"))?
                        .into(),
                    scope: attr_enum(n, "targetParamScope", scope)?.unwrap_or(PathScope::Normal),
                    null_value: n.attribute("nullValue").map(Box::from),
                });
            }
            _ => {}
        }
    }
    Ok(f)
}

fn decimal_range(n: Node<'_, '_>) -> DecimalRange {
    DecimalRange {
        min: n.attribute("minInclusive").map(Box::from),
        max: n.attribute("maxInclusive").map(Box::from),
        step: n.attribute("step").map(Box::from),
    }
}

/// Reads a `<list>` element.
pub(crate) fn parse_list<'a, 'i>(n: Node<'a, 'i>) -> NodeResult<'a, 'i, ListFacet> {
    let mut sizes = Vec::new();
    for s in elements(n).filter(|s| tag(*s) == "size") {
        // `<size/>` with no bounds says nothing.
        if s.attribute("minLength").is_some() || s.attribute("maxLength").is_some() {
            sizes.push(size(s)?);
        }
    }
    Ok(ListFacet {
        min_items: attr_parse(n, "minItems")?.unwrap_or(0),
        max_items: attr_max(n, "maxItems")?.unwrap_or(None),
        sizes: sizes.into(),
        nested_brackets: attr_enum(n, "nestedBrackets", |v| {
            Some(match v {
                "legacy" => NestedBrackets::Legacy,
                "permitted" => NestedBrackets::Permitted,
                "required" => NestedBrackets::Required,
                _ => return None,
            })
        })?
        .unwrap_or(NestedBrackets::Legacy),
    })
}

/// Reads a `<default>` element of a parameter syntax.
pub(crate) fn parse_default<'a, 'i>(n: Node<'a, 'i>) -> NodeResult<'a, 'i, (DefaultKind, &'a str)> {
    let kind = attr_enum(n, "type", |v| {
        Some(match v {
            "factory" => DefaultKind::Factory,
            "object" => DefaultKind::Object,
            "implementation" => DefaultKind::Implementation,
            _ => return None,
        })
    })?
    // Old documents sometimes omit the type; "object" is the common case.
    .unwrap_or(DefaultKind::Object);
    let value = n
        .attribute("value")
        .ok_or_else(|| bad(n, "default without value"))?;
    Ok((kind, value))
}
