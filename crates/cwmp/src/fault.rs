//! CWMP fault codes (TR-069 Annex A.5.1) and the SOAP `faultcode` each one maps to.
//!
//! The accepted ranges come from the Broadband Forum schemas: `CPEFaultCodeType`
//! (9000-9799), `CPEVendorFaultCodeType` (9800-9899), `ACSFaultCodeType` (8000-8799)
//! and `ACSVendorFaultCodeType` (8800-8899) in `cwmp-1-2.xsd` and later.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A CWMP fault code, guaranteed to lie in one of the ranges the schemas allow.
///
/// Serialized as a plain number. `0` ("no fault" in `TransferCompleteFaultStruct`)
/// is *not* a fault code; see [`FaultCode::from_transfer_complete`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct FaultCode(u32);

/// Which side of the protocol a fault code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultOrigin {
    /// 8000-8899: faults the ACS returns to the CPE.
    Acs,
    /// 9000-9899: faults the CPE returns to the ACS.
    Cpe,
}

/// The SOAP 1.1 `faultcode` (TR-069 Tables 53/54, "Type" column) for a CWMP fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The request itself was at fault (SOAP `Client`, SOAP 1.2 `Sender`).
    Client,
    /// The responder failed to process a valid request (SOAP `Server`, 1.2 `Receiver`).
    Server,
    /// A header element marked `mustUnderstand="1"` was not understood (SOAP 1.1 §4.4.1
    /// `MustUnderstand`): a SOAP-level fault, never with a CWMP detail.
    MustUnderstand,
}

/// Why a number or text is not an acceptable CWMP fault code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultCodeError {
    /// The number is outside 8000-8899 and 9000-9899.
    #[error("fault code {0} is outside the CWMP ranges 8000-8899 and 9000-9899")]
    OutOfRange(u32),
    /// An ACS fault code where only CPE codes are allowed (`TransferComplete`).
    #[error("fault code {0} is an ACS fault code; TransferComplete carries CPE codes only")]
    NotCpeCode(u32),
    /// The text is not a decimal number.
    #[error("invalid fault code {0:?}: expected a decimal number")]
    Invalid(String),
}

/// The text was not a SOAP `faultcode` that maps to [`FaultKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised SOAP faultcode {0:?}")]
pub struct FaultKindError(pub String);

// Defines one associated constant per standard code and the `STANDARD` lookup table
// (sorted by value) from a single list, so names, kinds and constants cannot drift.
macro_rules! standard_fault_codes {
    ($($name:ident = $value:literal, $kind:ident, $text:literal;)*) => {
        impl FaultCode {
            $(
                #[doc = concat!("`", stringify!($value), "` ", $text, " (SOAP `", stringify!($kind), "`).")]
                pub const $name: FaultCode = FaultCode($value);
            )*
        }

        /// Every standard code, sorted by value: (code, SOAP fault kind, description).
        const STANDARD: &[(u32, FaultKind, &str)] = &[$(($value, FaultKind::$kind, $text),)*];
    };
}

