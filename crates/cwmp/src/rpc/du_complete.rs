//! Results of Deployment Unit operations: DUStateChangeComplete and
//! AutonomousDUStateChangeComplete (TR-069 §A.3.3.4, §A.3.3.5, CWMP 1.2).
//!
//! In the schema `Results` is repeated once per result, not a SOAP array; that is how it is
//! written. Peers also send one `Results` array of `OpResultStruct` items; both are read.

use serde::{Deserialize, Serialize};

use crate::datetime::DateTime;
use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::fault::FaultCode;
use crate::rpc::checks::uuid;
use crate::rpc::enums::str_enum;
use crate::rpc::fault_fields::{decode_fault_child, zero_is_no_fault};
use crate::rpc::lists::{
    cwmp_array_item, decode_list_and_command_key, decode_list_occurrence,
    encode_list_and_command_key,
};
use crate::xml::field::{ArrayItem, Field, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

str_enum! {
    /// The state of a Deployment Unit after an operation (`DeploymentUnitState`); `Other` is
    /// refused on writing.
    DeploymentUnitState {
        /// `Installed`.
        Installed = "Installed",
        /// `Uninstalled`.
        Uninstalled = "Uninstalled",
        /// `Failed`: the install failed and no unit was created.
        Failed = "Failed",
    }
}

str_enum! {
    /// The operation a CPE performed on its own (`DeploymentUnitOperationType`); `Other` holds
    /// vendor operations, which the schema allows.
    DeploymentUnitOperation {
        /// `Install`.
        Install = "Install",
        /// `Update`.
        Update = "Update",
        /// `Uninstall`.
        Uninstall = "Uninstall",
    }
}

impl Field for DeploymentUnitState {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        Ok(DeploymentUnitState::from_text(&r.text(element)?))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        if let DeploymentUnitState::Other(text) = self {
            return Err(WriteError::Invalid {
                field: name,
                reason: format!("{text:?} is not Installed, Uninstalled or Failed"),
            });
        }
        w.leaf(name, self.as_str())
    }
}

impl Field for DeploymentUnitOperation {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        Ok(DeploymentUnitOperation::from_text(&r.text(element)?))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.leaf(name, self.as_str())
    }
}

/// Success or failure of one operation (`DeploymentUnitFaultStruct`): no fault code means
/// success, written as `0`. Read leniently: any CPE code, and the fault fields wrapped in an
/// extra `<FaultStruct>` (as cwmp_ex writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentUnitFaultStruct {
    /// The fault, or `None` (0 on the wire) for success.
    #[serde(rename = "FaultCode", with = "zero_is_no_fault")]
    pub fault_code: Option<FaultCode>,
    /// Optional detail.
    #[serde(
        rename = "FaultString",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fault_string: Option<String>,
}

impl DeploymentUnitFaultStruct {
    /// Success: code 0, no text.
    pub fn success() -> Self {
        DeploymentUnitFaultStruct {
            fault_code: None,
            fault_string: None,
        }
    }
}

/// The codes a Deployment Unit operation may fail with (`DeploymentUnitCPEFaultCodeType`,
/// the extension range 9033–9799 and the vendor range).
fn du_fault_allowed(code: u32) -> bool {
    matches!(code, 9001 | 9003 | 9012 | 9013 | 9015..=9018 | 9022..=9899)
}

impl DeploymentUnitFaultStruct {
    fn decode_into<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        code: &mut Option<Option<FaultCode>>,
        string: &mut Option<String>,
    ) -> Result<(), ParseError> {
        while let Some(child) = r.next_child(element)? {
            if decode_fault_child(r, &child, code, string)? {
                continue;
            }
            if child.local == "FaultStruct" {
                Self::decode_into(r, &child, code, string)?;
            } else {
                r.skip(&child)?;
            }
        }
        Ok(())
    }
}

impl Field for DeploymentUnitFaultStruct {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let mut code = None;
        let mut fault_string = None;
        Self::decode_into(r, element, &mut code, &mut fault_string)?;
        let fault_code =
            code.ok_or_else(|| r.error_at(element, ParseErrorKind::MissingField("FaultCode")))?;
        Ok(DeploymentUnitFaultStruct {
            fault_code,
            fault_string,
        })
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        let code = self.fault_code.map_or(0, FaultCode::value);
        if code != 0 && !du_fault_allowed(code) {
            return Err(WriteError::Invalid {
                field: "FaultCode",
                reason: format!("{code} is not a Deployment Unit fault code"),
            });
        }
        w.open(name);
        w.leaf("FaultCode", &code.to_string())?;
        self.fault_string.encode(w, "FaultString")?;
        w.close(name);
        Ok(())
    }
}

