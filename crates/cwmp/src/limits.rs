//! Bounds on what the parser accepts, so that no input can make it allocate without bound.

use serde::{Deserialize, Serialize};

/// Limits applied while parsing a message. The defaults fit the largest real messages seen
/// (a full GetParameterNamesResponse of a gateway is ~600 KB) with a wide margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Largest message in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
    /// Most elements in one message.
    pub max_elements: usize,
    /// Longest text content or attribute value, in bytes.
    pub max_string_bytes: usize,
    /// Most attributes on one element.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024,
            max_depth: 32,
            max_elements: 1_000_000,
            max_string_bytes: 1024 * 1024,
            max_attributes: 32,
        }
    }
}