// Descriptions: `ACSFaultCodeType` (cwmp-1-4.xsd) and `CPEFaultCodeType` (cwmp-1-2.xsd),
// with the schema's "Deployement" typo fixed and its en dashes written as "-".
//
// Client/Server column. The TR-069 Amendment 6 text itself (Tables 53/54) was not
// available here, so the column was reconstructed as follows:
// * 8000-8005 and 9000-9019: three independent implementations that copied the TR-069
//   table agree (Google catawampus `api_soap.py`, PIVA easycwmp `xml.c`, iopsys icwmp
//   `common.c`); notably 9000, 9009 and 9013 are Server there, not Client.
// * 9020: Server per icwmp (a transfer failure like 9014-9019).
// * 8006, 9021-9032: no table found. 8006 is Server (the default for unknown codes);
//   9021-9032 follow "bad argument or wrong state = Client, resource shortage = Server",
//   so only 9027 is Server. icwmp marks 9026-9032 Server instead. These DU codes are
//   normally carried in a DUStateChangeComplete `FaultStruct`, where no SOAP faultcode
//   is sent, so the column rarely matters for them.
standard_fault_codes! {
    ACS_METHOD_NOT_SUPPORTED = 8000, Server, "Method not supported";
    ACS_REQUEST_DENIED = 8001, Server, "Request denied (no reason specified)";
    ACS_INTERNAL_ERROR = 8002, Server, "Internal error";
    ACS_INVALID_ARGUMENTS = 8003, Client, "Invalid arguments";
    ACS_RESOURCES_EXCEEDED = 8004, Server, "Resources exceeded";
    ACS_RETRY_REQUEST = 8005, Server, "Retry request";
    ACS_VERSION_INCOMPATIBLE = 8006, Server, "ACS version incompatible with CPE";
    METHOD_NOT_SUPPORTED = 9000, Server, "Method not supported";
    REQUEST_DENIED = 9001, Server, "Request denied (no reason specified)";
    INTERNAL_ERROR = 9002, Server, "Internal error";
    INVALID_ARGUMENTS = 9003, Client, "Invalid arguments";
    RESOURCES_EXCEEDED = 9004, Server, "Resources exceeded";
    INVALID_PARAMETER_NAME = 9005, Client, "Invalid parameter name";
    INVALID_PARAMETER_TYPE = 9006, Client, "Invalid parameter type";
    INVALID_PARAMETER_VALUE = 9007, Client, "Invalid parameter value";
    NON_WRITABLE_PARAMETER = 9008, Client, "Attempt to set a non-writable parameter";
    NOTIFICATION_REQUEST_REJECTED = 9009, Server, "Notification request rejected";
    FILE_TRANSFER_FAILURE = 9010, Server, "File transfer failure";
    UPLOAD_FAILURE = 9011, Server, "Upload failure";
    FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE = 9012, Server,
        "File transfer server authentication failure";
    UNSUPPORTED_FILE_TRANSFER_PROTOCOL = 9013, Server, "Unsupported protocol for file transfer";
    FILE_TRANSFER_MULTICAST_JOIN_FAILURE = 9014, Server,
        "File transfer failure: unable to join multicast group";
    FILE_TRANSFER_SERVER_UNREACHABLE = 9015, Server,
        "File transfer failure: unable to contact file server";
    FILE_TRANSFER_FILE_ACCESS_FAILURE = 9016, Server,
        "File transfer failure: unable to access file";
    FILE_TRANSFER_INCOMPLETE = 9017, Server,
        "File transfer failure: unable to complete download";
    FILE_TRANSFER_FILE_CORRUPTED = 9018, Server, "File transfer failure: file corrupted";
    FILE_TRANSFER_FILE_AUTHENTICATION_FAILURE = 9019, Server,
        "File transfer failure: file authentication failure";
    FILE_TRANSFER_WINDOW_EXCEEDED = 9020, Server,
        "File transfer failure: unable to complete download within specified time windows";
    CANCELATION_NOT_PERMITTED = 9021, Client,
        "Cancelation of file transfer not permitted in current transfer state";
    INVALID_UUID_FORMAT = 9022, Client, "Invalid UUID Format";
    UNKNOWN_EXECUTION_ENVIRONMENT = 9023, Client, "Unknown Execution Environment";
    DISABLED_EXECUTION_ENVIRONMENT = 9024, Client, "Disabled Execution Environment";
    DEPLOYMENT_UNIT_EE_MISMATCH = 9025, Client,
        "Deployment Unit to Execution Environment Mismatch";
    DUPLICATE_DEPLOYMENT_UNIT = 9026, Client, "Duplicate Deployment Unit";
    SYSTEM_RESOURCES_EXCEEDED = 9027, Server, "System Resources Exceeded";
    UNKNOWN_DEPLOYMENT_UNIT = 9028, Client, "Unknown Deployment Unit";
    INVALID_DEPLOYMENT_UNIT_STATE = 9029, Client, "Invalid Deployment Unit State";
    DEPLOYMENT_UNIT_DOWNGRADE_NOT_PERMITTED = 9030, Client,
        "Invalid Deployment Unit Update - Downgrade not permitted";
    DEPLOYMENT_UNIT_VERSION_NOT_SPECIFIED = 9031, Client,
        "Invalid Deployment Unit Update - Version not specified";
    DEPLOYMENT_UNIT_VERSION_EXISTS = 9032, Client,
        "Invalid Deployment Unit Update - Version already exists";
}

