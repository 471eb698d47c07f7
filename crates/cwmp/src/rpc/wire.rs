//! Pieces shared by the RPC types: enumerations coded as integers on the wire, and the
//! write-time checks of the schemas' patterns, minimum counts and version rules, used as
//! `(check f)` in [`wire_struct!`](crate::xml::field::wire_struct).

use crate::datetime::DateTime;
use crate::error::{ParseError, WriteError};
use crate::fault::FaultCode;
use crate::version::CwmpVersion;
use crate::xml::field::{ArrayItem, Field};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// `xs:dateTime` elements. Written in canonical form. Read leniently, because CPE clocks and
/// formatters are often broken: a space instead of `T` and doubled colons
/// (`2019-03-05T11:54::14`, seen from a real CPE) are repaired; text that still does not
/// parse reads as the Unknown Time (`0001-01-01T00:00:00Z`), as TR-069 asks a CPE to send
/// when it does not know the time.
impl Field for DateTime {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let text = r.text(element)?;
        let text = text.trim();
        if let Ok(time) = text.parse() {
            return Ok(time);
        }
        let mut repaired = text.replacen(' ', "T", 1);
        while repaired.contains("::") {
            repaired = repaired.replace("::", ":");
        }
        Ok(repaired.parse().unwrap_or(DateTime::UNKNOWN))
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        w.leaf(name, &self.to_string())
    }
}

