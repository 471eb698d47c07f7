//! XML reading and writing, and the mapping between Rust values and elements.

pub(crate) mod field;
pub(crate) mod lexer;
pub(crate) mod reader;
pub(crate) mod writer;
