//! CWMP Inform event codes (TR-069 §3.7.1.5, `EventCodeType` in `cwmp-1-2.xsd`/`cwmp-1-4.xsd`).
//!
//! Parsing is lenient so that nothing a peer sends is lost; [`EventCode::is_schema_valid`]
//! tells a writer whether a code may be sent.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One `EventStruct/EventCode` value, standard or not, with its exact wire text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventCode {
    /// `0 BOOTSTRAP`: first contact, or the ACS URL changed.
    Bootstrap,
    /// `1 BOOT`: the CPE (re)started.
    Boot,
    /// `2 PERIODIC`: the periodic inform interval elapsed.
    Periodic,
    /// `3 SCHEDULED`: a `ScheduleInform` call came due.
    Scheduled,
    /// `4 VALUE CHANGE`: a parameter under notification changed.
    ValueChange,
    /// `5 KICKED`: a web-based kick (TR-069 Annex B style) triggered the session.
    Kicked,
    /// `6 CONNECTION REQUEST`: the ACS sent a connection request.
    ConnectionRequest,
    /// `7 TRANSFER COMPLETE`: a `Download`/`Upload` finished (`TransferComplete` follows).
    TransferComplete,
    /// `8 DIAGNOSTICS COMPLETE`: a diagnostics test finished.
    DiagnosticsComplete,
    /// `9 REQUEST DOWNLOAD`: the CPE will call `RequestDownload`.
    RequestDownload,
    /// `10 AUTONOMOUS TRANSFER COMPLETE` (CWMP 1.1).
    AutonomousTransferComplete,
    /// `11 DU STATE CHANGE COMPLETE` (CWMP 1.2).
    DuStateChangeComplete,
    /// `12 AUTONOMOUS DU STATE CHANGE COMPLETE` (CWMP 1.2).
    AutonomousDuStateChangeComplete,
    /// `13 WAKEUP` (CWMP 1.4).
    Wakeup,
    /// `M <method>`: the session relates to an earlier ACS method call.
    Method(MethodEvent),
    /// A vendor event: the full text, which starts with `X ` (e.g. `X CT-COM BIND`).
    Vendor(String),
    /// Any other non-empty code of at most 64 characters, kept verbatim
    /// (e.g. `14 FUTURE THING`, or malformed peer input).
    Other(String),
}

/// The method named by an `M <method>` event code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MethodEvent {
    /// `M Reboot`.
    Reboot,
    /// `M ScheduleInform`.
    ScheduleInform,
    /// `M Download`.
    Download,
    /// `M ScheduleDownload` (CWMP 1.2).
    ScheduleDownload,
    /// `M Upload`.
    Upload,
    /// `M ChangeDUState` (CWMP 1.2).
    ChangeDuState,
    /// A vendor method: the method name, starting with `X_` (e.g. `X_ACME_Reset`).
    Vendor(String),
    /// Any other method name without whitespace (e.g. `FactoryReset`).
    Other(String),
}

/// Why a peer's event code text was rejected outright.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventCodeError {
    /// Empty, or only whitespace.
    #[error("event code is empty")]
    Empty,
    /// Longer than the schema's `maxLength` of 64 characters (after trimming).
    #[error("event code is {0} characters long; CWMP allows at most 64")]
    TooLong(usize),
}

/// Wire text of [`EventCode::STANDARD`], index for index (TR-069 Table 7).
#[rustfmt::skip]
const STANDARD_TEXT: [&str; 20] = [
    "0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "3 SCHEDULED", "4 VALUE CHANGE", "5 KICKED",
    "6 CONNECTION REQUEST", "7 TRANSFER COMPLETE", "8 DIAGNOSTICS COMPLETE",
    "9 REQUEST DOWNLOAD", "10 AUTONOMOUS TRANSFER COMPLETE", "11 DU STATE CHANGE COMPLETE",
    "12 AUTONOMOUS DU STATE CHANGE COMPLETE", "13 WAKEUP",
    "M Reboot", "M ScheduleInform", "M Download", "M ScheduleDownload", "M Upload",
    "M ChangeDUState",
];