/// Defines an enumeration coded as an integer (`xs:int`/`xs:unsignedInt` with enumerated
/// values): lenient on reading (an unlisted number becomes `Other`), strict on writing (`Other`
/// is a [`WriteError::Invalid`], a value newer than the version written a
/// [`WriteError::NotInVersion`]). Serialized as the plain number.
macro_rules! int_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal $(since $since:ident)? ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(from = "u32", into = "u32")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A number outside the schema's enumeration, kept as read from a peer; refused on
            /// writing.
            Other(u32),
        }

        impl $name {
            /// The number on the wire.
            pub const fn value(self) -> u32 {
                match self {
                    $( $name::$variant => $value, )+
                    $name::Other(value) => value,
                }
            }

            /// The variant for a number; unlisted numbers become `Other`.
            pub const fn from_value(value: u32) -> Self {
                match value {
                    $( $value => $name::$variant, )+
                    other => $name::Other(other),
                }
            }

            /// The first CWMP version that has this value; `None` for `Other`.
            pub fn since(self) -> Option<$crate::version::CwmpVersion> {
                match self {
                    $(
                        $name::$variant => {
                            #[allow(unused_variables)]
                            let since = $crate::version::CwmpVersion::V1_0;
                            $( let since = $crate::version::CwmpVersion::$since; )?
                            Some(since)
                        }
                    )+
                    $name::Other(_) => None,
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

        impl From<u32> for $name {
            fn from(value: u32) -> Self {
                $name::from_value(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value.value()
            }
        }

        impl $crate::xml::field::Field for $name {
            fn decode<'a>(
                r: &mut $crate::xml::reader::Reader<'a>,
                element: &$crate::xml::reader::Element<'a>,
                name: &'static str,
            ) -> Result<Self, $crate::error::ParseError> {
                let value = <u32 as $crate::xml::field::Field>::decode(r, element, name)?;
                Ok($name::from_value(value))
            }

            fn encode(
                &self,
                w: &mut $crate::xml::writer::Writer,
                name: &'static str,
            ) -> Result<(), $crate::error::WriteError> {
                match self.since() {
                    None => {
                        let allowed: &[u32] = &[$( $value ),+];
                        return Err($crate::error::WriteError::Invalid {
                            field: name,
                            reason: format!("{} is not one of {allowed:?}", self.value()),
                        });
                    }
                    Some(since) => $crate::xml::field::require_version(
                        w,
                        since,
                        &format!("{name} {}", self.value()),
                    )?,
                }
                w.leaf(name, &self.value().to_string())
            }
        }
    };
}
pub(crate) use int_enum;

/// Implements [`ArrayItem`](crate::xml::field::ArrayItem) for CWMP structs whose array items
/// are elements named after the type, with `arrayType="cwmp:<Type>[n]"`.
macro_rules! cwmp_array_item {
    ($($ty:ident),+ $(,)?) => {$(
        impl $crate::xml::field::ArrayItem for $ty {
            const ITEM: &'static str = stringify!($ty);
            const ARRAY_TYPE: &'static str = concat!("cwmp:", stringify!($ty));
        }
    )+};
}
pub(crate) use cwmp_array_item;

int_enum! {
    /// Whether a change has taken effect: the `Status` of SetParameterValuesResponse,
    /// AddObjectResponse, DeleteObjectResponse, DownloadResponse and UploadResponse.
    pub enum Status {
        /// 0: done and applied.
        Applied = 0,
        /// 1: validated and committed, but applied only later (after a reboot, or once the
        /// transfer completes).
        Pending = 1,
    }
}

int_enum! {
    /// The state of a queued transfer (`TransferStateType`).
    pub enum TransferState {
        /// 1: not yet started.
        NotStarted = 1,
        /// 2: in progress.
        InProgress = 2,
        /// 3: completed, finishing or not yet reported.
        Completed = 3,
    }
}

/// Applies a rule that depends on the version written: `NotInVersion` when `ok` fails for the
/// version written but holds for a later one, `Invalid` when it holds for none.
pub(crate) fn version_rule(
    w: &Writer,
    field: &'static str,
    text: &str,
    ok: impl Fn(CwmpVersion) -> bool,
) -> Result<(), WriteError> {
    let version = w.version();
    if ok(version) {
        Ok(())
    } else if CwmpVersion::ALL.into_iter().any(|v| v > version && ok(v)) {
        Err(WriteError::NotInVersion {
            what: format!("{field} {text:?}"),
            version,
        })
    } else {
        Err(WriteError::Invalid {
            field,
            reason: format!("{text:?} is not allowed by the schema of CWMP {version}"),
        })
    }
}

/// Reads one occurrence of a list element that peers write in two forms: a SOAP array of items,
/// or (against the schema) a single bare item, recognised by a first child named like one of
/// the item's fields. Appends what it finds to `out`.
pub(crate) fn decode_list_occurrence<'a, T: ArrayItem>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    name: &'static str,
    item_fields: &[&str],
    out: &mut Vec<T>,
) -> Result<(), ParseError> {
    let bare = match r.peek_child(element)? {
        Some(first) => first.local != T::ITEM && item_fields.contains(&first.local),
        None => false,
    };
    if bare {
        out.push(T::decode(r, element, T::ITEM)?);
    } else {
        out.extend(Vec::<T>::decode(r, element, name)?);
    }
    Ok(())
}

/// Reads a `FaultCode` where 0 means "no fault" (`TransferCompleteFaultStruct`,
/// `DeploymentUnitFaultStruct`): any CPE fault code is accepted.
pub(crate) fn decode_fault_code<'a>(
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

    pub(crate) fn serialize<S: Serializer>(
        code: &Option<FaultCode>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(code.map_or(0, FaultCode::value))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<FaultCode>, D::Error> {
        let value = u32::deserialize(deserializer)?;
        FaultCode::from_transfer_complete(value).map_err(serde::de::Error::custom)
    }
}

/// A list that the schema requires to hold at least one item.
pub(crate) fn non_empty<T>(_: &Writer, items: &[T], field: &'static str) -> Result<(), WriteError> {
    if items.is_empty() {
        return Err(WriteError::Invalid {
            field,
            reason: "at least one item is required".into(),
        });
    }
    Ok(())
}

/// Each string of a list at most `MAX` characters long.
pub(crate) fn each_max<const MAX: usize>(
    _: &Writer,
    items: &[String],
    field: &'static str,
) -> Result<(), WriteError> {
    for item in items {
        crate::xml::field::check_max(item, field, MAX)?;
    }
    Ok(())
}

