//! The lines of a compact schema file, as serde types.
//!
//! Defaults are left out so that the common case stays short: an enumeration value that is
//! read-write, mandatory and current is a bare string, a read-only current parameter without
//! a default is `{"k":"param","name":…,"syntax":…}`.

use serde::{Deserialize, Serialize};

use crate::schema::syntax::{
    BaseType, DecimalRange, DefaultKind, EnumerationRef, FacetAccess, InstanceRef, IntRange,
    ListFacet, PathRef, SizeRange, ValueFacet,
};
use crate::schema::{ActiveNotify, ObjectAccess, ParamAccess, Status};

/// Version of the format written in the header; a reader refuses any other.
pub(crate) const FORMAT: u32 = 1;

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum Line {
    /// First line: format and model.
    Schema(Header),
    /// A resolved syntax; its index is its order among syntax lines.
    Syntax(Box<SyntaxLine>),
    /// A named data type; its index is its order among type lines.
    Type(TypeLine),
    /// An object; the parameter lines that follow belong to it.
    Object(ObjectLine),
    /// A parameter of the last object.
    Param(ParamLine),
}

/// The header line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub format: u32,
    pub model: Box<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Box<str>>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_current(s: &Status) -> bool {
    *s == Status::Current
}

fn is_empty<T>(v: &[T]) -> bool {
    v.is_empty()
}

/// An enumeration or pattern value: a bare string in the common case.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Facet {
    /// Read-write, mandatory, current, no code.
    Plain(Box<str>),
    /// Anything else.
    Full {
        value: Box<str>,
        #[serde(default, skip_serializing_if = "is_false")]
        read_only: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        optional: bool,
        #[serde(default, skip_serializing_if = "is_current")]
        status: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i64>,
    },
}

impl From<&ValueFacet> for Facet {
    fn from(f: &ValueFacet) -> Self {
        let plain = f.access == FacetAccess::ReadWrite
            && !f.optional
            && f.status == Status::Current
            && f.code.is_none();
        if plain {
            Facet::Plain(f.value.clone())
        } else {
            Facet::Full {
                value: f.value.clone(),
                read_only: f.access == FacetAccess::ReadOnly,
                optional: f.optional,
                status: f.status,
                code: f.code,
            }
        }
    }
}

impl From<Facet> for ValueFacet {
    fn from(f: Facet) -> Self {
        match f {
            Facet::Plain(value) => ValueFacet {
                value,
                access: FacetAccess::ReadWrite,
                optional: false,
                status: Status::Current,
                code: None,
            },
            Facet::Full {
                value,
                read_only,
                optional,
                status,
                code,
            } => ValueFacet {
                value,
                access: if read_only {
                    FacetAccess::ReadOnly
                } else {
                    FacetAccess::ReadWrite
                },
                optional,
                status,
                code,
            },
        }
    }
}

/// A syntax line: [`crate::Syntax`] with defaults left out.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyntaxLine {
    pub base: BaseType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListFacet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_list: Option<ListFacet>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub sizes: Vec<SizeRange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub decimal_ranges: Vec<DecimalRange>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub enumerations: Vec<Facet>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub patterns: Vec<Facet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<Box<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_ref: Option<PathRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_ref: Option<InstanceRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enumeration_ref: Option<EnumerationRef>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub hidden: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub secured: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub command: bool,
}

/// A named data type.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TypeLine {
    pub name: Box<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<u32>,
    pub syntax: u32,
    #[serde(default, skip_serializing_if = "is_current")]
    pub status: Status,
}

/// A unique key of a table.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyLine {
    #[serde(default, skip_serializing_if = "is_false")]
    pub functional: bool,
    pub params: Vec<Box<str>>,
}

fn is_read_only(a: &ObjectAccess) -> bool {
    *a == ObjectAccess::ReadOnly
}

