//! Session start and discovery: Inform (TR-069 §A.3.3.1), Kicked (§A.4.1.3) and
//! GetRPCMethods (§A.3.1.1), with the device identity and the event list.

use crate::datetime::DateTime;
use crate::error::{ParseError, WriteError};
use crate::event::EventCode;
use crate::rpc::checks::{
    each_max, is_token, non_empty, numbered, oui, version_rule, x_named, x_oui_any,
};
use crate::rpc::lists::cwmp_array_item;
use crate::rpc::parameters::ParameterValueStruct;
use crate::version::CwmpVersion;
use crate::xml::field::{Field, check_max, decode_from_str, require_version, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

wire_struct! {
    /// Who the CPE is (`DeviceIdStruct`).
    pub struct DeviceId {
        /// The manufacturer's name; at most 64 characters.
        manufacturer: String = "Manufacturer" (max 64),
        /// The manufacturer's OUI: six uppercase hexadecimal digits on writing (read as sent).
        oui: String = "OUI" (check oui),
        /// The product class; at most 64 characters.
        product_class: String = "ProductClass" (max 64),
        /// The serial number; at most 64 characters.
        serial_number: String = "SerialNumber" (max 64),
    }
}

wire_struct! {
    /// One reason for the session (`EventStruct`).
    pub struct EventStruct {
        /// The event.
        event_code: EventCode = "EventCode",
        /// The `CommandKey` of the method that caused an `M …` event, else empty; at most 32
        /// characters.
        command_key: String = "CommandKey" (max 32),
    }
}

cwmp_array_item!(EventStruct);

wire_struct! {
    /// Opens every session: who the CPE is, why it calls, and the values the ACS always
    /// wants (TR-069 §A.3.3.1).
    pub struct Inform {
        /// The CPE's identity.
        device_id: DeviceId = "DeviceId",
        /// Why the session was opened; at most 64 events.
        event: Vec<EventStruct> = "Event" (max 64),
        /// Always 1 in practice.
        max_envelopes: u32 = "MaxEnvelopes",
        /// The CPE's clock, or the Unknown Time.
        current_time: DateTime = "CurrentTime",
        /// How many attempts to inform have failed in a row.
        retry_count: u32 = "RetryCount",
        /// Forced inform parameters and changed values under notification.
        parameter_list: Vec<ParameterValueStruct> = "ParameterList",
    }
}

wire_struct! {
    /// The answer to [`Inform`].
    pub struct InformResponse {
        /// Always 1 in practice.
        max_envelopes: u32 = "MaxEnvelopes",
    }
}

wire_struct! {
    /// A web-based "kick" of the CPE by a user's browser (TR-069 §A.4.1.3, Annex B style).
    pub struct Kicked {
        /// The command; at most 32 characters.
        command: String = "Command" (max 32),
        /// The referring page; at most 64 characters.
        referer: String = "Referer" (max 64),
        /// The command's argument; at most 256 characters.
        arg: String = "Arg" (max 256),
        /// Where the browser should go next; at most 1024 characters.
        next: String = "Next" (max 1024),
    }
}

wire_struct! {
    /// The answer to [`Kicked`].
    pub struct KickedResponse {
        /// Where to send the browser; at most 1024 characters.
        next_url: String = "NextURL" (max 1024),
    }
}

wire_struct! {
    /// Asks which methods the peer supports (TR-069 §A.3.1.1).
    pub struct GetRPCMethods {}
}

wire_struct! {
    /// The answer to [`GetRPCMethods`].
    pub struct GetRPCMethodsResponse {
        /// Method names; at least one, each at most 64 characters.
        method_list: Vec<String> = "MethodList" (check non_empty) (check each_max::<64>),
    }
}

/// The event codes `cwmp-1-0.xsd` lists one by one.
const EVENTS_1_0: &[&str] = &[
    "0 BOOTSTRAP",
    "1 BOOT",
    "2 PERIODIC",
    "3 SCHEDULED",
    "4 VALUE CHANGE",
    "5 KICKED",
    "6 CONNECTION REQUEST",
    "7 TRANSFER COMPLETE",
    "8 DIAGNOSTICS COMPLETE",
    "9 REQUEST DOWNLOAD",
    "M Reboot",
    "M ScheduleInform",
    "M Download",
    "M Upload",
];

/// Whether `text` matches `EventCodeType` of the schema of `version`.
fn event_code_pattern(version: CwmpVersion, text: &str) -> bool {
    let method = text.strip_prefix("M ");
    let old = EVENTS_1_0.contains(&text)
        || method.is_some_and(|m| m.starts_with("X_") && is_token(m))
        || x_oui_any(text);
    match version {
        CwmpVersion::V1_0 => old,
        CwmpVersion::V1_1 => old || numbered(text, false) || method.is_some_and(is_token),
        _ => numbered(text, false) || method.is_some_and(is_token) || x_named(text),
    }
}

/// Lenient on reading (see [`EventCode`]'s `FromStr`); on writing, at most 64 characters, a
/// code no newer than the version written, and the version's `EventCodeType` pattern.
impl Field for EventCode {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError> {
        decode_from_str(r, element, name)
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        let text = self.as_str().into_owned();
        check_max(&text, name, EventCode::MAX_LEN)?;
        let since = match self.since() {
            Some((1, 1)) => CwmpVersion::V1_1,
            Some((1, 2)) => CwmpVersion::V1_2,
            Some((1, 3)) => CwmpVersion::V1_3,
            Some((1, 4)) => CwmpVersion::V1_4,
            _ => CwmpVersion::V1_0,
        };
        require_version(w, since, &format!("{name} {text:?}"))?;
        version_rule(w, name, &text, |v| event_code_pattern(v, &text))?;
        w.leaf(name, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::value::Value;

    fn inform(events: &[(&str, &str)]) -> Inform {
        Inform {
            device_id: DeviceId {
                manufacturer: "ACME".into(),
                oui: "00D09E".into(),
                product_class: "Router".into(),
                serial_number: "SN1".into(),
            },
            event: events
                .iter()
                .map(|(code, key)| EventStruct {
                    event_code: code.parse().unwrap(),
                    command_key: (*key).into(),
                })
                .collect(),
            max_envelopes: 1,
            current_time: "2024-05-01T10:00:00Z".parse().unwrap(),
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct {
                name: "Device.DeviceInfo.SoftwareVersion".into(),
                value: Value::string("1.0"),
            }],
        }
    }

    #[test]
    fn inform_with_vendor_quirks() {
        // soapenv prefix, lowercase OUI, reordered DeviceId and Inform fields, wrong arrayType
        // counts, a lowercase event code, an untyped value and an unknown element.
        let body = parse(
            "1-0",
            r#"<cwmp:Inform>
              <Event SOAP-ENC:arrayType="cwmp:EventStruct[5]">
                <EventStruct><CommandKey/><EventCode>0 bootstrap</EventCode></EventStruct>
                <EventStruct><EventCode>M Reboot</EventCode><CommandKey>rb1</CommandKey></EventStruct>
              </Event>
              <DeviceId><OUI>00a859</OUI><Manufacturer>ACME</Manufacturer>
                <SerialNumber>SN1</SerialNumber><ProductClass>Router</ProductClass></DeviceId>
              <MaxEnvelopes>1</MaxEnvelopes>
              <X_Vendor><Nested/></X_Vendor>
              <RetryCount>2</RetryCount>
              <CurrentTime>2016-01-30T13:20:27+01:00</CurrentTime>
              <ParameterList SOAP-ENC:arrayType="cwmp:ParameterValueStruct[0008]">
                <ParameterValueStruct><Name>Device.X</Name><Value>v</Value></ParameterValueStruct>
              </ParameterList>
            </cwmp:Inform>"#,
        );
        let Body::Inform(inform) = body else {
            panic!("{body:?}")
        };
        assert_eq!(inform.device_id.oui, "00a859");
        assert_eq!(inform.event[0].event_code, EventCode::Bootstrap);
        assert_eq!(inform.event[1].command_key, "rb1");
        assert_eq!(inform.retry_count, 2);
        assert_eq!(inform.parameter_list[0].value, Value::Untyped("v".into()));
        // A lowercase OUI is read, but not written.
        let err = write_err(CwmpVersion::V1_0, inform.clone());
        assert!(
            matches!(err, WriteError::Invalid { field: "OUI", .. }),
            "{err:?}"
        );
        let mut fixed = inform;
        fixed.device_id.oui = "00A859".into();
        fixed.parameter_list[0].value = Value::string("v");
        let xml = round_trip(CwmpVersion::V1_0, fixed);
        assert!(xml.contains(
            "<cwmp:Inform><DeviceId><Manufacturer>ACME</Manufacturer><OUI>00A859</OUI>\
             <ProductClass>Router</ProductClass><SerialNumber>SN1</SerialNumber></DeviceId>\
             <Event soap-enc:arrayType=\"cwmp:EventStruct[2]\"><EventStruct>\
             <EventCode>0 BOOTSTRAP</EventCode><CommandKey></CommandKey></EventStruct>"
        ));
        assert!(xml.contains(
            "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2016-01-30T13:20:27+01:00</CurrentTime>\
             <RetryCount>2</RetryCount><ParameterList"
        ));
    }

    #[test]
    fn inform_response_kicked_and_rpc_methods() {
        let body = parse(
            "1-2",
            "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>",
        );
        assert_eq!(
            body,
            Body::InformResponse(InformResponse { max_envelopes: 1 })
        );
        round_trip(CwmpVersion::V1_0, InformResponse { max_envelopes: 1 });

        let body = parse(
            "1-0",
            "<cwmp:Kicked><Next>http://example.com/next</Next><Command>cmd</Command>\
             <Referer>host</Referer><Arg>success</Arg></cwmp:Kicked>",
        );
        let kicked = Kicked {
            command: "cmd".into(),
            referer: "host".into(),
            arg: "success".into(),
            next: "http://example.com/next".into(),
        };
        assert_eq!(body, Body::Kicked(kicked.clone()));
        round_trip(CwmpVersion::V1_0, kicked);
        round_trip(
            CwmpVersion::V1_0,
            KickedResponse {
                next_url: "http://example.com/".into(),
            },
        );

        let body = parse("1-0", "<cwmp:GetRPCMethods/>");
        assert_eq!(body, Body::GetRPCMethods(GetRPCMethods {}));
        let body = parse(
            "1-0",
            r#"<cwmp:GetRPCMethodsResponse><MethodList SOAP-ENC:arrayType="xsd:string[1]">
                <string>GetRPCMethods</string><string>Inform</string></MethodList>
              </cwmp:GetRPCMethodsResponse>"#,
        );
        let methods = GetRPCMethodsResponse {
            method_list: vec!["GetRPCMethods".into(), "Inform".into()],
        };
        assert_eq!(body, Body::GetRPCMethodsResponse(methods.clone()));
        let xml = round_trip(CwmpVersion::V1_0, methods);
        assert!(xml.contains("<MethodList soap-enc:arrayType=\"xsd:string[2]\"><string>"));
    }

    #[test]
    fn event_codes_per_version() {
        // Valid everywhere.
        for version in CwmpVersion::ALL {
            round_trip(version, inform(&[("1 BOOT", ""), ("X 00D09E Thing", "")]));
        }
        // Newer codes.
        let cases = [
            ("10 AUTONOMOUS TRANSFER COMPLETE", CwmpVersion::V1_1),
            ("11 DU STATE CHANGE COMPLETE", CwmpVersion::V1_2),
            ("M ChangeDUState", CwmpVersion::V1_2),
            ("X ACME Thing", CwmpVersion::V1_2),
            ("14 FUTURE THING", CwmpVersion::V1_1),
            ("M FactoryReset", CwmpVersion::V1_1),
            ("13 WAKEUP", CwmpVersion::V1_4),
        ];
        for (code, since) in cases {
            for version in CwmpVersion::ALL {
                let result = crate::rpc::test_util::write(version, inform(&[(code, "")]));
                if version >= since {
                    assert!(result.is_ok(), "{code} in {version}: {result:?}");
                } else {
                    let err = result.unwrap_err();
                    assert!(
                        matches!(err, WriteError::NotInVersion { .. }),
                        "{code} in {version}: {err:?}"
                    );
                }
            }
        }
        // Never valid.
        for code in ["BOOT", "X 00D09E", "M two words", "0  BOOT"] {
            let err = write_err(CwmpVersion::V1_4, inform(&[(code, "")]));
            assert!(
                matches!(
                    err,
                    WriteError::Invalid {
                        field: "EventCode",
                        ..
                    }
                ),
                "{code}: {err:?}"
            );
        }
    }

    #[test]
    fn write_bounds() {
        let events: Vec<(&str, &str)> = vec![("M Download", ""); 65];
        assert_eq!(
            write_err(CwmpVersion::V1_0, inform(&events)),
            WriteError::TooMany {
                field: "Event",
                len: 65,
                max: 64
            }
        );
        let key = "k".repeat(33);
        assert!(matches!(
            write_err(CwmpVersion::V1_0, inform(&[("M Reboot", key.as_str())])),
            WriteError::TooLong {
                field: "CommandKey",
                ..
            }
        ));
        let long_code = format!("X 00D09E {}", "e".repeat(60));
        let mut long = inform(&[]);
        long.event.push(EventStruct {
            event_code: EventCode::Vendor(long_code),
            command_key: String::new(),
        });
        assert!(matches!(
            write_err(CwmpVersion::V1_0, long),
            WriteError::TooLong {
                field: "EventCode",
                len: 69,
                max: 64
            }
        ));
        for (field, set) in [
            (
                "Manufacturer",
                (|d: &mut DeviceId| d.manufacturer = "m".repeat(65)) as fn(&mut DeviceId),
            ),
            ("ProductClass", |d| d.product_class = "p".repeat(65)),
            ("SerialNumber", |d| d.serial_number = "s".repeat(65)),
        ] {
            let mut message = inform(&[]);
            set(&mut message.device_id);
            let err = write_err(CwmpVersion::V1_0, message);
            assert!(
                matches!(err, WriteError::TooLong { field: f, max: 64, .. } if f == field),
                "{err:?}"
            );
        }
        for bad in ["00D09", "00D09EE", "00D0GE"] {
            let mut message = inform(&[]);
            message.device_id.oui = bad.into();
            assert!(matches!(
                write_err(CwmpVersion::V1_0, message),
                WriteError::Invalid { field: "OUI", .. }
            ));
        }
        let kicked = Kicked {
            command: "c".repeat(33),
            referer: String::new(),
            arg: String::new(),
            next: String::new(),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, kicked),
            WriteError::TooLong {
                field: "Command",
                ..
            }
        ));
        let response = KickedResponse {
            next_url: "u".repeat(1025),
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, response),
            WriteError::TooLong {
                field: "NextURL",
                ..
            }
        ));
        let methods = GetRPCMethodsResponse {
            method_list: vec!["m".repeat(65)],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, methods),
            WriteError::TooLong {
                field: "MethodList",
                ..
            }
        ));
        let methods = GetRPCMethodsResponse {
            method_list: vec![],
        };
        assert!(matches!(
            write_err(CwmpVersion::V1_0, methods),
            WriteError::Invalid {
                field: "MethodList",
                ..
            }
        ));
    }
}