/// An OUI: six uppercase hexadecimal digits (`[0-9A-F]{6}`).
pub(crate) fn oui(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    if text.len() == 6 && text.bytes().all(is_upper_hex) {
        return Ok(());
    }
    Err(WriteError::Invalid {
        field,
        reason: format!("{text:?} is not six uppercase hexadecimal digits"),
    })
}

/// A Deployment Unit UUID (`DeploymentUnitUUID`): `8-4-4-4-12` hexadecimal digits.
pub(crate) fn uuid(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    let groups: Vec<&str> = text.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == lens.len()
        && groups
            .iter()
            .zip(lens)
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        return Ok(());
    }
    Err(WriteError::Invalid {
        field,
        reason: format!("{text:?} is not a UUID (8-4-4-4-12 hexadecimal digits)"),
    })
}

/// An optional [`uuid`].
pub(crate) fn opt_uuid(
    w: &Writer,
    text: &Option<String>,
    field: &'static str,
) -> Result<(), WriteError> {
    text.as_ref().map_or(Ok(()), |t| uuid(w, t, field))
}

/// An `ObjectNameType`: a partial path, ending with a dot, on one line (`.*\.`).
pub(crate) fn object_name(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    if text.ends_with('.') && !text.contains(['\n', '\r']) {
        return Ok(());
    }
    Err(WriteError::Invalid {
        field,
        reason: format!("{text:?} is not an object path ending with a dot"),
    })
}

/// `Download`/`ScheduleDownload`/`RequestDownload` `FileType` (`DownloadFileType`).
pub(crate) fn download_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    const OLD: &[&str] = &[
        "1 Firmware Upgrade Image",
        "2 Web Content",
        "3 Vendor Configuration File",
    ];
    version_rule(w, field, text, |v| {
        if v < CwmpVersion::V1_2 {
            OLD.contains(&text) || x_oui_any(text)
        } else {
            numbered(text, true) || x_named(text)
        }
    })
}

/// `Upload` `FileType` (`UploadFileType`).
pub(crate) fn upload_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    const OLD: &[&str] = &["1 Vendor Configuration File", "2 Vendor Log File"];
    version_rule(w, field, text, |v| {
        if v < CwmpVersion::V1_2 {
            OLD.contains(&text) || x_oui_any(text)
        } else {
            // `[1-9]\d*( \S+)+ [1-9]\d*` is a subset of `[1-9]\d*( \S+)+`.
            numbered(text, true) || x_named(text)
        }
    })
}

/// `AllQueuedTransferStruct`/`AutonomousTransferComplete` `FileType` (`TransferFileType`).
pub(crate) fn transfer_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    const OLD: &[&str] = &[
        "1 Firmware Upgrade Image",
        "2 Web Content",
        "3 Vendor Configuration File",
        "4 Vendor Log File",
    ];
    version_rule(w, field, text, |v| {
        if v < CwmpVersion::V1_2 {
            OLD.contains(&text) || x_oui_any(text)
        } else {
            numbered(text, true) || x_named(text)
        }
    })
}

/// `TimeWindowStruct/WindowMode` (`TimeWindowModeValueType`, 1.2 and later).
pub(crate) fn window_mode(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    if numbered(text, true) || x_named(text) {
        return Ok(());
    }
    Err(WriteError::Invalid {
        field,
        reason: format!("{text:?} does not match the schema's pattern"),
    })
}

/// A URL of type `xs:anyURI` (the Deployment Unit URLs): an RFC 3986 URI reference, once the
/// characters a URI cannot hold (controls, non-ASCII, space, angle brackets, braces, quotes,
/// backslash, caret, backquote, vertical bar) are taken as escaped, which is how libxml2
/// checks `xs:anyURI`.
pub(crate) fn any_uri(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    if is_uri_reference(text) {
        return Ok(());
    }
    Err(WriteError::Invalid {
        field,
        reason: format!("{text:?} is not a URI reference"),
    })
}

/// An optional [`any_uri`].
pub(crate) fn opt_any_uri(
    w: &Writer,
    text: &Option<String>,
    field: &'static str,
) -> Result<(), WriteError> {
    text.as_ref().map_or(Ok(()), |t| any_uri(w, t, field))
}

