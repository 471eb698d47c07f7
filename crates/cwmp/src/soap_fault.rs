//! The SOAP Fault that carries a CWMP fault (TR-069 §3.4.7, the `Fault` element of the schema).

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::fault::{FaultCode, FaultKind};
use crate::version::CwmpVersion;
use crate::xml::field::{Field, check_max, text_field};
use crate::xml::reader::{Element, Ns, Reader};
use crate::xml::writer::Writer;

text_field!(FaultCode);

/// Longest SOAP `faultstring` written (the schema leaves it unbounded; we keep it to the
/// 256 characters of the CWMP `FaultString`).
const MAX_FAULT_STRING: usize = 256;

/// Whether `code` exists in the schema of `version`: cwmp-1-0.xsd enumerates only 8000–8005,
/// 9000–9013 and the vendor ranges; from 1.1 on every code of the ranges is allowed.
fn check_code_in_version(w: &Writer, code: FaultCode) -> Result<(), WriteError> {
    let n = code.value();
    let in_1_0 = matches!(n, 8000..=8005 | 8800..=8899 | 9000..=9013 | 9800..=9899);
    if w.version() == CwmpVersion::V1_0 && !in_1_0 {
        return Err(WriteError::NotInVersion {
            what: format!("fault code {n}"),
            version: w.version(),
        });
    }
    Ok(())
}

/// A SOAP 1.1 fault: `faultcode`, `faultstring`, and the CWMP detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// `faultcode`: Client or Server.
    #[serde(rename = "faultcode")]
    pub kind: FaultKind,
    /// `faultstring`: `CWMP fault` by convention.
    #[serde(rename = "faultstring")]
    pub fault_string: String,
    /// The `cwmp:Fault` inside `detail`; absent only in faults from non-CWMP SOAP stacks.
    #[serde(rename = "detail", default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<CwmpFault>,
}

/// The `cwmp:Fault` element: a fault code and, for SetParameterValues, one entry per parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CwmpFault {
    /// The CWMP fault code.
    #[serde(rename = "FaultCode")]
    pub code: FaultCode,
    /// Human-readable text, at most 256 characters.
    #[serde(
        rename = "FaultString",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub string: Option<String>,
    /// Per-parameter faults of a failed SetParameterValues (under fault 9003).
    #[serde(
        rename = "SetParameterValuesFault",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub set_parameter_values_faults: Vec<SetParameterValuesFault>,
}

crate::xml::field::wire_struct! {
    /// One parameter's fault in a SetParameterValues fault response.
    pub struct SetParameterValuesFault {
        /// The parameter that could not be set.
        parameter_name: String = "ParameterName" (max 256),
        /// Why (9005, 9006, 9007, 9008, …).
        fault_code: FaultCode = "FaultCode",
        /// Human-readable text.
        fault_string: Option<String> = "FaultString" (max 256),
    }
}

impl Fault {
    /// A CWMP fault with the SOAP faultcode its code calls for.
    pub fn new(code: FaultCode, message: impl Into<String>) -> Fault {
        Fault {
            kind: code.kind(),
            fault_string: "CWMP fault".into(),
            detail: Some(CwmpFault {
                code,
                string: Some(message.into()),
                set_parameter_values_faults: Vec::new(),
            }),
        }
    }

    /// The SOAP `MustUnderstand` fault (SOAP 1.1 §4.4.1) for the header element `name`
    /// (`namespace`, if any) that was marked `mustUnderstand="1"` and not understood. It
    /// carries no CWMP detail: the message was not processed at all.
    pub fn must_understand(name: &str, namespace: Option<&str>) -> Fault {
        let mut what = match namespace {
            Some(ns) => format!("SOAP header {{{ns}}}{name} not understood"),
            None => format!("SOAP header {name} not understood"),
        };
        if what.chars().count() > MAX_FAULT_STRING {
            what = what.chars().take(MAX_FAULT_STRING).collect();
        }
        Fault {
            kind: FaultKind::MustUnderstand,
            fault_string: what,
            detail: None,
        }
    }

    /// The CWMP fault code, if the fault carries one.
    pub fn code(&self) -> Option<FaultCode> {
        self.detail.as_ref().map(|d| d.code)
    }

