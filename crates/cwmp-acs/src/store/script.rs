//! Stored scripts: GenieACS provisions and virtual parameters.

use serde::Serialize;

use super::Timestamp;

/// Which collection a script belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptKind {
    /// `/provisions/<name>`: run by presets' `provision` configurations.
    Provision,
    /// `/virtual_parameters/<name>`: computes `VirtualParameters.<name>`.
    VirtualParameter,
}

impl ScriptKind {
    /// The kind of a `kind` column.
    pub fn parse(s: &str) -> Option<ScriptKind> {
        match s {
            "provision" => Some(ScriptKind::Provision),
            "virtual_parameter" => Some(ScriptKind::VirtualParameter),
            _ => None,
        }
    }

    /// The `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptKind::Provision => "provision",
            ScriptKind::VirtualParameter => "virtual_parameter",
        }
    }
}

/// A stored script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScript {
    /// Collection.
    pub kind: ScriptKind,
    /// Name (the `_id` of the API).
    pub name: String,
    /// JavaScript text.
    pub script: String,
    /// Last change.
    pub updated: Timestamp,
}