/// RFC 3986 `URI-reference`, after replacing the characters libxml2 escapes.
pub(crate) fn is_uri_reference(text: &str) -> bool {
    let escaped: Vec<u8> = text
        .bytes()
        .map(|b| {
            if !(32..127).contains(&b) || b" <>\"{}|\\^`'".contains(&b) {
                b'_'
            } else {
                b
            }
        })
        .collect();
    let (rest, fragment) = split_at_byte(&escaped, b'#');
    let (rest, query) = split_at_byte(rest, b'?');
    if !fragment.is_none_or(|f| uri_chars(f, b":@/?"))
        || !query.is_none_or(|q| uri_chars(q, b":@/?"))
    {
        return false;
    }
    // A scheme is what precedes the first `:` when no `/` comes before it.
    let colon = rest.iter().position(|&b| b == b':');
    let slash = rest.iter().position(|&b| b == b'/');
    let hier = match colon {
        Some(c) if slash.is_none_or(|s| c < s) => {
            let scheme = &rest[..c];
            let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
            if !valid {
                // A relative reference cannot have a `:` in its first segment.
                return false;
            }
            &rest[c + 1..]
        }
        _ => rest,
    };
    let path = match hier.strip_prefix(b"//") {
        Some(after) => {
            let end = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            if !is_authority(&after[..end]) {
                return false;
            }
            &after[end..]
        }
        None => hier,
    };
    uri_chars(path, b":@/")
}

fn split_at_byte(s: &[u8], byte: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == byte) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Unreserved characters, sub-delimiters, `extra`, and `%` followed by two hex digits.
fn uri_chars(s: &[u8], extra: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            if !(i + 2 < s.len() && s[i + 1].is_ascii_hexdigit() && s[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) || extra.contains(&b);
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// `[ userinfo "@" ] host [ ":" port ]`, with an IP literal taken as libxml2 does (anything
/// between the brackets).
fn is_authority(s: &[u8]) -> bool {
    let (userinfo, host_port) = match s.iter().rposition(|&b| b == b'@') {
        Some(at) => (Some(&s[..at]), &s[at + 1..]),
        None => (None, s),
    };
    if !userinfo.is_none_or(|u| uri_chars(u, b":")) {
        return false;
    }
    let (host_ok, port) = if let Some(inner) = host_port.strip_prefix(b"[") {
        match inner.iter().position(|&b| b == b']') {
            Some(end) => (true, &inner[end + 1..]),
            None => return false,
        }
    } else {
        let end = host_port
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(host_port.len());
        (uri_chars(&host_port[..end], b""), &host_port[end..])
    };
    let port_ok = match port.strip_prefix(b":") {
        // libxml2 refuses an empty port, which RFC 3986 allows.
        Some(digits) => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        None => port.is_empty(),
    };
    host_ok && port_ok
}

fn is_upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

/// XSD `\s`: space, tab, line feed, carriage return.
fn is_xsd_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XSD `\S+`.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.contains(is_xsd_space)
}

/// XSD `.*`: no line feed or carriage return.
fn is_line(s: &str) -> bool {
    !s.contains(['\n', '\r'])
}

/// `\d+( \S+)+`, or `[1-9]\d*( \S+)+` when `nonzero_first`; `\d` taken as ASCII.
pub(crate) fn numbered(text: &str, nonzero_first: bool) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (nonzero_first && text.starts_with('0')) {
        return false;
    }
    match text[digits..].strip_prefix(' ') {
        Some(words) => words.split(' ').all(is_token),
        None => false,
    }
}

/// `X [0-9A-F]{6} .*` (1.0 and 1.1).
pub(crate) fn x_oui_any(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 9
        && b.starts_with(b"X ")
        && b[2..8].iter().copied().all(is_upper_hex)
        && b[8] == b' '
        && is_line(&text[9..])
}

