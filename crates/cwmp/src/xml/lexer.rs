//! An XML 1.0 tokenizer for SOAP messages: start and end tags, text, CDATA, comments and
//! processing instructions, over a `&str` with no copying. It checks the syntax of what it cuts
//! (names, attribute quoting, references) and refuses document type declarations; nesting and
//! namespaces are the reader's job.
//!
//! Written for this crate because general-purpose readers spent most of their time on work
//! CWMP does not need (per-event UTF-8 re-validation, generic namespace bookkeeping): see
//! docs/BENCHMARKS.md for the before and after.

use std::borrow::Cow;

/// One piece of markup or text, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `<name attrs>` or `<name attrs/>`; `attrs` is the checked raw attribute text.
    Start {
        name: &'a str,
        attrs: &'a str,
        empty: bool,
    },
    /// `</name>`.
    End { name: &'a str },
    /// Character data, still escaped.
    Text(&'a str),
    /// The content of `<![CDATA[…]]>`.
    CData(&'a str),
    /// The XML declaration `<?xml …?>`.
    Decl,
    /// A comment or another processing instruction.
    Ignorable,
    /// `<!DOCTYPE …>`, which the reader refuses.
    DocType,
    /// End of input.
    Eof,
}

/// A syntax error: what, and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub what: Cow<'static, str>,
    pub pos: usize,
}

fn fail<T>(what: impl Into<Cow<'static, str>>, pos: usize) -> Result<T, LexError> {
    Err(LexError {
        what: what.into(),
        pos,
    })
}

/// The tokenizer: a cursor over the input.
#[derive(Debug, Clone)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    /// Byte offset of the next token.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// Cuts the next token.
    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, LexError> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok(Token::Eof);
        };
        if first != b'<' {
            // Indentation between tags is the most common text: skip it without a search.
            let ws_end = skip_ws(bytes, start);
            if bytes.get(ws_end) == Some(&b'<') {
                self.pos = ws_end;
                return Ok(Token::Text(&self.src[start..ws_end]));
            }
            let end = memchr::memchr(b'<', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            self.pos = end;
            return Ok(Token::Text(&self.src[start..end]));
        }
        match bytes.get(start + 1) {
            Some(b'/') => self.end_tag(start),
            Some(b'?') => self.processing_instruction(start),
            Some(b'!') => self.declaration(start),
            _ => self.start_tag(start),
        }
    }

    fn start_tag(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        let bytes = self.src.as_bytes();
        let name_end = scan_name(bytes, start + 1).ok_or(LexError {
            what: "expected an element name after '<'".into(),
            pos: start,
        })?;
        let name = &self.src[start + 1..name_end];
        let attrs_start = name_end;
        let mut i = name_end;
        loop {
            let ws = skip_ws(bytes, i);
            match bytes.get(ws) {
                Some(b'>') => {
                    self.pos = ws + 1;
                    let attrs = &self.src[attrs_start..ws];
                    return Ok(Token::Start {
                        name,
                        attrs,
                        empty: false,
                    });
                }
                Some(b'/') if bytes.get(ws + 1) == Some(&b'>') => {
                    self.pos = ws + 2;
                    let attrs = &self.src[attrs_start..ws];
                    return Ok(Token::Start {
                        name,
                        attrs,
                        empty: true,
                    });
                }
                None => return fail("unterminated start tag", start),
                Some(_) if ws == i => {
                    return fail("expected whitespace, '>' or '/>' in a start tag", i);
                }
                Some(_) => i = scan_attribute(bytes, ws)?,
            }
        }
    }

    fn end_tag(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        // The name is not checked character by character: the reader compares it with the
        // (checked) name of the open element, so a bad one never matches.
        let bytes = self.src.as_bytes();
        let Some(len) = memchr::memchr(b'>', &bytes[start + 2..]) else {
            return fail("unterminated end tag", start);
        };
        let close = start + 2 + len;
        self.pos = close + 1;
        Ok(Token::End {
            name: self.src[start + 2..close].trim_end_matches(is_ws),
        })
    }

    fn processing_instruction(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        let body = start + 2;
        let Some(end) = find(self.src, body, "?>") else {
            return fail("unterminated processing instruction", start);
        };
        let target_end = scan_name(self.src.as_bytes(), body).unwrap_or(body);
        let target = &self.src[body..target_end];
        self.pos = end + 2;
        if target.eq_ignore_ascii_case("xml") {
            // Lenient: white space before the declaration is tolerated (seen from real CPEs).
            let leading = self.src[..start].bytes().all(|b| b.is_ascii_whitespace());
            if target != "xml" || !leading {
                return fail("misplaced or malformed XML declaration", start);
            }
            return Ok(Token::Decl);
        }
        Ok(Token::Ignorable)
    }

    fn declaration(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        let rest = &self.src[start..];
        if rest.starts_with("<!--") {
            let Some(end) = find(self.src, start + 4, "-->") else {
                return fail("unterminated comment", start);
            };
            self.pos = end + 3;
            Ok(Token::Ignorable)
        } else if rest.starts_with("<![CDATA[") {
            let body = start + 9;
            let Some(end) = find(self.src, body, "]]>") else {
                return fail("unterminated CDATA section", start);
            };
            self.pos = end + 3;
            Ok(Token::CData(&self.src[body..end]))
        } else if rest.starts_with("<!DOCTYPE") {
            // Nothing after a DTD is read: the reader refuses the document.
            self.pos = self.src.len();
            Ok(Token::DocType)
        } else {
            fail("unexpected '<!'", start)
        }
    }
}