fn default_read_only() -> ObjectAccess {
    ObjectAccess::ReadOnly
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn one() -> u32 {
    1
}

/// `maxEntries`: `null` is unbounded; the field is left out when it is 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct MaxEntries(pub Option<u32>);

impl Default for MaxEntries {
    fn default() -> Self {
        MaxEntries(Some(1))
    }
}

fn is_single(m: &MaxEntries) -> bool {
    m.0 == Some(1)
}

/// An object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ObjectLine {
    pub path: Box<str>,
    #[serde(default = "default_read_only", skip_serializing_if = "is_read_only")]
    pub access: ObjectAccess,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min: u32,
    #[serde(default, skip_serializing_if = "is_single")]
    pub max: MaxEntries,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_entries: Option<Box<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<Box<str>>,
    #[serde(default, skip_serializing_if = "is_empty")]
    pub keys: Vec<KeyLine>,
    #[serde(default, skip_serializing_if = "is_current")]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Box<str>>,
}

fn is_param_read_only(a: &ParamAccess) -> bool {
    *a == ParamAccess::ReadOnly
}

fn default_param_read_only() -> ParamAccess {
    ParamAccess::ReadOnly
}

fn is_normal(n: &ActiveNotify) -> bool {
    *n == ActiveNotify::Normal
}

/// A parameter of the preceding object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParamLine {
    pub name: Box<str>,
    pub syntax: u32,
    #[serde(
        default = "default_param_read_only",
        skip_serializing_if = "is_param_read_only"
    )]
    pub access: ParamAccess,
    #[serde(default, skip_serializing_if = "is_normal")]
    pub notify: ActiveNotify,
    #[serde(default, skip_serializing_if = "is_false")]
    pub forced: bool,
    #[serde(default, skip_serializing_if = "is_current")]
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Box<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<(DefaultKind, Box<str>)>,
}

/// An integer bound: JSON numbers are at most 64 bits in serde_json, so a bound is written as
/// an `i64`, above it a `u64` (the bounds of `unsignedLong`), and beyond both as a string.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Bound {
    /// Fits an `i64`.
    Signed(i64),
    /// Above `i64::MAX`.
    Unsigned(u64),
    /// Outside both (no Broadband Forum type has such a bound, but the XML allows it).
    Text(Box<str>),
}

impl Bound {
    fn of(v: i128) -> Bound {
        match (i64::try_from(v), u64::try_from(v)) {
            (Ok(i), _) => Bound::Signed(i),
            (_, Ok(u)) => Bound::Unsigned(u),
            _ => Bound::Text(v.to_string().into()),
        }
    }

    fn value(&self) -> Result<i128, String> {
        match self {
            Bound::Signed(v) => Ok(i128::from(*v)),
            Bound::Unsigned(v) => Ok(i128::from(*v)),
            Bound::Text(t) => t.parse().map_err(|_| format!("bad range bound {t:?}")),
        }
    }
}

fn is_step_one(s: &u64) -> bool {
    *s == 1
}

fn step_one() -> u64 {
    1
}

/// An integer range ([`IntRange`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Bound>,
    #[serde(default = "step_one", skip_serializing_if = "is_step_one")]
    pub step: u64,
}

impl Range {
    /// The wire form of `r`.
    pub(crate) fn of(r: &IntRange) -> Range {
        Range {
            min: r.min.map(Bound::of),
            max: r.max.map(Bound::of),
            step: r.step,
        }
    }

    /// Back to an [`IntRange`]; a zero step is refused like the XML loader does.
    pub(crate) fn range(&self) -> Result<IntRange, String> {
        let min = self.min.as_ref().map(Bound::value).transpose()?;
        let max = self.max.as_ref().map(Bound::value).transpose()?;
        if self.step == 0 {
            return Err("range step must be positive".into());
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(format!("range min {lo} > max {hi}"));
            }
        }
        Ok(IntRange {
            min,
            max,
            step: self.step,
        })
    }
}
