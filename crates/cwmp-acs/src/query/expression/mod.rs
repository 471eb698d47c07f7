//! GenieACS's expression language (preset preconditions, UI filters, `?query=`), parsed into
//! the same [`Query`] as the JSON queries:
//!
//! ```text
//! DeviceID.ID = "x" AND Tags.lab IS NOT NULL
//! Device.DeviceInfo.SoftwareVersion LIKE '2.%' OR NOT Events.Inform > NOW() - 86400000
//! ```
//!
//! Grammar (keywords in any case; precedence from loosest: `OR`, `AND`, `NOT`, then
//! `= <> < <= > >= LIKE NOT LIKE IS NULL IS NOT NULL`, then `||`, `+ -`, `* / %`, unary `-`):
//! - values: `"double"` strings with `\n \t \uXXXX …` escapes, `'single'` strings (`''` is
//!   a quote), numbers `12`, `1.5e3`, `TRUE`, `FALSE`, `NULL`, parentheses;
//! - paths: `DeviceID.ID` / `.Manufacturer` / `.OUI` / `.ProductClass` / `.SerialNumber`,
//!   `Events.Inform` and `Events.Registered` (Unix ms), `Tags.<name>` (`true` when the
//!   device has the tag; `0xHH` in the name is the byte `HH`), any parameter path
//!   (`._value` optional);
//! - functions: `NOW()` (Unix ms when evaluated), `UPPER`, `LOWER`, `ROUND(x [, digits])`,
//!   `COALESCE(a, …)`; arithmetic `+ - * / %` and `||` (concatenation) on constants;
//! - `x LIKE 'pat' [ESCAPE '!']`: `%` any run, `_` one character, whole-value match,
//!   case-sensitive unless the path is wrapped in `UPPER()`/`LOWER()`.
//!
//! Semantics are GenieACS's: SQL three-valued logic, a device matches when the expression
//! is TRUE. A missing parameter is NULL, and a comparison with NULL is NULL, so
//! `x <> 1` and `NOT x = 1` do not match devices without `x` (unlike JSON `$ne`).
//! Comparison is typed: booleans count as 0/1, the four integer types are numbers, every
//! other parameter (`dateTime` included) is a string, and a number is less than any
//! string (so `x > 5` holds for every string `x`, and `x = "5"` not for the number 5).
//! LIKE matches strings only. Constant sub-expressions are folded at parse time, those
//! with `NOW()` at evaluation ([`Query::matches_at`], and the SQL compiler).
//!
//! Differences from GenieACS, each refused with a clear error rather than guessed: one
//! side of a comparison must be constant (GenieACS normalises `x + 1 > 5`; we ask for
//! `x > 4`), `UPPER()`/`LOWER()` of a parameter only before LIKE, no wildcards or alias
//! filters in paths, no `CASE`, no `Events.0_BOOTSTRAP`/`1_BOOT` (not recorded). Added:
//! `ESCAPE`, and `xsd:long`/`unsignedLong` compare as numbers (GenieACS keeps them text).

mod lexer;
mod lower;
mod syntax;

use std::fmt;

use super::{Limits, Query, QueryError};

/// An expression that cannot be parsed: what was expected and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    /// Byte offset into the text.
    pub offset: usize,
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ExpressionError {
    pub(crate) fn at(text: &str, offset: usize, message: impl Into<String>) -> ExpressionError {
        let offset = offset.min(text.len());
        let (line, column) = line_column(text, offset);
        ExpressionError {
            offset,
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for ExpressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 1 {
            write!(f, "line {}, ", self.line)?;
        }
        write!(
            f,
            "column {} (byte {}): {}",
            self.column, self.offset, self.message
        )
    }
}

impl std::error::Error for ExpressionError {}

impl From<ExpressionError> for QueryError {
    fn from(e: ExpressionError) -> QueryError {
        QueryError(format!("expression at {e}"))
    }
}

/// Line and column (both from 1, the column in characters) of byte `offset`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Parses an expression with the given limits (text length, nesting, terms, strings).
pub fn parse_expression(text: &str, limits: &Limits) -> Result<Query, ExpressionError> {
    if text.len() > limits.max_text_bytes {
        return Err(ExpressionError::at(
            text,
            limits.max_text_bytes,
            format!("expression longer than {} bytes", limits.max_text_bytes),
        ));
    }
    let toks = lexer::tokens(text, limits.max_nodes.saturating_mul(4))?;
    let tree = syntax::Parser::new(text, toks, limits).parse()?;
    lower::Lower { text, limits }.query(&tree)
}

#[cfg(test)]
mod tests;
