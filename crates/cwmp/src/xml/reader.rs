//! A pull cursor that walks a SOAP message element by element over the [`lexer`](super::lexer),
//! checking nesting, resolving namespaces by URI (never by prefix) and enforcing [`Limits`].

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::limits::Limits;
use crate::version::CwmpVersion;
use crate::xml::lexer::{LexError, Lexer, Token, attributes, unescape};

pub(crate) const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub(crate) const SOAP_ENC: &str = "http://schemas.xmlsoap.org/soap/encoding/";
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const XSD: &str = "http://www.w3.org/2001/XMLSchema";
const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const CWMP_PREFIX: &str = "urn:dslforum-org:cwmp-";

/// The namespace of an element, as far as CWMP cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ns<'a> {
    /// No namespace (unqualified), or an undeclared prefix.
    None,
    /// SOAP 1.1 envelope.
    SoapEnv,
    /// SOAP 1.2 envelope, which CWMP does not use.
    Soap12Env,
    /// A CWMP namespace; an unknown minor number maps to the newest namespace.
    Cwmp(CwmpVersion),
    /// Any other namespace URI.
    Other(Cow<'a, str>),
}

impl<'a> Ns<'a> {
    fn classify(uri: Cow<'a, str>) -> Ns<'a> {
        let trimmed = uri.trim();
        if trimmed.is_empty() {
            Ns::None
        } else if trimmed == SOAP_ENV {
            Ns::SoapEnv
        } else if trimmed == SOAP12_ENV {
            Ns::Soap12Env
        } else if let Some(v) = CwmpVersion::from_namespace(trimmed) {
            Ns::Cwmp(v)
        } else if trimmed.starts_with(CWMP_PREFIX) {
            Ns::Cwmp(CwmpVersion::V1_2)
        } else {
            Ns::Other(uri)
        }
    }

    /// The URI, for messages.
    pub(crate) fn uri(&self) -> Option<String> {
        match self {
            Ns::None => None,
            Ns::SoapEnv => Some(SOAP_ENV.into()),
            Ns::Soap12Env => Some(SOAP12_ENV.into()),
            Ns::Cwmp(v) => Some(v.namespace().into()),
            Ns::Other(u) => Some(u.to_string()),
        }
    }
}

/// One element start, with the few attributes CWMP reads.
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    /// Local name, without prefix.
    pub local: &'a str,
    /// Resolved namespace.
    pub ns: Ns<'a>,
    /// True for `<x/>`: it has no children and empty text.
    pub empty: bool,
    /// The `xsi:type` attribute as written (possibly prefixed), if any.
    pub xsi_type: Option<Cow<'a, str>>,
    /// `soap-env:mustUnderstand="1"` (SOAP 1.1 §4.2.3; `true` accepted too): a header
    /// element the receiver must process or fault on.
    pub must_understand: bool,
    /// Byte offset of the start tag, for error positions.
    pub pos: usize,
}

/// A namespace declaration in scope: the prefix (empty for the default namespace), what it
/// stands for, and the depth of the element that declared it.
#[derive(Debug, Clone)]
struct Binding<'a> {
    prefix: &'a str,
    ns: Ns<'a>,
    depth: usize,
}

