//! Parameter values and names: GetParameterValues, SetParameterValues, GetParameterNames
//! (TR-069 §A.3.2.1–A.3.2.3), their structs, and how a [`Value`] maps to its element.

use crate::error::{ParseError, WriteError};
use crate::rpc::checks::{each_max, non_empty};
use crate::rpc::enums::Status;
use crate::value::{Value, XsdType};
use crate::xml::field::{Field, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

wire_struct! {
    /// One parameter and its value (`ParameterValueStruct`).
    pub struct ParameterValueStruct {
        /// Full parameter path, at most 256 characters.
        name: String = "Name" (max 256),
        /// The value, typed by its `xsi:type`.
        value: Value = "Value",
    }
}

wire_struct! {
    /// One parameter or object and whether it is writable (`ParameterInfoStruct`).
    pub struct ParameterInfoStruct {
        /// Full path; objects end with a dot. At most 256 characters.
        name: String = "Name" (max 256),
        /// True when the ACS may change it (or, for an object, add and delete instances).
        writable: bool = "Writable",
    }
}

crate::rpc::lists::cwmp_array_item!(ParameterValueStruct, ParameterInfoStruct);

wire_struct! {
    /// Asks the CPE for the values of parameters (TR-069 §A.3.2.2).
    pub struct GetParameterValues {
        /// Parameter paths; a path ending with a dot stands for everything below it.
        /// At least one, each at most 256 characters.
        parameter_names: Vec<String> = "ParameterNames" (check non_empty) (check each_max::<256>),
    }
}

wire_struct! {
    /// The values asked for by [`GetParameterValues`].
    pub struct GetParameterValuesResponse {
        /// One entry per parameter.
        parameter_list: Vec<ParameterValueStruct> = "ParameterList",
    }
}

wire_struct! {
    /// Sets parameter values, all or none (TR-069 §A.3.2.1).
    pub struct SetParameterValues {
        /// The parameters and their new values.
        parameter_list: Vec<ParameterValueStruct> = "ParameterList",
        /// The value the CPE stores in `ParameterKey` when the call succeeds; at most 32
        /// characters. Read as empty when absent.
        parameter_key: String = "ParameterKey" (max 32) (default),
    }
}

wire_struct! {
    /// The answer to [`SetParameterValues`].
    pub struct SetParameterValuesResponse {
        /// Whether the changes are already applied.
        status: Status = "Status",
    }
}

wire_struct! {
    /// Asks for the parameters and objects below a path (TR-069 §A.3.2.3).
    pub struct GetParameterNames {
        /// A parameter, a partial path ending with a dot, or empty for the whole tree;
        /// at most 256 characters.
        parameter_path: String = "ParameterPath" (max 256),
        /// True for the direct children only, false for the whole subtree.
        next_level: bool = "NextLevel",
    }
}

wire_struct! {
    /// The answer to [`GetParameterNames`].
    pub struct GetParameterNamesResponse {
        /// The parameters and objects found.
        parameter_list: Vec<ParameterInfoStruct> = "ParameterList",
    }
}

/// Built-in XML Schema simple types: a [`Value::Other`] of one of these is written as
/// `xsd:<name>` (its text is not checked).
const XSD_BUILTIN: &[&str] = &[
    "anySimpleType",
    "anyURI",
    "base64Binary",
    "boolean",
    "byte",
    "date",
    "dateTime",
    "decimal",
    "double",
    "duration",
    "ENTITIES",
    "ENTITY",
    "float",
    "gDay",
    "gMonth",
    "gMonthDay",
    "gYear",
    "gYearMonth",
    "hexBinary",
    "ID",
    "IDREF",
    "IDREFS",
    "int",
    "integer",
    "language",
    "long",
    "Name",
    "NCName",
    "negativeInteger",
    "NMTOKEN",
    "NMTOKENS",
    "nonNegativeInteger",
    "nonPositiveInteger",
    "normalizedString",
    "positiveInteger",
    "QName",
    "short",
    "string",
    "time",
    "token",
    "unsignedByte",
    "unsignedInt",
    "unsignedLong",
    "unsignedShort",
];

/// `<Value xsi:type="…">`: read leniently through [`Value::from_wire`] (no `xsi:type` gives
/// [`Value::Untyped`]); always written with an `xsi:type`, `xsd:string` for untyped values
/// and `soap-enc:base64` for base64.
impl Field for Value {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let xsi_type = element.xsi_type.clone();
        let text = r.text(element)?;
        Ok(Value::from_wire(xsi_type.as_deref(), &text))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        // Unprefixed type names get `xsd:` from the writer.
        let xsi_type = match self {
            Value::Untyped(_) => "string",
            Value::Base64(_) => "soap-enc:base64",
            Value::Other { xsi_type, .. } => {
                if XsdType::from_wire_name(xsi_type).is_some() {
                    return Err(WriteError::Invalid {
                        field: name,
                        reason: format!("the text is not a valid xsd:{xsi_type}"),
                    });
                }
                if !XSD_BUILTIN.contains(&xsi_type.as_str()) {
                    return Err(WriteError::Invalid {
                        field: name,
                        reason: format!("unknown xsi:type {xsi_type:?}"),
                    });
                }
                xsi_type.as_str()
            }
            typed => typed.xsi_type().unwrap_or("string"),
        };
        w.typed_leaf(name, xsi_type, &self.as_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    fn pvs(name: &str, value: Value) -> ParameterValueStruct {
        ParameterValueStruct {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn set_parameter_values_with_vendor_quirks() {
        // Foreign prefixes, a wrong arrayType name and count, `xsd:type` instead of
        // `xsi:type`, a value with no type, and ParameterKey before ParameterList.
        let body = parse(
            "1-0",
            r#"<cwmp:SetParameterValues>
                <ParameterKey/>
                <ParameterList SOAP-ENC:arrayType="cwmp:ParameterValueStuct[7]">
                  <ns5:ParameterValueStruct xmlns:ns5="urn:dslforum-org:cwmp-1-2">
                    <Value xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:boolean">true</Value>
                    <Name>Device.A</Name>
                  </ns5:ParameterValueStruct>
                  <ParameterValueStruct><Name>Device.B</Name><Value xsd:type="xsi:int">-1</Value></ParameterValueStruct>
                  <ParameterValueStruct><Name>Device.C</Name><Value>42</Value><Extra>x</Extra></ParameterValueStruct>
                </ParameterList>
              </cwmp:SetParameterValues>"#,
        );
        let expected = SetParameterValues {
            parameter_list: vec![
                pvs("Device.A", Value::Boolean(true)),
                pvs("Device.B", Value::Int(-1)),
                pvs("Device.C", Value::Untyped("42".into())),
            ],
            parameter_key: String::new(),
        };
        assert_eq!(body, Body::SetParameterValues(expected.clone()));

        let xml = crate::rpc::test_util::write(CwmpVersion::V1_0, expected).unwrap();
        assert!(xml.contains(
            "<cwmp:SetParameterValues><ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[3]\">\
             <ParameterValueStruct><Name>Device.A</Name><Value xsi:type=\"xsd:boolean\">true</Value>"
        ));
        // Untyped values are written as strings.
        assert!(xml.contains("<Value xsi:type=\"xsd:string\">42</Value>"));
        assert!(xml.contains("<ParameterKey></ParameterKey></cwmp:SetParameterValues>"));
    }

    #[test]
    fn values_of_every_type_round_trip() {
        let list = vec![
            pvs("A.S", Value::string("a < b & \"c\"")),
            pvs("A.U", Value::UnsignedInt(7)),
            pvs("A.L", Value::Long(-5)),
            pvs("A.UL", Value::UnsignedLong(u64::MAX)),
            pvs("A.D", Value::DateTime(crate::DateTime::UNKNOWN)),
            pvs("A.B64", Value::Base64(vec![0, 1, 2, 255])),
            pvs("A.Hex", Value::HexBinary(vec![0xAB, 0x01])),
        ];
        let xml = round_trip(
            CwmpVersion::V1_2,
            GetParameterValuesResponse {
                parameter_list: list,
            },
        );
        assert!(xml.contains("xsi:type=\"soap-enc:base64\">AAEC/w==</Value>"));
        assert!(xml.contains("xsi:type=\"xsd:hexBinary\">AB01</Value>"));
    }

    #[test]
    fn other_values() {
        let uri = Value::from_wire(Some("xsd:anyURI"), "http://x/");
        let list = vec![pvs("A.U", uri)];
        round_trip(
            CwmpVersion::V1_0,
            GetParameterValuesResponse {
                parameter_list: list,
            },
        );
        for bad in [
            Value::from_wire(Some("xsd:int"), "abc"),
            Value::from_wire(Some("cwmp:Thing"), "1"),
        ] {
            let err = write_err(
                CwmpVersion::V1_0,
                GetParameterValuesResponse {
                    parameter_list: vec![pvs("A.X", bad)],
                },
            );
            assert!(
                matches!(err, WriteError::Invalid { field: "Value", .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn get_parameter_values_and_names() {
        let body = parse(
            "1-2",
            r#"<cwmp:GetParameterValues><ParameterNames soapenc:arrayType="xsd:string[9]" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/">
                <string>Device.</string><xsd:string>Device.DeviceInfo.SerialNumber</xsd:string>
              </ParameterNames></cwmp:GetParameterValues>"#,
        );
        let expected = GetParameterValues {
            parameter_names: vec!["Device.".into(), "Device.DeviceInfo.SerialNumber".into()],
        };
        assert_eq!(body, Body::GetParameterValues(expected.clone()));
        round_trip(CwmpVersion::V1_0, expected);

        let body = parse(
            "1-0",
            "<cwmp:GetParameterNames><NextLevel>true</NextLevel><ParameterPath/></cwmp:GetParameterNames>",
        );
        let expected = GetParameterNames {
            parameter_path: String::new(),
            next_level: true,
        };
        assert_eq!(body, Body::GetParameterNames(expected.clone()));
        round_trip(CwmpVersion::V1_4, expected);

        let body = parse(
            "1-0",
            r#"<cwmp:GetParameterNamesResponse><ParameterList SOAP-ENC:arrayType="cwmp:ParameterInfoStruct[1]">
                <ParameterInfoStruct><Name>Device.</Name><Writable>0</Writable></ParameterInfoStruct>
                <ParameterInfoStruct><Writable>1</Writable><Name>Device.X</Name></ParameterInfoStruct>
              </ParameterList></cwmp:GetParameterNamesResponse>"#,
        );
        let Body::GetParameterNamesResponse(response) = body else {
            panic!("{body:?}")
        };
        assert_eq!(response.parameter_list.len(), 2);
        assert!(response.parameter_list[1].writable);
        round_trip(CwmpVersion::V1_1, response);
    }

    #[test]
    fn set_parameter_values_response_status() {
        let body = parse(
            "1-0",
            "<cwmp:SetParameterValuesResponse><Status>1</Status></cwmp:SetParameterValuesResponse>",
        );
        let expected = SetParameterValuesResponse {
            status: Status::Pending,
        };
        assert_eq!(body, Body::SetParameterValuesResponse(expected.clone()));
        round_trip(CwmpVersion::V1_0, expected);
        // Lenient on reading, strict on writing.
        let body = parse(
            "1-0",
            "<cwmp:SetParameterValuesResponse><Status> 3 </Status></cwmp:SetParameterValuesResponse>",
        );
        let Body::SetParameterValuesResponse(odd) = body else {
            panic!("{body:?}")
        };
        assert_eq!(odd.status, Status::Other(3));
        let err = write_err(CwmpVersion::V1_0, odd);
        assert!(
            matches!(
                err,
                WriteError::Invalid {
                    field: "Status",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn missing_fields() {
        let xml = crate::rpc::test_util::envelope(
            "1-0",
            "<cwmp:SetParameterValues><ParameterKey>k</ParameterKey></cwmp:SetParameterValues>",
        );
        let err = crate::Envelope::parse(&xml).unwrap_err();
        assert_eq!(
            err.kind,
            crate::ParseErrorKind::MissingField("ParameterList")
        );
        // cwmp_ex: a SetParameterValues without ParameterKey reads as an empty key.
        let body = parse(
            "1-0",
            "<cwmp:SetParameterValues><ParameterList/></cwmp:SetParameterValues>",
        );
        assert_eq!(
            body,
            Body::SetParameterValues(SetParameterValues {
                parameter_list: vec![],
                parameter_key: String::new(),
            })
        );
    }

    #[test]
    fn write_bounds() {
        let long_key = SetParameterValues {
            parameter_list: vec![],
            parameter_key: "k".repeat(33),
        };
        assert_eq!(
            write_err(CwmpVersion::V1_0, long_key),
            WriteError::TooLong {
                field: "ParameterKey",
                len: 33,
                max: 32
            }
        );
        let long_name = SetParameterValues {
            parameter_list: vec![pvs(&"N".repeat(257), Value::Int(1))],
            parameter_key: String::new(),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long_name),
            WriteError::TooLong {
                field: "Name",
                len: 257,
                max: 256
            }
        ));
        let empty = GetParameterValues {
            parameter_names: vec![],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, empty),
            WriteError::Invalid {
                field: "ParameterNames",
                ..
            }
        ));
        let long_path = GetParameterValues {
            parameter_names: vec!["p".repeat(257)],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long_path),
            WriteError::TooLong {
                field: "ParameterNames",
                ..
            }
        ));
        let long_path = GetParameterNames {
            parameter_path: "p".repeat(257),
            next_level: false,
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long_path),
            WriteError::TooLong {
                field: "ParameterPath",
                ..
            }
        ));
        let control = SetParameterValues {
            parameter_list: vec![pvs("A", Value::string("\u{1}"))],
            parameter_key: String::new(),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, control),
            WriteError::InvalidChar {
                field: "Value",
                code: 1
            }
        ));
    }
}