/// XML whitespace, the complement of XSD `\S`.
fn is_xsd_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XSD `\S+`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(is_xsd_space)
}

impl EventCode {
    /// The schema's `maxLength` for an event code, in characters.
    pub const MAX_LEN: usize = 64;

    /// Every standard code (0-13 and the six `M` events), in TR-069 Table 7 order.
    pub const STANDARD: [EventCode; 20] = [
        EventCode::Bootstrap,
        EventCode::Boot,
        EventCode::Periodic,
        EventCode::Scheduled,
        EventCode::ValueChange,
        EventCode::Kicked,
        EventCode::ConnectionRequest,
        EventCode::TransferComplete,
        EventCode::DiagnosticsComplete,
        EventCode::RequestDownload,
        EventCode::AutonomousTransferComplete,
        EventCode::DuStateChangeComplete,
        EventCode::AutonomousDuStateChangeComplete,
        EventCode::Wakeup,
        EventCode::Method(MethodEvent::Reboot),
        EventCode::Method(MethodEvent::ScheduleInform),
        EventCode::Method(MethodEvent::Download),
        EventCode::Method(MethodEvent::ScheduleDownload),
        EventCode::Method(MethodEvent::Upload),
        EventCode::Method(MethodEvent::ChangeDuState),
    ];

    /// The exact wire text (borrowed except for non-standard `M` events).
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            EventCode::Method(MethodEvent::Vendor(name) | MethodEvent::Other(name)) => {
                Cow::Owned(format!("M {name}"))
            }
            EventCode::Vendor(text) | EventCode::Other(text) => Cow::Borrowed(text),
            standard => Cow::Borrowed(
                Self::STANDARD
                    .iter()
                    .position(|code| code == standard)
                    .map_or("", |i| STANDARD_TEXT[i]),
            ),
        }
    }

    /// True for the 14 numbered and 6 method codes TR-069 defines.
    pub fn is_standard(&self) -> bool {
        match self {
            EventCode::Method(m) => !matches!(m, MethodEvent::Vendor(_) | MethodEvent::Other(_)),
            EventCode::Vendor(_) | EventCode::Other(_) => false,
            _ => true,
        }
    }

    /// True for `M <method>` events (standard, vendor `M X_...` or other).
    pub fn is_method_event(&self) -> bool {
        matches!(self, EventCode::Method(_))
    }

    /// True if at most one instance may be queued/sent in an Inform (cumulative "Single").
    ///
    /// TR-069 §3.7.1.5 Table 7: the numbered codes 0-13 are Single; `M` events are
    /// Multiple (one per method call, each with its own `CommandKey`). Vendor and unknown
    /// codes are reported as not Single, so a queue never merges them away.
    pub fn is_single(&self) -> bool {
        self.is_standard() && !self.is_method_event()
    }

    /// The CWMP version `(major, minor)` that introduced this code; `None` if unknown.
    ///
    /// Per the schema history: `X <OUI> ...` and `M X_...` exist since 1.0 (`cwmp-1-0.xsd`),
    /// the `X <name> <text>` form since 1.2 (`cwmp-1-2.xsd` `EventCodeType`).
    pub fn since(&self) -> Option<(u8, u8)> {
        Some(match self {
            EventCode::AutonomousTransferComplete => (1, 1),
            EventCode::DuStateChangeComplete
            | EventCode::AutonomousDuStateChangeComplete
            | EventCode::Method(MethodEvent::ScheduleDownload | MethodEvent::ChangeDuState) => {
                (1, 2)
            }
            EventCode::Wakeup => (1, 4),
            EventCode::Method(MethodEvent::Other(_)) | EventCode::Other(_) => return None,
            EventCode::Vendor(text) if !has_oui(text) => (1, 2),
            _ => (1, 0),
        })
    }

    /// True if the text matches `EventCodeType` of `cwmp-1-2.xsd`+ (what a writer may send).
    ///
    /// Patterns (implicitly anchored): `\d+( \S+)+`, `M \S+`, `M X_\S+`,
    /// `X [0-9A-F]{6} .+`, `X \S+ .+`, plus `maxLength` 64. `\d` is taken as ASCII only.
    pub fn is_schema_valid(&self) -> bool {
        let text = self.as_str();
        text.chars().count() <= Self::MAX_LEN && matches_event_code_type(&text)
    }
}