/// `X \S+ .+` (1.2 and later; `X [0-9A-F]{6} .+` is a subset).
pub(crate) fn x_named(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("X ") else {
        return false;
    };
    let Some(split) = rest.find(is_xsd_space) else {
        return false;
    };
    let (name, tail) = rest.split_at(split);
    match tail.strip_prefix(' ') {
        Some(tail) => !name.is_empty() && !tail.is_empty() && is_line(tail),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(numbered("1 Firmware Upgrade Image", true));
        assert!(numbered("3 Vendor Configuration File 2", true));
        assert!(!numbered("0 Firmware", true));
        assert!(numbered("0 BOOTSTRAP", false));
        assert!(!numbered("1", true));
        assert!(!numbered("1 a  b", true));
        assert!(x_oui_any("X 00D09E "));
        assert!(!x_named("X 00D09E "));
        assert!(x_named("X ACME some file"));
        assert!(!x_oui_any("X 00d09e file"));
        assert!(!x_named("X name\nfile"));
    }

    #[test]
    fn uri_references() {
        // As xmllint judges `xs:anyURI`.
        for ok in [
            "http://example.com/a b/c",
            "http://x/\u{e9}",
            "http://x/a^b{}|",
            "https://user:pw@[2001:db8::1]:8080/p?q=1#f",
            "relative/path",
            "/abs",
            "",
            "urn:example:thing",
            "ftp://h:21",
            "http://x/%41",
            "http://x/?a#b?c/",
            "//host",
            "x:",
            "http://h#",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
        for bad in [
            "http://[bad/",
            "%zz",
            "ht tp://x",
            "::",
            "#frag#x",
            "http://x:8a/",
            "a:b/c:d e%",
            "http://a@b@c/",
            "1a:b",
            "http://h:/p",
            "http://[::1",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }

    #[test]
    fn file_types_per_version() {
        let v10 = Writer::new(CwmpVersion::V1_0, 0);
        let v12 = Writer::new(CwmpVersion::V1_2, 0);
        let tone = "4 Tone File".to_owned();
        assert!(download_file_type(&v12, &tone, "FileType").is_ok());
        assert!(matches!(
            download_file_type(&v10, &tone, "FileType"),
            Err(WriteError::NotInVersion { .. })
        ));
        let bad = "Firmware".to_owned();
        assert!(matches!(
            download_file_type(&v12, &bad, "FileType"),
            Err(WriteError::Invalid { .. })
        ));
        let log = "2 Vendor Log File".to_owned();
        assert!(upload_file_type(&v10, &log, "FileType").is_ok());
        assert!(download_file_type(&v10, &log, "FileType").is_err());
    }

    #[test]
    fn lenient_date_times() {
        use crate::Body;
        use crate::rpc::test_util::parse;
        let read = |text: &str| {
            let body = parse(
                "1-0",
                &format!(
                    "<cwmp:DownloadResponse><Status>0</Status><StartTime>{text}</StartTime>\
                     <CompleteTime>0001-01-01T00:00:00Z</CompleteTime></cwmp:DownloadResponse>"
                ),
            );
            let Body::DownloadResponse(response) = body else {
                panic!("{body:?}")
            };
            response.start_time
        };
        let expected: DateTime = "2019-03-05T11:54:14".parse().unwrap();
        assert_eq!(read(" 2019-03-05T11:54:14 "), expected);
        assert_eq!(read("2019-03-05T11:54::14"), expected);
        assert_eq!(read("2019-03-05 11:54:14"), expected);
        assert_eq!(read("yesterday"), DateTime::UNKNOWN);
        assert_eq!(read(""), DateTime::UNKNOWN);
    }

    #[test]
    fn int_enums() {
        assert_eq!(Status::from_value(1), Status::Pending);
        assert_eq!(Status::from_value(2), Status::Other(2));
        assert_eq!(u32::from(TransferState::Completed), 3);
        assert_eq!(serde_json::to_string(&Status::Applied).unwrap(), "0");
        assert_eq!(
            serde_json::from_str::<Status>("7").unwrap(),
            Status::Other(7)
        );
    }
}