/// Iterates the attributes of a start tag's checked raw attribute text: `(name, raw value)`.
pub(crate) fn attributes(attrs: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = attrs.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        // The text was checked by `scan_attribute`: name, `=`, a quoted value, repeated.
        let start = skip_ws(bytes, i);
        let eq = start + memchr::memchr(b'=', bytes.get(start..)?)?;
        let open = skip_ws(bytes, eq + 1);
        let quote = *bytes.get(open)?;
        let close = open + 1 + memchr::memchr(quote, bytes.get(open + 1..)?)?;
        i = close + 1;
        let name = attrs[start..eq].trim_end_matches(is_ws);
        Some((name, &attrs[open + 1..close]))
    })
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn skip_ws(bytes: &[u8], i: usize) -> usize {
    let rest = bytes.get(i..).unwrap_or_default();
    i + rest
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len())
}

fn find(src: &str, from: usize, needle: &str) -> Option<usize> {
    memchr::memmem::find(&src.as_bytes()[from..], needle.as_bytes()).map(|i| from + i)
}

/// The end of an XML name starting at `i` (XML 1.0 §2.3, with every non-ASCII character
/// accepted), or `None` when no name starts there.
fn scan_name(bytes: &[u8], i: usize) -> Option<usize> {
    let first = *bytes.get(i)?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b':' || first >= 0x80) {
        return None;
    }
    let len = bytes[i..]
        .iter()
        .position(|&b| !NAME_BYTE[usize::from(b)])
        .unwrap_or(bytes.len() - i);
    Some(i + len)
}

/// Bytes that may stand in a name after its first character.
const NAME_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric()
            || b == b'_'
            || b == b':'
            || b == b'-'
            || b == b'.'
            || b >= 0x80;
        i += 1;
    }
    table
};

/// Checks one `name = "value"` starting at `i`; returns the offset after the closing quote.
fn scan_attribute(bytes: &[u8], i: usize) -> Result<usize, LexError> {
    let Some(name_end) = scan_name(bytes, i) else {
        return fail("expected an attribute name", i);
    };
    let eq = skip_ws(bytes, name_end);
    if bytes.get(eq) != Some(&b'=') {
        return fail("expected '=' after an attribute name", eq);
    }
    let open = skip_ws(bytes, eq + 1);
    let quote = match bytes.get(open) {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => return fail("expected a quoted attribute value", open),
    };
    let Some(len) = memchr::memchr(quote, &bytes[open + 1..]) else {
        return fail("unterminated attribute value", open);
    };
    let value = &bytes[open + 1..open + 1 + len];
    if let Some(lt) = memchr::memchr(b'<', value) {
        return fail("'<' in an attribute value", open + 1 + lt);
    }
    Ok(open + 2 + len)
}