/// The cursor. Every element it returns must be consumed by exactly one of
/// [`Reader::text`], [`Reader::skip`] or a loop of [`Reader::next_child`] until `None`.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    lexer: Lexer<'a>,
    src: &'a str,
    limits: Limits,
    /// Qualified names of the open elements.
    path: Vec<&'a str>,
    bindings: Vec<Binding<'a>>,
    elements: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a str, limits: Limits) -> Result<Self, ParseError> {
        let reader = Reader {
            lexer: Lexer::new(src),
            src,
            limits,
            path: Vec::with_capacity(16),
            bindings: Vec::with_capacity(8),
            elements: 0,
        };
        if src.len() > limits.max_bytes {
            return Err(reader.error(ParseErrorKind::TooLarge(limits.max_bytes), 0));
        }
        Ok(reader)
    }

    /// Reads up to the root element, past the XML declaration, comments and whitespace.
    pub(crate) fn root(&mut self) -> Result<Element<'a>, ParseError> {
        loop {
            let pos = self.lexer.position();
            match self.read()? {
                Token::Start { name, attrs, empty } => return self.open(name, attrs, empty, pos),
                Token::Decl | Token::Ignorable => {}
                Token::Text(text) if text.trim_ascii().is_empty() => {}
                Token::DocType => return Err(self.error(ParseErrorKind::Dtd, pos)),
                Token::Eof => {
                    return Err(self.error(ParseErrorKind::NotSoap("no root element".into()), pos));
                }
                _ => return Err(self.malformed("content before the root element", pos)),
            }
        }
    }

    /// After the root element: only whitespace, comments and processing instructions may follow.
    pub(crate) fn finish(&mut self) -> Result<(), ParseError> {
        loop {
            let pos = self.lexer.position();
            match self.read()? {
                Token::Eof => return Ok(()),
                Token::Ignorable => {}
                Token::Text(text) if text.trim_ascii().is_empty() => {}
                _ => return Err(self.malformed("content after the root element", pos)),
            }
        }
    }

    /// The next child element of `parent`, or `None` once its end tag has been read.
    /// Text between child elements is ignored.
    pub(crate) fn next_child(
        &mut self,
        parent: &Element<'a>,
    ) -> Result<Option<Element<'a>>, ParseError> {
        if parent.empty {
            return Ok(None);
        }
        loop {
            let pos = self.lexer.position();
            match self.read()? {
                Token::Start { name, attrs, empty } => {
                    return self.open(name, attrs, empty, pos).map(Some);
                }
                Token::End { name } => {
                    self.close(name, pos)?;
                    return Ok(None);
                }
                Token::Text(_) | Token::CData(_) | Token::Ignorable => {}
                Token::Eof => return Err(self.malformed("unexpected end of input", pos)),
                Token::Decl => return Err(self.malformed("misplaced XML declaration", pos)),
                Token::DocType => return Err(self.error(ParseErrorKind::Dtd, pos)),
            }
        }
    }

    /// The next child of `parent` without consuming it.
    pub(crate) fn peek_child(
        &self,
        parent: &Element<'a>,
    ) -> Result<Option<Element<'a>>, ParseError> {
        self.clone().next_child(parent)
    }

    /// The text content of `element`, which must have no child elements.
    pub(crate) fn text(&mut self, element: &Element<'a>) -> Result<Cow<'a, str>, ParseError> {
        if element.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut acc: Cow<'a, str> = Cow::Borrowed("");
        loop {
            let pos = self.lexer.position();
            match self.read()? {
                Token::Text(raw) => {
                    let text = unescape(raw, false).map_err(|e| self.reference_error(e, pos))?;
                    append(&mut acc, text);
                }
                Token::CData(data) => append(&mut acc, Cow::Borrowed(data)),
                Token::Ignorable => {}
                Token::End { name } => {
                    self.close(name, pos)?;
                    return Ok(acc);
                }
                Token::Start { name, .. } => {
                    let local = name.rsplit(':').next().unwrap_or(name).to_owned();
                    return Err(self.error(ParseErrorKind::UnexpectedElement(local), pos));
                }
                Token::Eof => return Err(self.malformed("unexpected end of input", pos)),
                Token::Decl => return Err(self.malformed("misplaced XML declaration", pos)),
                Token::DocType => return Err(self.error(ParseErrorKind::Dtd, pos)),
            }
            if acc.len() > self.limits.max_string_bytes {
                return Err(self.error(
                    ParseErrorKind::StringTooLong(self.limits.max_string_bytes),
                    pos,
                ));
            }
        }
    }

    /// Skips `element` and everything inside it.
    pub(crate) fn skip(&mut self, element: &Element<'a>) -> Result<(), ParseError> {
        while let Some(child) = self.next_child(element)? {
            self.skip(&child)?;
        }
        Ok(())
    }

    /// An error located at `element`'s start tag.
    pub(crate) fn error_at(&self, element: &Element<'a>, kind: ParseErrorKind) -> ParseError {
        self.error(kind, element.pos)
    }

    /// An invalid-value error for `field` at `element`.
    pub(crate) fn invalid(
        &self,
        element: &Element<'a>,
        field: &'static str,
        reason: impl Into<String>,
    ) -> ParseError {
        let kind = ParseErrorKind::InvalidValue {
            field,
            reason: reason.into(),
        };
        self.error_at(element, kind)
    }

    fn read(&mut self) -> Result<Token<'a>, ParseError> {
        self.lexer.next_token().map_err(|LexError { what, pos }| {
            self.error(ParseErrorKind::Malformed(what.into()), pos)
        })
    }

    /// Opens an element: limits, namespace declarations, the attributes CWMP reads.
    fn open(
        &mut self,
        qname: &'a str,
        attrs: &'a str,
        empty: bool,
        pos: usize,
    ) -> Result<Element<'a>, ParseError> {
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.error(
                ParseErrorKind::TooManyElements(self.limits.max_elements),
                pos,
            ));
        }
        if self.path.len() >= self.limits.max_depth {
            return Err(self.error(ParseErrorKind::TooDeep(self.limits.max_depth), pos));
        }
        let depth = self.path.len() + 1;
        self.path.push(qname);
        let mut xsi_type = None;
        // (prefix, value) of a `mustUnderstand` attribute, resolved once the element's own
        // namespace declarations are known.
        let mut must_understand_attr = None;
        if !attrs.is_empty() {
            // Names seen so far, for the duplicate check; past the first few, rescanning.
            let mut seen = [""; 8];
            for (count, (name, raw)) in attributes(attrs).enumerate() {
                if count >= self.limits.max_attributes {
                    return Err(self.error(
                        ParseErrorKind::TooManyAttributes(self.limits.max_attributes),
                        pos,
                    ));
                }
                let duplicate = match seen.get_mut(count) {
                    Some(slot) => {
                        *slot = name;
                        seen[..count].contains(&name)
                    }
                    None => attributes(attrs)
                        .take(count)
                        .any(|(earlier, _)| earlier == name),
                };
                if duplicate {
                    return Err(self.malformed(&format!("duplicate attribute {name}"), pos));
                }
                if raw.len() > self.limits.max_string_bytes {
                    return Err(self.error(
                        ParseErrorKind::StringTooLong(self.limits.max_string_bytes),
                        pos,
                    ));
                }
                let value = || unescape(raw, true).map_err(|e| self.reference_error(e, pos));
                let (prefix, local) = split_qname(name);
                match (prefix, local) {
                    ("", "xmlns") | ("xmlns", _) => {
                        let prefix = if prefix.is_empty() { "" } else { local };
                        let ns = Ns::classify(value()?);
                        self.bindings.push(Binding { prefix, ns, depth });
                    }
                    // Lenient: real devices also write `xsd:type` (cwmp_ex samples) or no
                    // prefix; the prefix is not checked.
                    (_, "type") => xsi_type = Some(value()?),
                    (prefix, "mustUnderstand") if !prefix.is_empty() => {
                        must_understand_attr = Some((prefix, value()?));
                    }
                    _ => {}
                }
            }
        }
        let must_understand = must_understand_attr.is_some_and(|(prefix, value)| {
            let value = value.trim();
            self.resolve(prefix) == Ns::SoapEnv && (value == "1" || value == "true")
        });
        let (prefix, local) = split_qname(qname);
        let ns = self.resolve(prefix);
        if empty {
            self.close(qname, pos)?;
        }
        Ok(Element {
            local,
            ns,
            empty,
            xsi_type,
            must_understand,
            pos,
        })
    }

    /// Closes the innermost open element, whose name `qname` must match.
    fn close(&mut self, qname: &str, pos: usize) -> Result<(), ParseError> {
        match self.path.last() {
            Some(open) if *open == qname => {}
            Some(open) => {
                let what = format!("</{qname}> does not close <{open}>");
                return Err(self.malformed(&what, pos));
            }
            None => return Err(self.malformed("end tag without a start tag", pos)),
        }
        let depth = self.path.len();
        self.path.pop();
        while self.bindings.last().is_some_and(|b| b.depth >= depth) {
            self.bindings.pop();
        }
        Ok(())
    }

    /// The CWMP version of a namespace declared in scope, if any: the version of a message whose
    /// elements never use it (a SOAP fault without detail, say).
    pub(crate) fn declared_cwmp_version(&self) -> Option<CwmpVersion> {
        self.bindings.iter().find_map(|b| match b.ns {
            Ns::Cwmp(v) => Some(v),
            _ => None,
        })
    }

    /// The namespace of `prefix` in scope; an undeclared prefix is read as no namespace.
    fn resolve(&self, prefix: &str) -> Ns<'a> {
        if prefix == "xml" {
            return Ns::Other(Cow::Borrowed("http://www.w3.org/XML/1998/namespace"));
        }
        self.bindings
            .iter()
            .rev()
            .find(|b| b.prefix == prefix)
            .map_or(Ns::None, |b| b.ns.clone())
    }

    fn reference_error(&self, (what, offset): (String, usize), pos: usize) -> ParseError {
        let kind = if what.starts_with('\'') {
            ParseErrorKind::Malformed(what)
        } else {
            ParseErrorKind::UnknownEntity(what)
        };
        self.error(kind, pos + offset)
    }

    fn malformed(&self, what: &str, pos: usize) -> ParseError {
        self.error(ParseErrorKind::Malformed(what.to_owned()), pos)
    }

    fn error(&self, kind: ParseErrorKind, pos: usize) -> ParseError {
        let (line, column) = line_column(self.src, pos);
        ParseError {
            kind,
            line,
            column,
            path: self.path.join("/"),
        }
    }
}

