//! Optional features unlocked by signed vouchers: SetVouchers and GetOptions (TR-069 §A.4.1.2,
//! §A.4.1.3).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::datetime::DateTime;
use crate::error::{ParseError, WriteError};
use crate::rpc::checks::non_empty;
use crate::rpc::enums::int_enum;
use crate::rpc::lists::cwmp_array_item;
use crate::xml::field::{ArrayItem, Field, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// A voucher: a signed XML document, carried base64-encoded (`soap-enc:base64`). Serialized
/// as its base64 text.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Voucher(pub Vec<u8>);

impl fmt::Debug for Voucher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Voucher({} bytes)", self.0.len())
    }
}

impl Field for Voucher {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        name: &'static str,
    ) -> Result<Self, ParseError> {
        let text = r.text(element)?;
        // Lenient: line breaks and spaces inside the base64 text are ignored.
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        BASE64
            .decode(compact)
            .map(Voucher)
            .map_err(|e| r.invalid(element, name, format!("not base64: {e}")))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.leaf(name, &BASE64.encode(&self.0))
    }
}

impl ArrayItem for Voucher {
    const ITEM: &'static str = "base64";
    const ARRAY_TYPE: &'static str = "soap-enc:base64";
}

impl Serialize for Voucher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Voucher {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64
            .decode(text.as_bytes())
            .map(Voucher)
            .map_err(serde::de::Error::custom)
    }
}

int_enum! {
    /// Whether an option is enabled and set up (`OptionStruct/State`).
    pub enum OptionState {
        /// 0: disabled, not set up.
        DisabledNotSetUp = 0,
        /// 1: enabled, not set up.
        EnabledNotSetUp = 1,
        /// 2: disabled, set up.
        DisabledSetUp = 2,
        /// 3: enabled and set up.
        EnabledSetUp = 3,
    }
}

int_enum! {
    /// How an option is enabled (`OptionStruct/Mode`).
    pub enum OptionMode {
        /// 0: disabled.
        Disabled = 0,
        /// 1: enabled until `ExpirationDate`.
        EnabledWithExpiration = 1,
        /// 2: enabled for good.
        EnabledWithoutExpiration = 2,
    }
}

int_enum! {
    /// Whether an option may move to another device (`OptionStruct/IsTransferable`).
    pub enum Transferability {
        /// 0: bound to this device.
        NonTransferable = 0,
        /// 1: transferable.
        Transferable = 1,
    }
}

wire_struct! {
    /// One option and its state (`OptionStruct`).
    pub struct OptionStruct {
        /// The option; at most 64 characters.
        option_name: String = "OptionName" (max 64),
        /// Serial number of the voucher that set it.
        voucher_sn: u32 = "VoucherSN",
        /// Enabled and set up or not.
        state: OptionState = "State",
        /// How it is enabled.
        mode: OptionMode = "Mode",
        /// Since when.
        start_date: DateTime = "StartDate",
        /// Until when, for [`OptionMode::EnabledWithExpiration`].
        expiration_date: Option<DateTime> = "ExpirationDate",
        /// Whether it may move to another device.
        is_transferable: Transferability = "IsTransferable",
    }
}

cwmp_array_item!(OptionStruct);

wire_struct! {
    /// Gives the CPE vouchers that enable or disable options (TR-069 §A.4.1.2).
    pub struct SetVouchers {
        /// At least one voucher.
        voucher_list: Vec<Voucher> = "VoucherList" (check non_empty),
    }
}

wire_struct! {
    /// The (empty) answer to [`SetVouchers`].
    pub struct SetVouchersResponse {}
}

wire_struct! {
    /// Asks for the state of an option, or of all (TR-069 §A.4.1.3).
    pub struct GetOptions {
        /// The option, or empty for all; at most 64 characters.
        option_name: String = "OptionName" (max 64),
    }
}

