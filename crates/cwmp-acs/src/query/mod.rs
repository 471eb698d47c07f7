//! Device queries: GenieACS (MongoDB-style) JSON or a GenieACS expression ([`expression`])
//! parsed into a [`Query`] tree, shared by `GET /devices` (translated to SQL by the store)
//! and preset preconditions (evaluated in memory by [`Query::matches`]). [`parse_text`]
//! takes either form: text starting with `{` is JSON, anything else an expression. Both
//! evaluators follow the rules below (and those of [`expression`]), and a test checks that
//! they agree.
//!
//! Fields: `_id` (also `DeviceID.ID`), `_tags`, `_deviceId._Manufacturer` / `_OUI` /
//! `_ProductClass` / `_SerialNumber` (also `DeviceID.Manufacturer`, …), `_lastInform` and
//! `_registered` (Unix milliseconds), and any parameter path (`<path>` or `<path>._value`).
//!
//! Operators: a plain value or `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$nin`,
//! `$exists`, `$regex` (Rust `regex` syntax, with `$options: "i"`), `$not` on a field, and
//! `$and`, `$or`, `$nor`, `$not` on queries. Several operators on one field must all hold.
//!
//! Semantics: equality compares text (a number query value by its JSON text, a boolean as
//! `true`/`false`), except on the two times, which compare numbers. Ordering with a number
//! compares numerically and matches only numeric parameters (`int`, `unsignedInt`, `long`,
//! `unsignedLong`) and the times; with a string it compares text bytewise. `_tags` matches
//! when any tag does; `$ne`/`$nin`/`$not` are the negations, so they also match devices
//! without the field, as in MongoDB. `$exists` on `_tags` means "has at least one tag".

mod date;
mod eval;
pub mod expression;
mod parse;
mod precondition;
mod sort;
mod term;

use std::fmt;

pub use date::date_millis;
pub use eval::DeviceView;
pub use expression::{ExpressionError, parse_expression};
pub use parse::{Limits, parse};
pub use precondition::parse_precondition;
pub use sort::{SortKey, parse_sort};
pub use term::{ArithOp, CmpOp, Func, Literal, Term, Typed};

/// A query that cannot be parsed; the message says what and where (answered as HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query: {0}")]
pub struct QueryError(pub String);

/// A parsed device query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Every part holds (an empty list: every device).
    And(Vec<Query>),
    /// At least one part holds (an empty list: no device).
    Or(Vec<Query>),
    /// The inner query does not hold.
    Not(Box<Query>),
    /// A condition on one field.
    Cond(Field, Cond),
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The device id.
    Id,
    /// The tags (any of them).
    Tags,
    /// An identity field from the Inform's `DeviceId`.
    Identity(IdentityField),
    /// Time of the last Inform (Unix ms).
    LastInform,
    /// Time the device was first seen (Unix ms).
    Registered,
    /// The value of the parameter at this path.
    Param(String),
}

/// The fields of an Inform's `DeviceIdStruct`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityField {
    /// `Manufacturer`.
    Manufacturer,
    /// `OUI`.
    Oui,
    /// `ProductClass`.
    ProductClass,
    /// `SerialNumber`.
    SerialNumber,
}

impl Field {
    /// True for the fields holding Unix-millisecond times.
    pub fn is_time(&self) -> bool {
        matches!(self, Field::LastInform | Field::Registered)
    }
}

/// A scalar in a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// A string.
    Text(String),
    /// A number.
    Num(serde_json::Number),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The text compared by equality: strings as they are, numbers as their JSON text,
    /// booleans as `true`/`false`.
    pub fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// Ordering operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// `$gt`.
    Gt,
    /// `$gte`.
    Gte,
    /// `$lt`.
    Lt,
    /// `$lte`.
    Lte,
}

impl Ordering {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Ordering::Gt => ">",
            Ordering::Gte => ">=",
            Ordering::Lt => "<",
            Ordering::Lte => "<=",
        }
    }

    /// Whether `a <op> b` holds given their ordering.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering as O;
        match self {
            Ordering::Gt => ord == O::Greater,
            Ordering::Gte => ord != O::Less,
            Ordering::Lt => ord == O::Less,
            Ordering::Lte => ord != O::Greater,
        }
    }
}

/// A positive condition on a field (negations are [`Query::Not`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// Equals one of these (`$eq` is a list of one, `$in` of several).
    In(Vec<Scalar>),
    /// Numeric comparison (times and numeric parameters).
    Num(Ordering, OrderedNum),
    /// Bytewise text comparison.
    Text(Ordering, String),
    /// The field is present.
    Exists,
    /// The text matches.
    Regex(Pattern),
    /// Expression comparison: the field has a value and `value <op> term` holds under
    /// GenieACS's ordering (booleans are 0/1, numbers sort before strings; a NULL term
    /// matches nothing). See [`expression`].
    Compare(CmpOp, Term),
    /// Expression `LIKE` (or `NOT LIKE` when `negated`): the field holds a string, and the
    /// pattern, compiled to an anchored regex, matches it (or does not).
    Like {
        /// The compiled pattern.
        pattern: Pattern,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// Expression `IS NOT NULL`: the field has a value (a parameter row with a value).
    NotNull,
}

/// A finite `f64` usable in `Eq` types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderedNum(pub f64);

impl Eq for OrderedNum {}

/// A compiled `$regex`, compared by its source.
#[derive(Clone)]
pub struct Pattern(pub regex::Regex);

impl Pattern {
    /// The pattern as compiled (with `(?i)` when case-insensitive), also what SQL receives.
    pub fn source(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Pattern) -> bool {
        self.source() == other.source()
    }
}

impl Eq for Pattern {}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.source())
    }
}

/// Parses a query in either form: text starting with `{` (after whitespace) is GenieACS
/// (MongoDB-style) JSON, anything else a GenieACS expression; blank text matches every
/// device.
pub fn parse_text(text: &str, limits: &Limits) -> Result<Query, QueryError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(Query::all());
    }
    if text.len() > limits.max_text_bytes {
        return Err(QueryError(format!(
            "longer than {} bytes",
            limits.max_text_bytes
        )));
    }
    if trimmed.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| QueryError(format!("not valid JSON: {e}")))?;
        return parse(&json, limits);
    }
    Ok(parse_expression(text, limits)?)
}

impl Query {
    /// The query matching every device.
    pub fn all() -> Query {
        Query::And(Vec::new())
    }

    /// Parameter paths the query looks at (for callers that load parameters selectively).
    pub fn param_paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Query::And(qs) | Query::Or(qs) => qs.iter().for_each(|q| q.collect_paths(out)),
            Query::Not(q) => q.collect_paths(out),
            Query::Cond(Field::Param(p), _) => out.push(p),
            Query::Cond(..) => {}
        }
    }
}