    /// Notes in `version` the namespace of the `cwmp:Fault` detail.
    pub(crate) fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        version: &mut Option<CwmpVersion>,
    ) -> Result<Self, ParseError> {
        let mut kind = None;
        let mut fault_string = None;
        let mut detail = None;
        while let Some(child) = r.next_child(element)? {
            match child.local {
                "faultcode" => {
                    let text = r.text(&child)?;
                    kind = Some(
                        text.parse()
                            .map_err(|e| r.invalid(&child, "faultcode", format!("{e}")))?,
                    );
                }
                "faultstring" => fault_string = Some(r.text(&child)?.into_owned()),
                "detail" => {
                    while let Some(inner) = r.next_child(&child)? {
                        if inner.local == "Fault" && detail.is_none() {
                            if let Ns::Cwmp(v) = inner.ns {
                                version.get_or_insert(v);
                            }
                            detail = Some(CwmpFault::decode(r, &inner)?);
                        } else {
                            r.skip(&inner)?;
                        }
                    }
                }
                _ => r.skip(&child)?,
            }
        }
        let kind = match (kind, &detail) {
            (Some(kind), _) => kind,
            // Lenient: a missing faultcode is derived from the CWMP code.
            (None, Some(d)) => d.code.kind(),
            (None, None) => {
                return Err(r.error_at(element, ParseErrorKind::MissingField("faultcode")));
            }
        };
        Ok(Fault {
            kind,
            fault_string: fault_string.unwrap_or_default(),
            detail,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer) -> Result<(), WriteError> {
        let faultcode = match self.kind {
            // Unqualified Client/Server as TR-069 §3.5 shows them; the SOAP-defined
            // MustUnderstand is a QName in the envelope namespace (SOAP 1.1 §4.4.1).
            FaultKind::MustUnderstand => {
                if self.detail.is_some() {
                    return Err(WriteError::Invalid {
                        field: "detail",
                        reason: "a MustUnderstand fault carries no CWMP detail".into(),
                    });
                }
                "soap-env:MustUnderstand"
            }
            kind => kind.as_soap_faultcode(),
        };
        if self.fault_string.chars().count() > MAX_FAULT_STRING {
            return Err(WriteError::TooLong {
                field: "faultstring",
                len: self.fault_string.chars().count(),
                max: MAX_FAULT_STRING,
            });
        }
        w.raw("<soap-env:Fault>");
        w.leaf("faultcode", faultcode)?;
        w.leaf("faultstring", &self.fault_string)?;
        if let Some(detail) = &self.detail {
            w.raw("<detail>");
            detail.encode(w)?;
            w.raw("</detail>");
        }
        w.raw("</soap-env:Fault>");
        Ok(())
    }
}

impl CwmpFault {
    fn decode<'a>(r: &mut Reader<'a>, element: &Element<'a>) -> Result<Self, ParseError> {
        let mut code = None;
        let mut string = None;
        let mut faults = Vec::new();
        while let Some(child) = r.next_child(element)? {
            match child.local {
                "FaultCode" => code = Some(FaultCode::decode(r, &child, "FaultCode")?),
                "FaultString" => string = Some(r.text(&child)?.into_owned()),
                "SetParameterValuesFault" => faults.push(SetParameterValuesFault::decode(
                    r,
                    &child,
                    "SetParameterValuesFault",
                )?),
                _ => r.skip(&child)?,
            }
        }
        let code =
            code.ok_or_else(|| r.error_at(element, ParseErrorKind::MissingField("FaultCode")))?;
        Ok(CwmpFault {
            code,
            string,
            set_parameter_values_faults: faults,
        })
    }

    fn encode(&self, w: &mut Writer) -> Result<(), WriteError> {
        check_max(&self.string, "FaultString", 256)?;
        check_code_in_version(w, self.code)?;
        for fault in &self.set_parameter_values_faults {
            check_code_in_version(w, fault.fault_code)?;
        }
        w.raw("<cwmp:Fault>");
        self.code.encode(w, "FaultCode")?;
        self.string.encode(w, "FaultString")?;
        for fault in &self.set_parameter_values_faults {
            fault.encode(w, "SetParameterValuesFault")?;
        }
        w.raw("</cwmp:Fault>");
        Ok(())
    }
}
