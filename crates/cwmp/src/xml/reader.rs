//! A pull cursor over quick-xml that walks a SOAP message element by element, resolving
//! namespaces by URI (never by prefix) and enforcing [`Limits`].

use std::borrow::Cow;

use quick_xml::NsReader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::error::{ParseError, ParseErrorKind};
use crate::limits::Limits;
use crate::version::CwmpVersion;

pub(crate) const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub(crate) const SOAP_ENC: &str = "http://schemas.xmlsoap.org/soap/encoding/";
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const XSD: &str = "http://www.w3.org/2001/XMLSchema";
const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";
const CWMP_PREFIX: &str = "urn:dslforum-org:cwmp-";

/// The namespace of an element, as far as CWMP cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace (unqualified), or an undeclared prefix.
    None,
    /// SOAP 1.1 envelope.
    SoapEnv,
    /// SOAP 1.2 envelope, which CWMP does not use.
    Soap12Env,
    /// A CWMP namespace; an unknown minor number maps to the newest namespace.
    Cwmp(CwmpVersion),
    /// Any other namespace URI.
    Other(String),
}

impl Ns {
    fn classify(uri: &str) -> Ns {
        let uri = uri.trim();
        if uri == SOAP_ENV {
            Ns::SoapEnv
        } else if uri == SOAP12_ENV {
            Ns::Soap12Env
        } else if let Some(v) = CwmpVersion::from_namespace(uri) {
            Ns::Cwmp(v)
        } else if uri.starts_with(CWMP_PREFIX) {
            Ns::Cwmp(CwmpVersion::V1_2)
        } else {
            Ns::Other(uri.to_owned())
        }
    }

    /// The URI, for messages.
    pub(crate) fn uri(&self) -> Option<String> {
        match self {
            Ns::None => None,
            Ns::SoapEnv => Some(SOAP_ENV.into()),
            Ns::Soap12Env => Some(SOAP12_ENV.into()),
            Ns::Cwmp(v) => Some(v.namespace().into()),
            Ns::Other(u) => Some(u.clone()),
        }
    }
}

/// One element start, with the few attributes CWMP reads.
#[derive(Debug, Clone)]
pub(crate) struct Element<'a> {
    /// Local name, without prefix.
    pub local: &'a str,
    /// Resolved namespace.
    pub ns: Ns,
    /// True for `<x/>`: it has no children and empty text.
    pub empty: bool,
    /// The `xsi:type` attribute as written (possibly prefixed), if any.
    pub xsi_type: Option<Cow<'a, str>>,
    /// `soap:mustUnderstand`, if given.
    pub must_understand: Option<bool>,
    /// Byte offset of the start tag, for error positions.
    pub pos: usize,
}