/// `X [0-9A-F]{6} ` prefix (the OUI form of a vendor event).
fn has_oui(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 9
        && b.starts_with(b"X ")
        && b[2..8]
            .iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))
        && b[8] == b' '
}

/// The `EventCodeType` patterns, without the length limit.
fn matches_event_code_type(text: &str) -> bool {
    if let Some(method) = text.strip_prefix("M ") {
        // `M \S+`; `M X_\S+` is a subset of it.
        return is_token(method);
    }
    if let Some(rest) = text.strip_prefix("X ") {
        // `X \S+ .+` (`X [0-9A-F]{6} .+` is a subset): since `\S+` cannot contain a
        // space, the only possible split is at the first whitespace character.
        let Some(split) = rest.find(is_xsd_space) else {
            return false;
        };
        let (name, tail) = rest.split_at(split);
        let Some(tail) = tail.strip_prefix(' ') else {
            return false;
        };
        // XSD `.` is any character except line feed and carriage return.
        return !name.is_empty() && !tail.is_empty() && !tail.contains(['\n', '\r']);
    }
    // `\d+( \S+)+`: digits, then one or more single-space-separated tokens.
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let Some(words) = text[digits..].strip_prefix(' ') else {
        return false;
    };
    digits > 0 && words.split(' ').all(is_token)
}

impl fmt::Display for EventCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl FromStr for EventCode {
    type Err = EventCodeError;

    /// Lenient: trims surrounding whitespace (nothing inside), matches standard codes
    /// exactly and then ASCII-case-insensitively (normalising `0 bootstrap` to
    /// [`Bootstrap`](EventCode::Bootstrap)), and keeps everything else as
    /// `Method`/`Vendor`/`Other`. Only empty or over-long (>64 chars) text is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.is_empty() {
            return Err(EventCodeError::Empty);
        }
        let len = text.chars().count();
        if len > Self::MAX_LEN {
            return Err(EventCodeError::TooLong(len));
        }
        if let Some(code) = standard_code(text, |a, b| a == b)
            .or_else(|| standard_code(text, str::eq_ignore_ascii_case))
        {
            return Ok(code);
        }
        if let Some(method) = text.strip_prefix("M ").filter(|m| is_token(m)) {
            return Ok(EventCode::Method(if method.starts_with("X_") {
                MethodEvent::Vendor(method.to_owned())
            } else {
                MethodEvent::Other(method.to_owned())
            }));
        }
        if text.starts_with("X ") {
            return Ok(EventCode::Vendor(text.to_owned()));
        }
        Ok(EventCode::Other(text.to_owned()))
    }
}

/// Looks `text` up among the 20 standard codes using the comparison `eq`.
fn standard_code(text: &str, eq: impl Fn(&str, &str) -> bool) -> Option<EventCode> {
    STANDARD_TEXT
        .iter()
        .position(|wire| eq(wire, text))
        .map(|i| EventCode::STANDARD[i].clone())
}

impl Serialize for EventCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> EventCode {
        s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[rustfmt::skip]
    const WIRE: [&str; 20] = [
        "0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "3 SCHEDULED", "4 VALUE CHANGE", "5 KICKED",
        "6 CONNECTION REQUEST", "7 TRANSFER COMPLETE", "8 DIAGNOSTICS COMPLETE",
        "9 REQUEST DOWNLOAD", "10 AUTONOMOUS TRANSFER COMPLETE", "11 DU STATE CHANGE COMPLETE",
        "12 AUTONOMOUS DU STATE CHANGE COMPLETE", "13 WAKEUP", "M Reboot", "M ScheduleInform",
        "M Download", "M ScheduleDownload", "M Upload", "M ChangeDUState",
    ];

