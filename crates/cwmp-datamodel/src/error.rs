//! Errors raised while loading a data-model document.

use std::fmt;
use std::path::PathBuf;

/// Where in a document a problem was found: file, line/column and element path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// File name (or the name given to an in-memory document).
    pub file: Box<str>,
    /// 1-based line of the offending element.
    pub line: u32,
    /// 1-based column of the offending element.
    pub column: u32,
    /// Element path, e.g. `model[Device:2.17]/object[Device.IP.]/parameter[Enable]`.
    pub element: Box<str>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.element
        )
    }
}

/// Failure to load a data-model document into a [`crate::Schema`].
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A file (the document or one it imports) could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The file that could not be read.
        file: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The document is not well-formed XML (or uses a DTD, which is refused).
    #[error("{file}: XML error: {source}")]
    Xml {
        /// The offending file.
        file: Box<str>,
        /// The parser's error, with its position.
        #[source]
        source: roxmltree::Error,
    },
    /// The XML is well-formed but breaks a data-model rule (bad attribute,
    /// unknown data type, duplicate or missing definition...).
    #[error("{location}: {message}")]
    Invalid {
        /// Where the problem is.
        location: Location,
        /// What is wrong.
        message: Box<str>,
    },
    /// An `<import>`ed file could not be found in any search directory.
    #[error("{location}: imported file {file:?} not found (searched: {searched})")]
    ImportNotFound {
        /// The `<import>` element.
        location: Location,
        /// The `file` attribute value.
        file: Box<str>,
        /// Directories searched, comma-separated.
        searched: Box<str>,
    },
}