/// The cursor. Every element it returns must be consumed by exactly one of
/// [`Reader::text`], [`Reader::skip`] or a loop of [`Reader::next_child`] until `None`.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    inner: NsReader<&'a [u8]>,
    src: &'a str,
    limits: Limits,
    path: Vec<&'a str>,
    elements: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a str, limits: Limits) -> Result<Self, ParseError> {
        let mut inner = NsReader::from_str(src);
        let config = inner.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let reader = Reader {
            inner,
            src,
            limits,
            path: Vec::with_capacity(16),
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
            let pos = self.position();
            let (ns, event) = self.read()?;
            match event {
                Event::Start(start) => return self.open(ns, &start, pos, false),
                Event::Empty(start) => return self.open(ns, &start, pos, true),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Text(text) if text.trim_ascii().is_empty() => {}
                Event::DocType(_) => return Err(self.error(ParseErrorKind::Dtd, pos)),
                Event::Eof => {
                    return Err(self.error(ParseErrorKind::NotSoap("no root element".into()), pos));
                }
                _ => return Err(self.malformed("content before the root element", pos)),
            }
        }
    }

    /// After the root element: only whitespace, comments and processing instructions may follow.
    pub(crate) fn finish(&mut self) -> Result<(), ParseError> {
        loop {
            let pos = self.position();
            match self.read()?.1 {
                Event::Eof => return Ok(()),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Text(text) if text.trim_ascii().is_empty() => {}
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
            let pos = self.position();
            let (ns, event) = self.read()?;
            match event {
                Event::Start(start) => return self.open(ns, &start, pos, false).map(Some),
                Event::Empty(start) => return self.open(ns, &start, pos, true).map(Some),
                Event::End(_) => {
                    self.path.pop();
                    return Ok(None);
                }
                Event::Text(_)
                | Event::CData(_)
                | Event::GeneralRef(_)
                | Event::Comment(_)
                | Event::PI(_) => {}
                Event::Eof => return Err(self.malformed("unexpected end of input", pos)),
                Event::Decl(_) => return Err(self.malformed("misplaced XML declaration", pos)),
                Event::DocType(_) => return Err(self.error(ParseErrorKind::Dtd, pos)),
            }
        }
    }

    /// The next child element of `parent`, without consuming anything: for the few lists whose
    /// form (SOAP array or bare items) depends on their first child.
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
            let pos = self.position();
            let (_, event) = self.read()?;
            match event {
                Event::Text(text) => append(&mut acc, text.xml10_content()),
                Event::CData(data) => append(&mut acc, data.xml10_content()),
                Event::GeneralRef(reference) => {
                    let resolved = self.resolve_entity(&reference, pos)?;
                    acc.to_mut().push_str(resolved.as_ref());
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::End(_) => {
                    self.path.pop();
                    return Ok(acc);
                }
                Event::Start(start) | Event::Empty(start) => {
                    let name = start.local_name().as_ref().to_owned();
                    return Err(self.error(ParseErrorKind::UnexpectedElement(name), pos));
                }
                Event::Eof => return Err(self.malformed("unexpected end of input", pos)),
                Event::Decl(_) => return Err(self.malformed("misplaced XML declaration", pos)),
                Event::DocType(_) => return Err(self.error(ParseErrorKind::Dtd, pos)),
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

    fn position(&self) -> usize {
        usize::try_from(self.inner.buffer_position()).unwrap_or(usize::MAX)
    }

    fn read(&mut self) -> Result<(Ns, Event<'a>), ParseError> {
        match self.inner.read_resolved_event() {
            Ok((resolved, event)) => {
                let ns = match resolved {
                    ResolveResult::Bound(ns) => Ns::classify(ns.as_ref()),
                    ResolveResult::Unbound | ResolveResult::Unknown(_) => Ns::None,
                };
                Ok((ns, event))
            }
            Err(e) => {
                let pos = usize::try_from(self.inner.error_position()).unwrap_or(0);
                Err(self.error(ParseErrorKind::Malformed(e.to_string()), pos))
            }
        }
    }

    fn open(
        &mut self,
        ns: Ns,
        start: &BytesStart<'_>,
        pos: usize,
        empty: bool,
    ) -> Result<Element<'a>, ParseError> {
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(self.error(
                ParseErrorKind::TooManyElements(self.limits.max_elements),
                pos,
            ));
        }
        let local = self.input_str(start.local_name().as_ref());
        if !empty {
            if self.path.len() >= self.limits.max_depth {
                return Err(self.error(ParseErrorKind::TooDeep(self.limits.max_depth), pos));
            }
            self.path.push(local);
        }
        let mut element = Element {
            local,
            ns,
            empty,
            xsi_type: None,
            must_understand: None,
            pos,
        };
        for (count, attr) in start.attributes().enumerate() {
            if count >= self.limits.max_attributes {
                return Err(self.error(
                    ParseErrorKind::TooManyAttributes(self.limits.max_attributes),
                    pos,
                ));
            }
            let attr = attr.map_err(|e| self.malformed(&e.to_string(), pos))?;
            let key = attr.key;
            if key.as_namespace_binding().is_some() {
                continue;
            }
            let (resolved, local) = self.inner.resolver().resolve_attribute(key);
            let attr_ns = match resolved {
                ResolveResult::Bound(ns) => Some(ns.into_inner()),
                _ => None,
            };
            match local.as_ref() {
                // Lenient: real devices also write `xsd:type` (cwmp_ex samples) or no prefix.
                "type" if matches!(attr_ns, None | Some(XSI | XSD)) => {
                    let value = self.attr_value(&attr, pos)?;
                    element.xsi_type = Some(value);
                }
                "mustUnderstand" => {
                    let value = self.attr_value(&attr, pos)?;
                    element.must_understand = Some(matches!(value.trim(), "1" | "true"));
                }
                _ => {}
            }
        }
        Ok(element)
    }

    fn attr_value(
        &self,
        attr: &quick_xml::events::attributes::Attribute<'_>,
        pos: usize,
    ) -> Result<Cow<'a, str>, ParseError> {
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| self.malformed(&e.to_string(), pos))?;
        if value.len() > self.limits.max_string_bytes {
            return Err(self.error(
                ParseErrorKind::StringTooLong(self.limits.max_string_bytes),
                pos,
            ));
        }
        Ok(Cow::Owned(value.into_owned()))
    }

    fn resolve_entity(
        &self,
        reference: &BytesRef<'_>,
        pos: usize,
    ) -> Result<Cow<'static, str>, ParseError> {
        let name: &str = reference.as_ref();
        let predefined = match name {
            "amp" => Some("&"),
            "lt" => Some("<"),
            "gt" => Some(">"),
            "quot" => Some("\""),
            "apos" => Some("'"),
            _ => None,
        };
        if let Some(s) = predefined {
            return Ok(Cow::Borrowed(s));
        }
        match reference.resolve_char_ref() {
            Ok(Some(c)) => Ok(Cow::Owned(c.to_string())),
            Ok(None) => Err(self.error(ParseErrorKind::UnknownEntity(name.to_owned()), pos)),
            Err(e) => Err(self.malformed(&e.to_string(), pos)),
        }
    }

    /// Re-borrows a slice of the input with the input's lifetime, so names need no copy.
    fn input_str(&self, name: &str) -> &'a str {
        let base = self.src.as_ptr() as usize;
        let start = (name.as_ptr() as usize).wrapping_sub(base);
        self.src
            .get(start..start.saturating_add(name.len()))
            .unwrap_or("")
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