    #[rustfmt::skip]
    const SCHEMA_VALID: [&str; 9] = [
        "14 FUTURE THING", "007 X", "M Foo", "M X_", "M X_Foo", "X 00D09E a b  c", "X A b",
        "X CT-COM \tz", "0 BOOTSTRAP",
    ];

    #[rustfmt::skip]
    const SCHEMA_INVALID: [&str; 18] = [
        "BOOT", "1", "1 ", "1  BOOT", "1 BOOT ", " 1 BOOT X", "1\tBOOT", "M Foo Bar", "M ",
        "m Foo", "X CT-COM", "X CT-COM ", "X  foo bar", "X a\tb", "X a b\nc", "x 00D09E a",
        "\u{661} BOOT", "Hello",
    ];

    #[test]
    fn every_standard_code_round_trips() {
        for (code, wire) in EventCode::STANDARD.iter().zip(WIRE) {
            assert_eq!(&parse(wire), code, "{wire}");
            assert_eq!(code.to_string(), wire);
            assert!(matches!(code.as_str(), Cow::Borrowed(_)));
            assert!(code.is_standard() && code.is_schema_valid(), "{wire}");
            assert_eq!(code.is_method_event(), wire.starts_with("M "));
            assert_eq!(code.is_single(), !wire.starts_with("M "), "{wire}");
            assert!(code.since().is_some());
        }
    }

    #[test]
    fn variants_for_easy_matching() {
        assert_eq!(parse("6 CONNECTION REQUEST"), EventCode::ConnectionRequest);
        assert_eq!(
            parse("M ChangeDUState"),
            EventCode::Method(MethodEvent::ChangeDuState)
        );
        assert_eq!(parse(" \t1 BOOT\r\n"), EventCode::Boot);
    }

    #[test]
    fn lowercase_is_normalised() {
        assert_eq!(parse("0 bootstrap"), EventCode::Bootstrap);
        assert_eq!(parse("4 Value Change"), EventCode::ValueChange);
        assert_eq!(parse("m reboot"), EventCode::Method(MethodEvent::Reboot));
        assert_eq!(parse("M changeDUstate").to_string(), "M ChangeDUState");
        // Inner whitespace is not collapsed.
        assert_eq!(parse("1  BOOT"), EventCode::Other("1  BOOT".into()));
    }

    #[test]
    fn vendor_and_other_forms() {
        for text in [
            "X CT-COM BIND",
            "X 00D09E Something",
            "X ACME reset by user",
        ] {
            let code = parse(text);
            assert_eq!(code, EventCode::Vendor(text.into()));
            assert_eq!(code.to_string(), text);
            assert!(code.is_schema_valid() && !code.is_standard() && !code.is_single());
        }
        assert_eq!(parse("X 00D09E Something").since(), Some((1, 0)));
        assert_eq!(parse("X CT-COM BIND").since(), Some((1, 2)));

        let vendor_method = parse("M X_ACME_Reset");
        assert_eq!(
            vendor_method,
            EventCode::Method(MethodEvent::Vendor("X_ACME_Reset".into()))
        );
        assert_eq!(vendor_method.as_str(), "M X_ACME_Reset");
        assert!(vendor_method.is_method_event() && !vendor_method.is_single());
        assert_eq!(vendor_method.since(), Some((1, 0)));

        let other_method = parse("M FactoryReset");
        assert_eq!(
            other_method,
            EventCode::Method(MethodEvent::Other("FactoryReset".into()))
        );
        assert!(other_method.is_schema_valid() && other_method.since().is_none());

        let future = parse("14 FUTURE THING");
        assert_eq!(future, EventCode::Other("14 FUTURE THING".into()));
        assert!(future.is_schema_valid() && !future.is_single() && future.since().is_none());
    }

