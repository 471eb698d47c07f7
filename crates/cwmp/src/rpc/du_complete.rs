//! Results of Deployment Unit operations: DUStateChangeComplete and
//! AutonomousDUStateChangeComplete (TR-069 §A.3.3.4, §A.3.3.5, CWMP 1.2).
//!
//! In the schema `Results` is repeated once per result, not a SOAP array; that is how it is
//! written. Peers also send one `Results` array of `OpResultStruct` items; both are read.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::datetime::DateTime;
use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::fault::FaultCode;
use crate::rpc::wire::{
    cwmp_array_item, decode_fault_code, decode_list_occurrence, non_empty, uuid, zero_is_no_fault,
};
use crate::xml::field::{Field, check_max, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// Defines a string enumeration with an `Other` variant: read leniently, serialized as text.
macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// Any other text, kept as read.
            Other(String),
        }

        impl $name {
            /// The text on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(text) => text,
                }
            }

            /// The variant for a text (surrounding whitespace ignored).
            pub fn from_text(text: &str) -> Self {
                match text.trim() {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        #[cfg(test)]
        impl $crate::arbitrary::Arb for $name {
            fn arb(_: Option<usize>) -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::strategy::Strategy as _;
                proptest::sample::select(vec![$( $name::$variant ),+]).boxed()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok($name::from_text(&String::deserialize(deserializer)?))
            }
        }
    };
}

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
            match child.local {
                "FaultCode" if code.is_none() => {
                    *code = Some(decode_fault_code(r, &child, "FaultCode")?);
                }
                "FaultString" if string.is_none() => {
                    *string = Some(String::decode(r, &child, "FaultString")?);
                }
                "FaultCode" | "FaultString" => {
                    let name = if child.local == "FaultCode" {
                        "FaultCode"
                    } else {
                        "FaultString"
                    };
                    return Err(r.error_at(&child, ParseErrorKind::DuplicateField(name)));
                }
                "FaultStruct" => Self::decode_into(r, &child, code, string)?,
                _ => r.skip(&child)?,
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

wire_struct! {
    /// The result of one operation (`OpResultStruct`).
    pub struct OpResultStruct {
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
    }
}

wire_struct! {
    /// The result of an operation the CPE performed on its own (`AutonOpResultStruct`): an
    /// [`OpResultStruct`] and the operation.
    pub struct AutonOpResultStruct {
        /// The unit's UUID.
        uuid: String = "UUID" (check uuid),
        /// Its path in the data model.
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
fn decode_results<'a, T: crate::xml::field::ArrayItem>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
) -> Result<(Vec<T>, Option<String>), ParseError> {
    let mut results = None;
    let mut command_key = None;
    while let Some(child) = r.next_child(element)? {
        match child.local {
            "Results" => {
                let out = results.get_or_insert_with(Vec::new);
                decode_list_occurrence(r, &child, "Results", RESULT_FIELDS, out)?;
            }
            "CommandKey" if command_key.is_none() => {
                command_key = Some(String::decode(r, &child, "CommandKey")?);
            }
            "CommandKey" => {
                let kind = ParseErrorKind::DuplicateField("CommandKey");
                return Err(r.error_at(&child, kind));
            }
            _ => r.skip(&child)?,
        }
    }
    let results =
        results.ok_or_else(|| r.error_at(element, ParseErrorKind::MissingField("Results")))?;
    Ok((results, command_key))
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
        non_empty(w, &self.results, "Results")?;
        check_max(&self.command_key, "CommandKey", 32)?;
        w.open(name);
        for result in &self.results {
            result.encode(w, "Results")?;
        }
        self.command_key.encode(w, "CommandKey")?;
        w.close(name);
        Ok(())
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
        non_empty(w, &self.results, "Results")?;
        w.open(name);
        for result in &self.results {
            result.encode(w, "Results")?;
        }
        w.close(name);
        Ok(())
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