fn split_qname(qname: &str) -> (&str, &str) {
    match qname.bytes().position(|b| b == b':') {
        Some(colon) => (&qname[..colon], &qname[colon + 1..]),
        None => ("", qname),
    }
}

fn append<'a>(acc: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if acc.is_empty() {
        *acc = piece;
    } else {
        acc.to_mut().push_str(&piece);
    }
}

/// 1-based line and byte column of byte offset `pos` in `src`.
fn line_column(src: &str, pos: usize) -> (u32, u32) {
    let head = &src.as_bytes()[..pos.min(src.len())];
    let line = head.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = head.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn children(src: &str) -> Result<Vec<(String, String)>, ParseError> {
        let mut r = Reader::new(src, Limits::default())?;
        let root = r.root()?;
        let mut out = Vec::new();
        while let Some(child) = r.next_child(&root)? {
            let name = child.local.to_owned();
            let text = r.text(&child)?.into_owned();
            out.push((name, text));
        }
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn reads_text_with_entities_and_cdata() {
        let got = children("<a><b>x &amp; &#65;<![CDATA[<y>]]></b><c/></a>").unwrap();
        assert_eq!(
            got,
            vec![("b".into(), "x & A<y>".into()), ("c".into(), String::new())]
        );
    }

    #[test]
    fn rejects_dtd_and_unknown_entities() {
        let dtd = children("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>").unwrap_err();
        assert_eq!(dtd.kind, ParseErrorKind::Dtd);
        let entity = children("<a><b>&x;</b></a>").unwrap_err();
        assert_eq!(entity.kind, ParseErrorKind::UnknownEntity("x".into()));
    }

    #[test]
    fn enforces_depth_and_counts() {
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        let mut r = Reader::new(&deep, Limits::default()).unwrap();
        let root = r.root().unwrap();
        let err = r.skip(&root).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::TooDeep(32));

        let limits = Limits {
            max_elements: 3,
            ..Limits::default()
        };
        let mut r = Reader::new("<a><b/><b/><b/></a>", limits).unwrap();
        let root = r.root().unwrap();
        assert_eq!(
            r.skip(&root).unwrap_err().kind,
            ParseErrorKind::TooManyElements(3)
        );
    }

    #[test]
    fn reports_line_column_and_path() {
        let err = children("<a>\n  <b><c/></b>\n</a>").unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::UnexpectedElement("c".into()));
        assert_eq!((err.line, err.column), (2, 6));
        assert_eq!(err.path, "a/b");
    }

    #[test]
    fn rejects_trailing_garbage_and_mismatched_tags() {
        assert!(children("<a/><b/>").is_err());
        assert!(children("<a><b></c></a>").is_err());
        assert!(children("<a>").is_err());
    }

    #[test]
    fn resolves_namespaces_by_uri() {
        let src = r#"<x:Envelope xmlns:x="http://schemas.xmlsoap.org/soap/envelope/"/>"#;
        let mut r = Reader::new(src, Limits::default()).unwrap();
        let root = r.root().unwrap();
        assert_eq!((root.local, root.ns), ("Envelope", Ns::SoapEnv));
    }
}
