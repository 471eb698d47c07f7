//! Errors of parsing and writing, saying what went wrong and where.

use std::fmt;

use crate::version::CwmpVersion;

/// A message that could not be parsed: what, and where (line, column and element path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// 1-based line of the offending input.
    pub line: u32,
    /// 1-based column (in bytes) of the offending input.
    pub column: u32,
    /// Element path at the error, such as `Envelope/Body/Inform/DeviceId`.
    pub path: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}:{}", self.kind, self.line, self.column)?;
        if !self.path.is_empty() {
            write!(f, " in {}", self.path)?;
        }
        Ok(())
    }
}

impl ParseError {
    /// True when the body is well-formed SOAP but names a method we do not know: an ACS answers
    /// it with fault 8000, a CPE with 9000 (TR-069 §A.5).
    pub fn is_unknown_method(&self) -> bool {
        matches!(self.kind, ParseErrorKind::UnknownMethod { .. })
    }

    /// True when a SOAP header element marked `mustUnderstand="1"` is not one we process: the
    /// receiver of a request answers a SOAP `MustUnderstand` fault (SOAP 1.1 §4.2.3, §4.4.1;
    /// [`crate::Fault::must_understand`]) and processes nothing of the message.
    pub fn is_must_understand(&self) -> bool {
        matches!(self.kind, ParseErrorKind::MustUnderstand { .. })
    }
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input is not well-formed XML.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// A `<!DOCTYPE>`: DTDs are never processed.
    #[error("DTD not allowed")]
    Dtd,
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("unknown entity &{0};")]
    UnknownEntity(String),
    /// The bytes are not in the declared or detected character set.
    #[error("bad character encoding: {0}")]
    Encoding(String),
    /// The input exceeds [`crate::Limits::max_bytes`].
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
    /// Nesting deeper than [`crate::Limits::max_depth`].
    #[error("elements nested deeper than {0}")]
    TooDeep(usize),
    /// More elements than [`crate::Limits::max_elements`].
    #[error("more than {0} elements")]
    TooManyElements(usize),
    /// A text or attribute longer than [`crate::Limits::max_string_bytes`].
    #[error("text longer than {0} bytes")]
    StringTooLong(usize),
    /// More attributes on one element than [`crate::Limits::max_attributes`].
    #[error("more than {0} attributes on one element")]
    TooManyAttributes(usize),
    /// Well-formed XML that is not a SOAP 1.1 envelope with a body.
    #[error("not a SOAP envelope: {0}")]
    NotSoap(String),
    /// A body element that is not a known CWMP method.
    #[error("unknown method {name:?} (namespace {namespace:?})")]
    UnknownMethod {
        /// Local name of the body element.
        name: String,
        /// Its namespace URI, if any.
        namespace: Option<String>,
    },
    /// A SOAP header element with `mustUnderstand="1"` that is not a CWMP header we process.
    #[error("header <{name}> (namespace {namespace:?}) must be understood and is not")]
    MustUnderstand {
        /// Local name of the header element.
        name: String,
        /// Its namespace URI, if any.
        namespace: Option<String>,
    },
    /// A required element is missing.
    #[error("missing element {0}")]
    MissingField(&'static str),
    /// An element that may appear once appears twice.
    #[error("duplicate element {0}")]
    DuplicateField(&'static str),
    /// An element's text is not valid for its type.
    #[error("invalid {field}: {reason}")]
    InvalidValue {
        /// The element.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// An element where only text may stand.
    #[error("unexpected element <{0}>")]
    UnexpectedElement(String),
}

/// A message that cannot be written because it breaks a rule of the schema of its version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A string longer than the schema allows.
    #[error("{field} is {len} characters long, the limit is {max}")]
    TooLong {
        /// The element.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The schema's limit.
        max: usize,
    },
    /// A list with more items than the schema allows.
    #[error("{field} has {len} items, the limit is {max}")]
    TooMany {
        /// The element.
        field: &'static str,
        /// Its item count.
        len: usize,
        /// The schema's limit.
        max: usize,
    },
    /// A value the schema does not allow.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The element.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A character XML 1.0 cannot carry (most control characters).
    #[error("{field} contains U+{code:04X}, which XML 1.0 cannot carry")]
    InvalidChar {
        /// The element.
        field: &'static str,
        /// The character's code point.
        code: u32,
    },
    /// A method or value that does not exist in the version being written.
    #[error("{what} does not exist in CWMP {version}")]
    NotInVersion {
        /// The method or value.
        what: String,
        /// The version being written.
        version: CwmpVersion,
    },
}
