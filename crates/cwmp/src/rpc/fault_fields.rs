//! The `FaultCode` and `FaultString` of the structs that report an outcome
//! (`TransferCompleteFaultStruct`, `DeploymentUnitFaultStruct`), where code 0 means no fault.

use crate::error::{ParseError, ParseErrorKind};
use crate::fault::FaultCode;
use crate::xml::field::Field;
use crate::xml::reader::{Element, Reader};

/// Reads `child` into `code` or `string` when it is the `FaultCode` or the `FaultString`, and
/// says whether it was; other children are left unread. A second occurrence of either is an
/// error.
pub(crate) fn decode_fault_child<'a>(
    r: &mut Reader<'a>,
    child: &Element<'a>,
    code: &mut Option<Option<FaultCode>>,
    string: &mut Option<String>,
) -> Result<bool, ParseError> {
    let duplicate = match child.local {
        "FaultCode" if code.is_none() => {
            *code = Some(decode_fault_code(r, child, "FaultCode")?);
            return Ok(true);
        }
        "FaultString" if string.is_none() => {
            *string = Some(String::decode(r, child, "FaultString")?);
            return Ok(true);
        }
        "FaultCode" => "FaultCode",
        "FaultString" => "FaultString",
        _ => return Ok(false),
    };
    Err(r.error_at(child, ParseErrorKind::DuplicateField(duplicate)))
}

/// Reads a `FaultCode` where 0 means "no fault": any CPE fault code is accepted.
fn decode_fault_code<'a>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    name: &'static str,
) -> Result<Option<FaultCode>, ParseError> {
    let value = u32::decode(r, element, name)?;
    FaultCode::from_transfer_complete(value).map_err(|e| r.invalid(element, name, e.to_string()))
}

/// Serde for a fault code where 0 means "no fault": `None` is the number 0.
pub(crate) mod zero_is_no_fault {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::fault::FaultCode;

    /// Writes the code, 0 for `None`.
    pub(crate) fn serialize<S: Serializer>(
        code: &Option<FaultCode>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(code.map_or(0, FaultCode::value))
    }

    /// Reads a code, 0 as `None`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<FaultCode>, D::Error> {
        let value = u32::deserialize(deserializer)?;
        FaultCode::from_transfer_complete(value).map_err(serde::de::Error::custom)
    }
}