    #[test]
    fn empty_and_too_long() {
        assert_eq!("".parse::<EventCode>(), Err(EventCodeError::Empty));
        assert_eq!(" \t\n".parse::<EventCode>(), Err(EventCodeError::Empty));
        let max = format!("X 00D09E {}", "a".repeat(55));
        assert_eq!(max.len(), 64);
        assert!(parse(&max).is_schema_valid());
        let long = format!("{max}b");
        assert_eq!(long.parse::<EventCode>(), Err(EventCodeError::TooLong(65)));
        // Length counts characters, like XSD maxLength, not bytes.
        let wide = format!("X 00D09E {}", "é".repeat(55));
        assert!(parse(&wide).is_schema_valid());
    }

    #[test]
    fn schema_patterns() {
        for text in SCHEMA_VALID {
            assert!(parse(text).is_schema_valid(), "{text:?}");
        }
        for text in SCHEMA_INVALID {
            let code = EventCode::Other(text.into());
            assert!(!code.is_schema_valid(), "{text:?}");
        }
        assert!(!EventCode::Other("X 00D09E ".to_owned() + &"a".repeat(56)).is_schema_valid());
    }

    #[test]
    fn since_versions() {
        assert_eq!(EventCode::Bootstrap.since(), Some((1, 0)));
        assert_eq!(EventCode::RequestDownload.since(), Some((1, 0)));
        assert_eq!(EventCode::AutonomousTransferComplete.since(), Some((1, 1)));
        assert_eq!(
            EventCode::AutonomousDuStateChangeComplete.since(),
            Some((1, 2))
        );
        assert_eq!(EventCode::Wakeup.since(), Some((1, 4)));
        assert_eq!(EventCode::Method(MethodEvent::Upload).since(), Some((1, 0)));
        assert_eq!(
            EventCode::Method(MethodEvent::ScheduleDownload).since(),
            Some((1, 2))
        );
    }

    #[test]
    fn serde_as_wire_string() {
        let codes = vec![
            EventCode::ValueChange,
            EventCode::Method(MethodEvent::Vendor("X_ACME_Reset".into())),
            EventCode::Vendor("X CT-COM BIND".into()),
        ];
        let json = serde_json::to_string(&codes).unwrap();
        assert_eq!(
            json,
            r#"["4 VALUE CHANGE","M X_ACME_Reset","X CT-COM BIND"]"#
        );
        assert_eq!(
            serde_json::from_str::<Vec<EventCode>>(&json).unwrap(),
            codes
        );
        assert_eq!(
            serde_json::from_str::<EventCode>(r#"" 2 periodic""#).unwrap(),
            EventCode::Periodic
        );
        assert!(serde_json::from_str::<EventCode>(r#""""#).is_err());
        assert!(serde_json::from_str::<EventCode>("13").is_err());
    }

    /// Strings matching one of the `EventCodeType` patterns, in canonical case.
    fn valid_code_text() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(WIRE.to_vec()).prop_map(str::to_owned),
            "[0-9]{1,3}( [A-Z0-9_!-]{1,8}){1,4}",
            "M [A-Za-z0-9_]{1,20}",
            "M X_[A-Za-z0-9_.-]{1,20}",
            "X [0-9A-F]{6} [ -~]{0,19}[!-~]",
            "X [A-Za-z0-9-]{1,10} [ -~]{0,19}[!-~]",
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            if let Ok(code) = s.parse::<EventCode>() {
                let _ = (code.is_schema_valid(), code.is_single(), code.since());
                prop_assert!(!code.to_string().is_empty());
            }
        }

        #[test]
        fn valid_codes_round_trip(text in valid_code_text()) {
            let code: EventCode = text.parse().unwrap();
            prop_assert!(code.is_schema_valid(), "{:?}", text);
            let shown = code.to_string();
            prop_assert_eq!(shown.parse::<EventCode>(), Ok(code.clone()));
            let json = serde_json::to_string(&code).unwrap();
            prop_assert_eq!(serde_json::from_str::<EventCode>(&json).unwrap(), code);
            // Only case-insensitive matches of standard codes are rewritten.
            prop_assert!(shown.eq_ignore_ascii_case(&text), "{:?} shown as {:?}", text, shown);
        }
    }
}