/// Resolves the references in `raw` text (`&amp;`, `&#169;`, …) and turns line ends into `\n`
/// (XML 1.0 §2.11). In attribute values (`attribute`), white space becomes a space (§3.3.3).
/// Borrows when there is nothing to change. On error: what, and the offset in `raw`.
pub(crate) fn unescape(raw: &str, attribute: bool) -> Result<Cow<'_, str>, (String, usize)> {
    let bytes = raw.as_bytes();
    let special = |b: &u8| *b == b'&' || *b == b'\r' || (attribute && matches!(b, b'\t' | b'\n'));
    let first = if attribute {
        bytes.iter().position(special)
    } else {
        memchr::memchr2(b'&', b'\r', bytes)
    };
    let Some(first) = first else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(&raw[..first]);
    let mut i = first;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let Some(len) = bytes[i + 1..].iter().take(12).position(|&b| b == b';') else {
                    return Err(("'&' that does not start a reference".into(), i));
                };
                let name = &raw[i + 1..i + 1 + len];
                out.push(resolve_reference(name).ok_or_else(|| (name.to_owned(), i))?);
                i += len + 2;
            }
            b'\r' => {
                out.push(if attribute { ' ' } else { '\n' });
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
            }
            b'\t' | b'\n' if attribute => {
                out.push(' ');
                i += 1;
            }
            _ => {
                let next = bytes[i..]
                    .iter()
                    .position(special)
                    .map_or(bytes.len(), |n| i + n);
                out.push_str(&raw[i..next]);
                i = next;
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// The character a reference stands for: the five predefined entities and character
/// references to characters XML allows.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code).filter(|&c| is_xml_char(c))
        }
    }
}

/// Characters XML 1.0 allows (§2.2).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Result<Vec<Token<'_>>, LexError> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token()?;
            if token == Token::Eof {
                return Ok(out);
            }
            out.push(token);
        }
    }

    #[test]
    fn cuts_markup_and_text() {
        let got =
            tokens("<?xml version='1.0'?><a x='1' y = \"2\"><b/>t<!--c--><![CDATA[<&>]]></a >")
                .unwrap();
        assert_eq!(
            got,
            vec![
                Token::Decl,
                Token::Start {
                    name: "a",
                    attrs: " x='1' y = \"2\"",
                    empty: false
                },
                Token::Start {
                    name: "b",
                    attrs: "",
                    empty: true
                },
                Token::Text("t"),
                Token::Ignorable,
                Token::CData("<&>"),
                Token::End { name: "a" },
            ]
        );
        let attrs: Vec<_> = attributes(" x='1' y = \"2\"").collect();
        assert_eq!(attrs, vec![("x", "1"), ("y", "2")]);
    }

    #[test]
    fn refuses_bad_syntax() {
        for bad in [
            "<",
            "<a",
            "<a x>",
            "<a x=1>",
            "<a x='1>",
            "<a x='<'>",
            "<1a>",
            "</a",
            "<!-- x",
            "<![CDATA[ x",
            "<!FOO>",
            "<a x='1'y='2'>",
            "<?pi",
            "<a/><?xml version='1.0'?>",
        ] {
            assert!(tokens(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(tokens("<!DOCTYPE a>").unwrap(), vec![Token::DocType]);
    }

    #[test]
    fn unescapes_references_and_line_ends() {
        assert_eq!(unescape("plain", false).unwrap(), Cow::Borrowed("plain"));
        assert_eq!(
            unescape("a&amp;b&lt;&#65;&#x42;\r\nc\rd", false).unwrap(),
            "a&b<AB\nc\nd"
        );
        assert_eq!(unescape("a\tb\nc", true).unwrap(), "a b c");
        assert_eq!(
            unescape("&nbsp;", false).unwrap_err(),
            ("nbsp".to_owned(), 0)
        );
        assert!(unescape("a & b", false).is_err());
        assert!(unescape("&#0;", false).is_err());
        assert!(unescape("&#xD800;", false).is_err());
    }
}
