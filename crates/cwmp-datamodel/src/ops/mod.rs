//! The CPE side of the TR-069 Annex A parameter RPCs, on a [`crate::Tree`]:
//! faults, results, and one module per RPC family.
//!
//! Requests and results that are exactly the wire's use the `cwmp::rpc` types
//! ([`ParameterValueStruct`](cwmp::rpc::ParameterValueStruct),
//! [`ParameterInfoStruct`](cwmp::rpc::ParameterInfoStruct),
//! [`SetParameterAttributesStruct`](cwmp::rpc::SetParameterAttributesStruct),
//! [`ParameterAttributeStruct`](cwmp::rpc::ParameterAttributeStruct)); the types here
//! carry more than the wire does ([`ApplyStatus`] has no unknown value, [`Fault`] is an
//! error with a message) and convert to it in [`crate::rpc`].

mod attributes;
pub(crate) mod get;
mod names;
mod objects;
mod set;

use cwmp::FaultCode;

pub use crate::backend::ApplyStatus;

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
