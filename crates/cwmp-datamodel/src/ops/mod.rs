//! The CPE side of the TR-069 Annex A parameter RPCs, on a [`crate::Tree`]:
//! request and result types, faults, and one module per RPC family.

mod attributes;
pub(crate) mod get;
mod names;
mod objects;
mod set;

use cwmp::{FaultCode, Value};

pub use crate::backend::ApplyStatus;

/// A parameter name and value (`ParameterValueStruct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterValue {
    /// Full parameter name.
    pub name: String,
    /// Value, typed as on the wire.
    pub value: Value,
}

impl ParameterValue {
    /// Builds a name/value pair.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        ParameterValue {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A GetParameterNames result entry (`ParameterInfoStruct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterInfo {
    /// Parameter name, or object name ending with `.`.
    pub name: String,
    /// Parameter: settable; object: AddObject (table) / DeleteObject (row) allowed.
    pub writable: bool,
}

/// One entry of SetParameterAttributes (`SetParameterAttributesStruct`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeChange {
    /// Parameter name or partial path (`.`-terminated; empty: whole tree).
    pub name: String,
    /// Whether `notification` is to be applied.
    pub notification_change: bool,
    /// 0 off, 1 passive, 2 active (3–6 lightweight, CWMP 1.4).
    pub notification: u8,
    /// Whether `access_list` is to be applied.
    pub access_list_change: bool,
    /// Entities besides the ACS that may write (only `Subscriber` is defined).
    pub access_list: Vec<String>,
}

/// A GetParameterAttributes result entry (`ParameterAttributeStruct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterAttributes {
    /// Full parameter name.
    pub name: String,
    /// Notification setting.
    pub notification: u8,
    /// Access list.
    pub access_list: Vec<String>,
}

/// Result of AddObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddObjectResult {
    /// Number of the new instance.
    pub instance_number: u32,
    /// Applied now or later.
    pub status: ApplyStatus,
}

/// One parameter's fault inside a SetParameterValues fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterFault {
    /// The parameter name as given.
    pub name: String,
    /// 9005, 9006, 9007 or 9008 (9003 for a duplicate).
    pub code: FaultCode,
    /// Human-readable reason.
    pub message: String,
}

/// A CWMP fault answering an RPC; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault {code}: {message}")]
pub struct Fault {
    /// Fault code.
    pub code: FaultCode,
    /// Fault string.
    pub message: String,
    /// Per-parameter faults (SetParameterValues only).
    pub parameters: Vec<ParameterFault>,
}

impl Fault {
    /// A fault without per-parameter entries.
    pub fn new(code: FaultCode, message: impl Into<String>) -> Self {
        Fault {
            code,
            message: message.into(),
            parameters: Vec::new(),
        }
    }

    pub(crate) fn invalid_name(name: &str) -> Self {
        Fault::new(
            FaultCode::INVALID_PARAMETER_NAME,
            format!("invalid parameter name {name:?}"),
        )
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        Fault::new(FaultCode::INTERNAL_ERROR, e.to_string())
    }
}

/// Longest ParameterKey (TR-069 A.3.2.1: `string(32)`).
pub const MAX_PARAMETER_KEY: usize = 32;

pub(crate) fn check_parameter_key(key: &str) -> Result<(), Fault> {
    if key.len() > MAX_PARAMETER_KEY {
        return Err(Fault::new(
            FaultCode::INVALID_ARGUMENTS,
            format!("ParameterKey longer than {MAX_PARAMETER_KEY} characters"),
        ));
    }
    Ok(())
}
