//! Writes a SOAP message into a `String`: minimal, escaped, with the prefixes most CPEs expect
//! (those GenieACS writes: `soap-env`, `soap-enc`, `xsd`, `xsi`, `cwmp`).

use crate::error::WriteError;
use crate::version::CwmpVersion;

/// An append-only XML writer for one envelope.
pub(crate) struct Writer {
    out: String,
    version: CwmpVersion,
}

impl Writer {
    pub(crate) fn new(version: CwmpVersion, capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            version,
        }
    }

    /// The version being written, for fields whose rules differ between versions.
    pub(crate) fn version(&self) -> CwmpVersion {
        self.version
    }

    pub(crate) fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>`, escaped.
    pub(crate) fn leaf(&mut self, name: &'static str, text: &str) -> Result<(), WriteError> {
        self.open(name);
        escape_into(&mut self.out, name, text)?;
        self.close(name);
        Ok(())
    }

    /// `<name>n</name>` for an integer, which needs no escaping.
    pub(crate) fn number_leaf(&mut self, name: &str, n: impl Into<i64>) {
        self.open(name);
        let n: i64 = n.into();
        if n < 0 {
            self.out.push('-');
        }
        let mut digits = [0u8; 20];
        let mut rest = n.unsigned_abs();
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for &d in &digits[start..] {
            self.out.push(char::from(d));
        }
        self.close(name);
    }

    /// `<name xsi:type="xsd:T">text</name>`.
    pub(crate) fn typed_leaf(
        &mut self,
        name: &'static str,
        xsi_type: &str,
        text: &str,
    ) -> Result<(), WriteError> {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xsi:type=\"");
        if !xsi_type.contains(':') {
            self.out.push_str("xsd:");
        }
        escape_into(&mut self.out, name, xsi_type)?;
        self.out.push_str("\">");
        escape_into(&mut self.out, name, text)?;
        self.close(name);
        Ok(())
    }

    /// `<name soap-enc:arrayType="item_type[len]">`.
    pub(crate) fn open_array(&mut self, name: &str, item_type: &str, len: usize) {
        use std::fmt::Write;
        let _ = write!(
            self.out,
            "<{name} soap-enc:arrayType=\"{item_type}[{len}]\">"
        );
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Appends `text` escaped for element content or a double-quoted attribute. `\r` is written as
/// a character reference, because parsers turn a literal one into `\n` (XML 1.0 §2.11).
pub(crate) fn escape_into(
    out: &mut String,
    field: &'static str,
    text: &str,
) -> Result<(), WriteError> {
    let bytes = text.as_bytes();
    let mut done = 0;
    while let Some(offset) = bytes[done..]
        .iter()
        .position(|&b| NEEDS_CARE[usize::from(b)])
    {
        let at = done + offset;
        out.push_str(&text[done..at]);
        let replacement = match bytes[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\r' => "&#13;",
            0xEF => {
                // Lead byte of U+F000–U+FFFF: only U+FFFE and U+FFFF are not XML characters.
                let c = text[at..].chars().next().unwrap_or_default();
                if matches!(c, '\u{FFFE}' | '\u{FFFF}') {
                    return Err(WriteError::InvalidChar {
                        field,
                        code: u32::from(c),
                    });
                }
                out.push(c);
                done = at + c.len_utf8();
                continue;
            }
            control => {
                return Err(WriteError::InvalidChar {
                    field,
                    code: u32::from(control),
                });
            }
        };
        out.push_str(replacement);
        done = at + 1;
    }
    out.push_str(&text[done..]);
    Ok(())
}

/// Bytes that cannot be copied as they are: markup characters, `\r`, control characters other
/// than tab and line feed, and the lead byte of U+FFFE/U+FFFF.
const NEEDS_CARE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b != 0x09 && b != 0x0A;
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[0xEF] = true;
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut out = String::new();
        escape_into(&mut out, "x", "a<b>&\"c\"\r\n\t").unwrap();
        let mut w = Writer::new(crate::version::CwmpVersion::V1_0, 0);
        w.number_leaf("n", i32::MIN);
        w.number_leaf("n", 0u32);
        w.number_leaf("n", u32::MAX);
        assert_eq!(w.finish(), "<n>-2147483648</n><n>0</n><n>4294967295</n>");
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&quot;&#13;\n\t");
    }

    #[test]
    fn keeps_other_characters_of_the_ef_block() {
        let mut out = String::new();
        escape_into(&mut out, "x", "a\u{F000}\u{FFFD}b").unwrap();
        assert_eq!(out, "a\u{F000}\u{FFFD}b");
        let err = escape_into(&mut out, "x", "\u{FFFE}").unwrap_err();
        assert_eq!(
            err,
            WriteError::InvalidChar {
                field: "x",
                code: 0xFFFE
            }
        );
    }

    #[test]
    fn refuses_control_characters() {
        let mut out = String::new();
        let err = escape_into(&mut out, "Value", "a\u{1}").unwrap_err();
        assert_eq!(
            err,
            WriteError::InvalidChar {
                field: "Value",
                code: 1
            }
        );
    }
}