impl FaultCode {
    /// Validates `value`: Ok exactly for 8000-8899 (ACS) and 9000-9899 (CPE).
    ///
    /// # Errors
    /// [`FaultCodeError::OutOfRange`] for any other number.
    pub const fn new(value: u32) -> Result<Self, FaultCodeError> {
        match value {
            8000..=8899 | 9000..=9899 => Ok(Self(value)),
            _ => Err(FaultCodeError::OutOfRange(value)),
        }
    }

    /// Reads a `TransferCompleteFaultStruct/FaultCode`: `0` ("no fault") is `None`.
    ///
    /// Lenient: any CPE code is accepted, not only the `TransferCompleteCPEFaultCodeType`
    /// subset; ACS codes are rejected since only the CPE sends `TransferComplete`.
    ///
    /// # Errors
    /// [`FaultCodeError::NotCpeCode`] for 8000-8899, [`FaultCodeError::OutOfRange`] for
    /// any other number that is neither 0 nor 9000-9899.
    pub const fn from_transfer_complete(value: u32) -> Result<Option<Self>, FaultCodeError> {
        match value {
            0 => Ok(None),
            8000..=8899 => Err(FaultCodeError::NotCpeCode(value)),
            9000..=9899 => Ok(Some(Self(value))),
            _ => Err(FaultCodeError::OutOfRange(value)),
        }
    }

    /// The numeric value.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// The description of a standard code; `None` for unassigned and vendor codes.
    pub fn name(self) -> Option<&'static str> {
        self.standard().map(|(_, _, text)| text)
    }

    /// The SOAP faultcode to send with this fault; unassigned/vendor codes are `Server`.
    pub fn kind(self) -> FaultKind {
        self.standard()
            .map_or(FaultKind::Server, |(_, kind, _)| kind)
    }

    /// Whether the ACS (8xxx) or the CPE (9xxx) raises this code.
    pub const fn origin(self) -> FaultOrigin {
        if self.0 < 9000 {
            FaultOrigin::Acs
        } else {
            FaultOrigin::Cpe
        }
    }

    /// True for the vendor extension ranges 8800-8899 and 9800-9899.
    pub const fn is_vendor(self) -> bool {
        matches!(self.0, 8800..=8899 | 9800..=9899)
    }

    /// True if this code has a standard TR-069 meaning (i.e. [`name`](Self::name) is `Some`).
    pub fn is_standard(self) -> bool {
        self.standard().is_some()
    }

    fn standard(self) -> Option<(u32, FaultKind, &'static str)> {
        STANDARD
            .binary_search_by_key(&self.0, |&(value, _, _)| value)
            .ok()
            .map(|i| STANDARD[i])
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for FaultCode {
    type Err = FaultCodeError;

    /// Parses trimmed decimal text, then range-checks it as [`FaultCode::new`] does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let value: u32 = text
            .parse()
            .map_err(|_| FaultCodeError::Invalid(text.to_owned()))?;
        Self::new(value)
    }
}

impl TryFrom<u32> for FaultCode {
    type Error = FaultCodeError;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<FaultCode> for u32 {
    fn from(code: FaultCode) -> u32 {
        code.0
    }
}

impl FaultKind {
    /// The unprefixed SOAP 1.1 `faultcode` local name: `"Client"`, `"Server"` or
    /// `"MustUnderstand"`.
    pub const fn as_soap_faultcode(self) -> &'static str {
        match self {
            FaultKind::Client => "Client",
            FaultKind::Server => "Server",
            FaultKind::MustUnderstand => "MustUnderstand",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_soap_faultcode())
    }
}

impl FromStr for FaultKind {
    type Err = FaultKindError;

    /// Lenient on peer text: trims, drops any namespace prefix (`SOAP-ENV:`) and any
    /// dotted SOAP 1.1 sub-code (`Client.Auth`), ignores case, and also accepts the
    /// SOAP 1.2 names `Sender` (= Client) and `Receiver` (= Server).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let local = s.trim().rsplit(':').next().unwrap_or_default();
        let head = local.split('.').next().unwrap_or_default().trim();
        if head.eq_ignore_ascii_case("client") || head.eq_ignore_ascii_case("sender") {
            Ok(FaultKind::Client)
        } else if head.eq_ignore_ascii_case("server") || head.eq_ignore_ascii_case("receiver") {
            Ok(FaultKind::Server)
        } else if head.eq_ignore_ascii_case("mustunderstand") {
            Ok(FaultKind::MustUnderstand)
        } else {
            Err(FaultKindError(s.to_owned()))
        }
    }
}