wire_struct! {
    /// The answer to [`GetOptions`].
    pub struct GetOptionsResponse {
        /// The options.
        option_list: Vec<OptionStruct> = "OptionList",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::rpc::test_util::{parse, round_trip, write_err};
    use crate::version::CwmpVersion;

    fn option(name: &str) -> OptionStruct {
        OptionStruct {
            option_name: name.into(),
            voucher_sn: 12_345_678,
            state: OptionState::EnabledNotSetUp,
            mode: OptionMode::EnabledWithExpiration,
            start_date: "2015-01-10T23:45:12+00:00".parse().unwrap(),
            expiration_date: Some("2016-01-10T23:45:12Z".parse().unwrap()),
            is_transferable: Transferability::Transferable,
        }
    }

    #[test]
    fn set_vouchers() {
        // cwmp_ex: arrayType without prefix, base64 split over lines.
        let body = parse(
            "1-0",
            "<cwmp:SetVouchers><VoucherList SOAP-ENC:arrayType=\"base64[1]\">\
             <base64>PFNp\n  Z25h</base64></VoucherList></cwmp:SetVouchers>",
        );
        let request = SetVouchers {
            voucher_list: vec![Voucher(b"<Signa".to_vec())],
        };
        assert_eq!(body, Body::SetVouchers(request.clone()));
        let xml = round_trip(CwmpVersion::V1_0, request.clone());
        assert!(xml.contains(
            "<VoucherList soap-enc:arrayType=\"soap-enc:base64[1]\"><base64>PFNpZ25h</base64>"
        ));
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"VoucherList": ["PFNpZ25h"]})
        );
        round_trip(CwmpVersion::V1_0, SetVouchersResponse {});
        let bad = crate::rpc::test_util::envelope(
            "1-0",
            "<cwmp:SetVouchers><VoucherList><base64>@@</base64></VoucherList></cwmp:SetVouchers>",
        );
        assert!(crate::Envelope::parse(&bad).is_err());
    }

    #[test]
    fn get_options() {
        let body = parse("1-0", "<cwmp:GetOptions><OptionName/></cwmp:GetOptions>");
        assert_eq!(
            body,
            Body::GetOptions(GetOptions {
                option_name: String::new()
            })
        );
        round_trip(
            CwmpVersion::V1_0,
            GetOptions {
                option_name: "First Option".into(),
            },
        );
        let body = parse(
            "1-0",
            r#"<cwmp:GetOptionsResponse><OptionList SOAP-ENC:arrayType="cwmp:OptionStruct[2]">
              <OptionStruct><OptionName>First Option</OptionName><VoucherSN>12345678</VoucherSN>
                <State>1</State><Mode>1</Mode><StartDate>2015-01-10T23:45:12+00:00</StartDate>
                <ExpirationDate>2016-01-10T23:45:12Z</ExpirationDate><IsTransferable>1</IsTransferable>
              </OptionStruct>
              <OptionStruct><IsTransferable>0</IsTransferable><Mode>2</Mode><State>3</State>
                <StartDate>2015-01-10T23:45:12+00:00</StartDate><VoucherSN>1</VoucherSN>
                <OptionName>Second</OptionName></OptionStruct>
            </OptionList></cwmp:GetOptionsResponse>"#,
        );
        let second = OptionStruct {
            option_name: "Second".into(),
            voucher_sn: 1,
            state: OptionState::EnabledSetUp,
            mode: OptionMode::EnabledWithoutExpiration,
            expiration_date: None,
            is_transferable: Transferability::NonTransferable,
            ..option("")
        };
        let expected = GetOptionsResponse {
            option_list: vec![option("First Option"), second],
        };
        assert_eq!(body, Body::GetOptionsResponse(expected.clone()));
        let xml = round_trip(CwmpVersion::V1_0, expected);
        assert!(xml.contains("<StartDate>2015-01-10T23:45:12Z</StartDate><IsTransferable>0"));
    }

    #[test]
    fn write_bounds() {
        assert!(matches!(
            write_err(
                CwmpVersion::V1_0,
                SetVouchers {
                    voucher_list: vec![]
                }
            ),
            WriteError::Invalid {
                field: "VoucherList",
                ..
            }
        ));
        assert!(matches!(
            write_err(
                CwmpVersion::V1_0,
                GetOptions {
                    option_name: "o".repeat(65)
                }
            ),
            WriteError::TooLong {
                field: "OptionName",
                ..
            }
        ));
        let cases = [
            OptionStruct {
                state: OptionState::Other(4),
                ..option("a")
            },
            OptionStruct {
                mode: OptionMode::Other(3),
                ..option("a")
            },
            OptionStruct {
                is_transferable: Transferability::Other(2),
                ..option("a")
            },
            OptionStruct {
                option_name: "o".repeat(65),
                ..option("a")
            },
        ];
        for bad in cases {
            let err = write_err(
                CwmpVersion::V1_0,
                GetOptionsResponse {
                    option_list: vec![bad],
                },
            );
            assert!(
                matches!(err, WriteError::Invalid { .. } | WriteError::TooLong { .. }),
                "{err:?}"
            );
        }
    }
}