/// Defines a result struct: the fields of `OpResultStruct`, then `$extra` (in the schema,
/// `AutonOpResultStruct` extends `OpResultStruct`).
macro_rules! op_result_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        wire_struct! {
            $(#[$meta])*
            pub struct $name {
                /// The unit's UUID.
                uuid: String = "UUID" (check uuid),
                /// Its path in the data model (`Device.SoftwareModules.DeploymentUnit.2`).
                deployment_unit_ref: String = "DeploymentUnitRef",
                /// Its version; at most 32 characters.
                version: String = "Version" (max 32),
                /// Its state afterwards.
                current_state: DeploymentUnitState = "CurrentState",
                /// Whether its dependencies are resolved.
                resolved: bool = "Resolved",
                /// Comma-separated paths of its Execution Units.
                execution_unit_ref_list: String = "ExecutionUnitRefList",
                /// When the operation started (or the Unknown Time).
                start_time: DateTime = "StartTime",
                /// When it completed (or the Unknown Time).
                complete_time: DateTime = "CompleteTime",
                /// Success, or why it failed.
                fault: DeploymentUnitFaultStruct = "Fault",
                $($extra)*
            }
        }
    };
}

op_result_struct! {
    /// The result of one operation (`OpResultStruct`).
    pub struct OpResultStruct {}
}

op_result_struct! {
    /// The result of an operation the CPE performed on its own (`AutonOpResultStruct`): an
    /// [`OpResultStruct`] and the operation.
    pub struct AutonOpResultStruct {
        /// What was done.
        operation_performed: DeploymentUnitOperation = "OperationPerformed",
    }
}

cwmp_array_item!(OpResultStruct, AutonOpResultStruct);

/// Child elements of a result, to recognise a bare result among array items.
const RESULT_FIELDS: &[&str] = &[
    "UUID",
    "DeploymentUnitRef",
    "Version",
    "CurrentState",
    "Resolved",
    "ExecutionUnitRefList",
    "StartTime",
    "CompleteTime",
    "Fault",
    "OperationPerformed",
];

/// Reads the children of a result message: every `Results` (repeated or array) and an
/// optional `CommandKey`.
fn decode_results<'a, T: ArrayItem>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
) -> Result<(Vec<T>, Option<String>), ParseError> {
    decode_list_and_command_key(r, element, "Results", |r, child, out| {
        decode_list_occurrence(r, child, "Results", RESULT_FIELDS, out)
    })
}

/// Reports the results of a [`ChangeDUState`](crate::rpc::ChangeDUState) (TR-069 §A.3.3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DUStateChangeComplete {
    /// One result per operation; at least one.
    #[serde(rename = "Results")]
    pub results: Vec<OpResultStruct>,
    /// The `CommandKey` of the ChangeDUState; at most 32 characters.
    #[serde(
        rename = "CommandKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub command_key: Option<String>,
}

impl Field for DUStateChangeComplete {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let (results, command_key) = decode_results(r, element)?;
        Ok(DUStateChangeComplete {
            results,
            command_key,
        })
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        encode_list_and_command_key(w, name, "Results", &self.results, &self.command_key)
    }
}

/// Reports operations the CPE performed on its own (TR-069 §A.3.3.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutonomousDUStateChangeComplete {
    /// One result per operation; at least one.
    #[serde(rename = "Results")]
    pub results: Vec<AutonOpResultStruct>,
}

impl Field for AutonomousDUStateChangeComplete {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let (results, _) = decode_results(r, element)?;
        Ok(AutonomousDUStateChangeComplete { results })
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        // The schema gives this message no CommandKey: `None` writes none.
        encode_list_and_command_key(w, name, "Results", &self.results, &None)
    }
}

wire_struct! {
    /// The (empty) answer to [`DUStateChangeComplete`].
    pub struct DUStateChangeCompleteResponse {}
}

wire_struct! {
    /// The (empty) answer to [`AutonomousDUStateChangeComplete`].
    pub struct AutonomousDUStateChangeCompleteResponse {}
}

#[cfg(test)]
#[path = "du_complete_tests.rs"]
mod tests;