/// Serialized as `"Client"` / `"Server"` / `"MustUnderstand"`.
impl Serialize for FaultKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_soap_faultcode())
    }
}

/// Deserialized leniently, exactly as [`FaultKind::from_str`] parses.
impl<'de> Deserialize<'de> for FaultKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn in_range(n: u32) -> bool {
        (8000..=8899).contains(&n) || (9000..=9899).contains(&n)
    }

    #[test]
    fn range_boundaries() {
        for ok in [8000, 8799, 8800, 8899, 9000, 9799, 9800, 9899] {
            assert_eq!(FaultCode::new(ok).map(FaultCode::value), Ok(ok), "{ok}");
        }
        for bad in [0, 1, 7999, 8900, 8999, 9900, 10000, u32::MAX] {
            assert_eq!(FaultCode::new(bad), Err(FaultCodeError::OutOfRange(bad)));
        }
    }

    #[test]
    fn standard_table_is_sorted_complete_and_in_range() {
        assert!(STANDARD.windows(2).all(|w| w[0].0 < w[1].0));
        let values: Vec<u32> = STANDARD.iter().map(|s| s.0).collect();
        let expected: Vec<u32> = (8000..=8006).chain(9000..=9032).collect();
        assert_eq!(values, expected);
        assert!(values.iter().all(|&v| FaultCode::new(v).is_ok()));
    }

    #[test]
    fn names() {
        assert_eq!(FaultCode::INVALID_PARAMETER_NAME.value(), 9005);
        assert_eq!(
            FaultCode::INVALID_PARAMETER_NAME.name(),
            Some("Invalid parameter name")
        );
        assert_eq!(FaultCode::ACS_RETRY_REQUEST.name(), Some("Retry request"));
        assert_eq!(
            FaultCode::ACS_VERSION_INCOMPATIBLE.name(),
            Some("ACS version incompatible with CPE")
        );
        assert_eq!(
            FaultCode::FILE_TRANSFER_FAILURE.name(),
            Some("File transfer failure")
        );
        assert_eq!(
            FaultCode::DEPLOYMENT_UNIT_VERSION_EXISTS.name(),
            Some("Invalid Deployment Unit Update - Version already exists")
        );
        for unnamed in [8007, 8799, 8800, 9033, 9799, 9800, 9899] {
            let code = FaultCode::new(unnamed).unwrap();
            assert_eq!(code.name(), None, "{unnamed}");
            assert!(!code.is_standard());
        }
    }

    #[test]
    fn kinds() {
        let client = [
            8003, 9003, 9005, 9006, 9007, 9008, 9021, 9022, 9026, 9028, 9032,
        ];
        for n in client {
            assert_eq!(FaultCode::new(n).unwrap().kind(), FaultKind::Client, "{n}");
        }
        let server = [
            8000, 8001, 8002, 8004, 8005, 8006, 9000, 9001, 9002, 9004, 9009,
        ];
        let server_transfer = [9010, 9013, 9014, 9019, 9020, 9027];
        let unassigned = [8007, 8800, 9033, 9800, 9899];
        for n in server.into_iter().chain(server_transfer).chain(unassigned) {
            assert_eq!(FaultCode::new(n).unwrap().kind(), FaultKind::Server, "{n}");
        }
    }

    #[test]
    fn origin_and_vendor() {
        assert_eq!(FaultCode::ACS_INTERNAL_ERROR.origin(), FaultOrigin::Acs);
        assert_eq!(FaultCode::new(8899).unwrap().origin(), FaultOrigin::Acs);
        assert_eq!(FaultCode::METHOD_NOT_SUPPORTED.origin(), FaultOrigin::Cpe);
        assert_eq!(FaultCode::new(9899).unwrap().origin(), FaultOrigin::Cpe);
        for (n, vendor) in [
            (8799, false),
            (8800, true),
            (8899, true),
            (9799, false),
            (9800, true),
        ] {
            assert_eq!(FaultCode::new(n).unwrap().is_vendor(), vendor, "{n}");
        }
    }

    #[test]
    fn transfer_complete_fault_code() {
        assert_eq!(FaultCode::from_transfer_complete(0), Ok(None));
        assert_eq!(
            FaultCode::from_transfer_complete(9010),
            Ok(Some(FaultCode::FILE_TRANSFER_FAILURE))
        );
        assert_eq!(
            FaultCode::from_transfer_complete(9850)
                .unwrap()
                .unwrap()
                .value(),
            9850
        );
        assert_eq!(
            FaultCode::from_transfer_complete(8002),
            Err(FaultCodeError::NotCpeCode(8002))
        );
        assert_eq!(
            FaultCode::from_transfer_complete(1),
            Err(FaultCodeError::OutOfRange(1))
        );
    }

    #[test]
    fn display_and_from_str() {
        assert_eq!(FaultCode::INTERNAL_ERROR.to_string(), "9002");
        assert_eq!(" 9005\n".parse(), Ok(FaultCode::INVALID_PARAMETER_NAME));
        assert_eq!("8899".parse::<FaultCode>().map(FaultCode::value), Ok(8899));
        assert_eq!(
            "9900".parse::<FaultCode>(),
            Err(FaultCodeError::OutOfRange(9900))
        );
        for bad in ["", " ", "abc", "90 05", "-9005", "0x2329", "99999999999"] {
            assert!(
                matches!(bad.parse::<FaultCode>(), Err(FaultCodeError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn serde_as_plain_number() {
        let json = serde_json::to_string(&FaultCode::INVALID_ARGUMENTS).unwrap();
        assert_eq!(json, "9003");
        let back: FaultCode = serde_json::from_str("8005").unwrap();
        assert_eq!(back, FaultCode::ACS_RETRY_REQUEST);
        assert!(serde_json::from_str::<FaultCode>("0").is_err());
        assert!(serde_json::from_str::<FaultCode>("9900").is_err());
        assert!(serde_json::from_str::<FaultCode>("\"9003\"").is_err());
    }

    #[test]
    fn fault_kind_soap_text() {
        assert_eq!(FaultKind::Client.as_soap_faultcode(), "Client");
        assert_eq!(FaultKind::Server.to_string(), "Server");
        let client = [
            "Client",
            "client",
            "SOAP-ENV:Client",
            "soap:Client.Auth",
            " Sender ",
        ];
        for text in client {
            assert_eq!(text.parse(), Ok(FaultKind::Client), "{text:?}");
        }
        let server = [
            "Server",
            "SERVER",
            "soap:Server",
            "env:Receiver",
            "receiver",
        ];
        for text in server {
            assert_eq!(text.parse(), Ok(FaultKind::Server), "{text:?}");
        }
        for text in [
            "MustUnderstand",
            "SOAP-ENV:MustUnderstand",
            "mustunderstand",
        ] {
            assert_eq!(text.parse(), Ok(FaultKind::MustUnderstand), "{text:?}");
        }
        for bad in ["", "Clients", "MustUnderstands", "soap:", "VersionMismatch"] {
            assert_eq!(
                bad.parse::<FaultKind>(),
                Err(FaultKindError(bad.to_owned()))
            );
        }
    }

    proptest! {
        #[test]
        fn new_is_ok_exactly_in_ranges(n in any::<u32>()) {
            prop_assert_eq!(FaultCode::new(n).is_ok(), in_range(n));
        }

        #[test]
        fn new_near_ranges(n in 7900u32..10000) {
            let result = FaultCode::new(n);
            prop_assert_eq!(result.is_ok(), in_range(n));
            if let Ok(code) = result {
                prop_assert_eq!(code.to_string().parse::<FaultCode>(), Ok(code));
                prop_assert_eq!(code.origin() == FaultOrigin::Acs, n < 9000);
                prop_assert_eq!(code.name().is_some(), code.is_standard());
            }
        }

        #[test]
        fn from_str_never_panics(s in "\\PC{0,12}") {
            let _ = s.parse::<FaultCode>();
            let _ = s.parse::<FaultKind>();
        }
    }
}
