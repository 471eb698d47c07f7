//! The write-time checks of the schemas' patterns, minimum counts and version rules, used as
//! `(check f)` in [`wire_struct!`](crate::xml::field::wire_struct), and the XSD pattern
//! predicates they are built from.

use crate::error::WriteError;
use crate::rpc::uri::is_uri_reference;
use crate::version::CwmpVersion;
use crate::xml::writer::Writer;

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

/// `Ok` when `ok`; otherwise the value of `field` is invalid, for `reason`.
fn valid_if(
    ok: bool,
    field: &'static str,
    reason: impl FnOnce() -> String,
) -> Result<(), WriteError> {
    if ok {
        Ok(())
    } else {
        Err(WriteError::Invalid {
            field,
            reason: reason(),
        })
    }
}

/// A list that the schema requires to hold at least one item.
pub(crate) fn non_empty<T>(_: &Writer, items: &[T], field: &'static str) -> Result<(), WriteError> {
    valid_if(!items.is_empty(), field, || {
        "at least one item is required".into()
    })
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
    valid_if(
        text.len() == 6 && text.bytes().all(is_upper_hex),
        field,
        || format!("{text:?} is not six uppercase hexadecimal digits"),
    )
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
    valid_if(ok, field, || {
        format!("{text:?} is not a UUID (8-4-4-4-12 hexadecimal digits)")
    })
}

/// An optional [`uuid`].
pub(crate) fn opt_uuid(
    w: &Writer,
    text: &Option<String>,
    field: &'static str,
) -> Result<(), WriteError> {
    if_present(w, text, field, uuid)
}

/// An `ObjectNameType`: a partial path, ending with a dot, on one line (`.*\.`).
pub(crate) fn object_name(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    valid_if(text.ends_with('.') && is_line(text), field, || {
        format!("{text:?} is not an object path ending with a dot")
    })
}

/// Applies `check` to an optional text when it is present.
fn if_present(
    w: &Writer,
    text: &Option<String>,
    field: &'static str,
    check: fn(&Writer, &str, &'static str) -> Result<(), WriteError>,
) -> Result<(), WriteError> {
    text.as_deref().map_or(Ok(()), |t| check(w, t, field))
}

/// The `FileType` values of transfers before CWMP 1.2 (`TransferFileType`); Download takes
/// the first three.
const TRANSFER_TYPES: [&str; 4] = [
    "1 Firmware Upgrade Image",
    "2 Web Content",
    "3 Vendor Configuration File",
    "4 Vendor Log File",
];

/// `Download`/`ScheduleDownload`/`RequestDownload` `FileType` (`DownloadFileType`).
pub(crate) fn download_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    file_type_rule(w, text, field, &TRANSFER_TYPES[..3])
}

/// `Upload` `FileType` (`UploadFileType`). From 1.2 its pattern
/// `[1-9]\d*( \S+)+ [1-9]\d*` is a subset of `[1-9]\d*( \S+)+`.
pub(crate) fn upload_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    file_type_rule(
        w,
        text,
        field,
        &["1 Vendor Configuration File", "2 Vendor Log File"],
    )
}

/// `AllQueuedTransferStruct`/`AutonomousTransferComplete` `FileType` (`TransferFileType`).
pub(crate) fn transfer_file_type(
    w: &Writer,
    text: &str,
    field: &'static str,
) -> Result<(), WriteError> {
    file_type_rule(w, text, field, &TRANSFER_TYPES)
}

/// The rule of every `FileType`: before 1.2 one of the `standard` types or `X <OUI> <name>`;
/// from 1.2 any numbered type or `X <vendor> <name>`.
fn file_type_rule(
    w: &Writer,
    text: &str,
    field: &'static str,
    standard: &[&str],
) -> Result<(), WriteError> {
    version_rule(w, field, text, |v| {
        if v < CwmpVersion::V1_2 {
            standard.contains(&text) || x_oui_any(text)
        } else {
            numbered_or_vendor(text)
        }
    })
}

/// `TimeWindowStruct/WindowMode` (`TimeWindowModeValueType`, 1.2 and later).
pub(crate) fn window_mode(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    valid_if(numbered_or_vendor(text), field, || {
        format!("{text:?} does not match the schema's pattern")
    })
}

/// A URL of type `xs:anyURI` (the Deployment Unit URLs): an RFC 3986 URI reference, once the
/// characters a URI cannot hold (controls, non-ASCII, space, angle brackets, braces, quotes,
/// backslash, caret, backquote, vertical bar) are taken as escaped, which is how libxml2
/// checks `xs:anyURI`.
pub(crate) fn any_uri(_: &Writer, text: &str, field: &'static str) -> Result<(), WriteError> {
    valid_if(is_uri_reference(text), field, || {
        format!("{text:?} is not a URI reference")
    })
}

/// An optional [`any_uri`].
pub(crate) fn opt_any_uri(
    w: &Writer,
    text: &Option<String>,
    field: &'static str,
) -> Result<(), WriteError> {
    if_present(w, text, field, any_uri)
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

/// `[1-9]\d*( \S+)+` or `X \S+ .+`: a numbered standard value or a vendor one, as `FileType`
/// (1.2 and later) and `WindowMode` allow.
fn numbered_or_vendor(text: &str) -> bool {
    numbered(text, true) || x_named(text)
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
}
