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

    /// `<name>n</name>` for a number, which needs no escaping.
    pub(crate) fn number_leaf(&mut self, name: &str, n: impl std::fmt::Display) {
        use std::fmt::Write;
        self.open(name);
        let _ = write!(self.out, "{n}");
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
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\r')
            || (c < ' ' && c != '\t' && c != '\n')
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if !text.contains(special) {
        out.push_str(text);
        return Ok(());
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                return Err(WriteError::InvalidChar {
                    field,
                    code: u32::from(c),
                });
            }
            c => out.push(c),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut out = String::new();
        escape_into(&mut out, "x", "a<b>&\"c\"\r\n\t").unwrap();
        assert_eq!(out, "a&lt;b&gt;&amp;&quot;c&quot;&#13;\n\t");
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
