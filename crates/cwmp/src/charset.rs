//! Turns the bytes of a message into text: UTF-8 (the default) or ISO-8859-1, which old CPEs
//! declare in the HTTP `Content-Type` or the XML declaration.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};

/// Character sets a CWMP message may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8, and its subset US-ASCII.
    Utf8,
    /// ISO-8859-1 (Latin-1); windows-1252 is read the same way.
    Latin1,
}

impl Charset {
    /// The charset a label names (`utf-8`, `ISO-8859-1`, `latin1`, …), if we support it.
    pub fn from_label(label: &str) -> Option<Charset> {
        let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
        let lower = label.to_ascii_lowercase();
        match lower.as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => Some(Charset::Utf8),
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1"
            | "windows-1252" | "cp1252" => Some(Charset::Latin1),
            _ => None,
        }
    }

    /// The charset named by a `Content-Type` header value (`text/xml; charset="ISO-8859-1"`).
    pub fn from_content_type(content_type: &str) -> Option<Charset> {
        content_type.split(';').skip(1).find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| Charset::from_label(value))
                .flatten()
        })
    }
}

/// Decodes a message. The HTTP charset `hint`, when given, wins over the XML declaration
/// (RFC 7303 §3.2); without either the text must be UTF-8. A UTF-8 byte order mark is dropped.
pub fn decode(bytes: &[u8], hint: Option<Charset>) -> Result<Cow<'_, str>, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"\xFF\xFE") {
        return Err(encoding_error("UTF-16 is not supported".into(), 1, 1));
    }
    let charset = match hint {
        Some(charset) => charset,
        None => declared(bytes)?,
    };
    match charset {
        Charset::Utf8 => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Cow::Borrowed(text)),
            Err(e) => {
                let at = e.valid_up_to();
                let head = &bytes[..at];
                let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
                let column = head.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
                Err(encoding_error(
                    format!("invalid UTF-8 at byte {at}"),
                    line,
                    column,
                ))
            }
        },
        Charset::Latin1 => Ok(if bytes.is_ascii() {
            Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default())
        } else {
            Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
        }),
    }
}

/// The charset of the XML declaration's `encoding`, UTF-8 when there is none.
fn declared(bytes: &[u8]) -> Result<Charset, ParseError> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let head = head.trim_start();
    let Some(decl) = head
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>"))
        .map(|(decl, _)| decl)
    else {
        return Ok(Charset::Utf8);
    };
    let Some((_, after)) = decl.split_once("encoding") else {
        return Ok(Charset::Utf8);
    };
    let value = after
        .trim_start()
        .strip_prefix('=')
        .unwrap_or(after)
        .trim_start();
    let quote = value.chars().next().unwrap_or('"');
    let label = value
        .trim_start_matches(quote)
        .split(quote)
        .next()
        .unwrap_or("");
    Charset::from_label(label)
        .ok_or_else(|| encoding_error(format!("unsupported encoding {label:?}"), 1, 1))
}

fn encoding_error(what: String, line: usize, column: usize) -> ParseError {
    ParseError {
        kind: ParseErrorKind::Encoding(what),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
        path: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_content_types() {
        assert_eq!(
            Charset::from_content_type("text/xml; charset=\"ISO-8859-1\""),
            Some(Charset::Latin1)
        );
        assert_eq!(
            Charset::from_content_type("text/xml;charset=utf-8"),
            Some(Charset::Utf8)
        );
        assert_eq!(Charset::from_content_type("text/xml"), None);
    }

    #[test]
    fn latin1_from_declaration_or_hint() {
        let doc = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xE9</a>";
        assert!(decode(doc, None).unwrap().ends_with("caf\u{e9}</a>"));
        let bare = b"<a>caf\xE9</a>";
        assert!(decode(bare, None).is_err());
        assert_eq!(
            decode(bare, Some(Charset::Latin1)).unwrap(),
            "<a>caf\u{e9}</a>"
        );
    }

    #[test]
    fn bom_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>", None).unwrap(), "<a/>");
        assert!(decode(b"\xFF\xFE<\0a\0", None).is_err());
        let err = decode(b"<?xml version=\"1.0\" encoding=\"EBCDIC\"?><a/>", None).unwrap_err();
        assert!(matches!(err.kind, ParseErrorKind::Encoding(_)));
    }
}
