//! The SOAP envelope: parse a whole CWMP message, or write one.

use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::charset::{self, Charset};
use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::header::Header;
use crate::limits::Limits;
use crate::soap_fault::Fault;
use crate::version::CwmpVersion;
use crate::xml::reader::{Element, Ns, Reader, SOAP_ENC, SOAP_ENV, XSD, XSI};
use crate::xml::writer::Writer;

/// One CWMP message: the namespace version it was (or is to be) written in, the CWMP header
/// and the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The version whose namespace the message uses (1.2 also stands for 1.3 and 1.4).
    pub version: CwmpVersion,
    /// The CWMP header elements.
    #[serde(default)]
    pub header: Header,
    /// The request, response or fault.
    pub body: Body,
}

/// The version, CWMP header and method name of a message ([`Envelope::parse_head`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeHead {
    /// The version the answer is written in.
    pub version: CwmpVersion,
    /// The CWMP header (its `cwmp:ID` goes into the answer).
    pub header: Header,
    /// Local name of the Body's element (`Fault` for a SOAP fault), if there is one.
    pub method: Option<String>,
}

impl EnvelopeHead {
    /// True when the message is a request, to which a fault may answer: TR-069 §3.5 forbids
    /// answering a response or a fault with a fault.
    pub fn is_request(&self) -> bool {
        self.method
            .as_deref()
            .is_some_and(|m| m != "Fault" && !m.ends_with("Response"))
    }
}

impl Envelope {
    /// A message of `version` with `header` and `body`.
    pub fn new(version: CwmpVersion, header: Header, body: impl Into<Body>) -> Envelope {
        Envelope {
            version,
            header,
            body: body.into(),
        }
    }

    /// Parses a message with the default [`Limits`].
    pub fn parse(xml: &str) -> Result<Envelope, ParseError> {
        Envelope::parse_with_limits(xml, &Limits::default())
    }

    /// Parses raw bytes in UTF-8 or ISO-8859-1; `hint` is the charset of the HTTP
    /// `Content-Type`, if any.
    pub fn parse_bytes(
        bytes: &[u8],
        hint: Option<Charset>,
        limits: &Limits,
    ) -> Result<Envelope, ParseError> {
        if bytes.len() > limits.max_bytes {
            return Err(ParseError {
                kind: ParseErrorKind::TooLarge(limits.max_bytes),
                line: 1,
                column: 1,
                path: String::new(),
            });
        }
        let text = charset::decode(bytes, hint)?;
        Envelope::parse_with_limits(&text, limits)
    }

    /// Parses a message with the given limits.
    pub fn parse_with_limits(xml: &str, limits: &Limits) -> Result<Envelope, ParseError> {
        let mut r = Reader::new(xml, *limits)?;
        let root = r.root()?;
        match (&root.ns, root.local) {
            (Ns::SoapEnv, "Envelope") => {}
            (Ns::Soap12Env, _) => {
                let why = "SOAP 1.2 envelope; CWMP uses SOAP 1.1".into();
                return Err(r.error_at(&root, ParseErrorKind::NotSoap(why)));
            }
            (_, local) => {
                let why = format!("root element <{local}> is not a SOAP 1.1 Envelope");
                return Err(r.error_at(&root, ParseErrorKind::NotSoap(why)));
            }
        }
        let declared = r.declared_cwmp_version();
        let mut header = Header::default();
        let mut version = None;
        let mut body = None;
        while let Some(child) = r.next_child(&root)? {
            match (child.local, &child.ns) {
                ("Header", Ns::SoapEnv) if body.is_none() => {
                    header = Header::decode(&mut r, &child, &mut version, true)?;
                }
                ("Body", Ns::SoapEnv) if body.is_none() => {
                    body = Some(decode_body(&mut r, &child, &mut version)?);
                }
                ("Header" | "Body", Ns::SoapEnv) => {
                    let why = format!("unexpected {} after the Body", child.local);
                    return Err(r.error_at(&child, ParseErrorKind::NotSoap(why)));
                }
                _ => r.skip(&child)?,
            }
        }
        r.finish()?;
        let body =
            body.ok_or_else(|| r.error_at(&root, ParseErrorKind::NotSoap("no Body".into())))?;
        let namespace = version.or(declared).unwrap_or(CwmpVersion::V1_0);
        let version = effective_version(namespace, &header);
        Ok(Envelope {
            version,
            header,
            body,
        })
    }

    /// Reads only what a receiver needs to answer a message [`Envelope::parse_bytes`]
    /// refused with an unknown method or a not-understood mandatory header: the version, the
    /// CWMP header (here every `mustUnderstand` header is skipped) and the name of the Body's
    /// element. The rest of the message is not looked at.
    pub fn parse_head(
        bytes: &[u8],
        hint: Option<Charset>,
        limits: &Limits,
    ) -> Result<EnvelopeHead, ParseError> {
        let text = charset::decode(bytes, hint)?;
        let mut r = Reader::new(&text, *limits)?;
        let root = r.root()?;
        if !(root.ns == Ns::SoapEnv && root.local == "Envelope") {
            let why = format!("root element <{}> is not a SOAP 1.1 Envelope", root.local);
            return Err(r.error_at(&root, ParseErrorKind::NotSoap(why)));
        }
        let declared = r.declared_cwmp_version();
        let mut header = Header::default();
        let mut version = None;
        let mut method = None;
        while let Some(child) = r.next_child(&root)? {
            match (child.local, &child.ns) {
                ("Header", Ns::SoapEnv) => {
                    header = Header::decode(&mut r, &child, &mut version, false)?;
                }
                ("Body", Ns::SoapEnv) => {
                    if let Some(first) = r.next_child(&child)? {
                        if let Ns::Cwmp(v) = first.ns {
                            version.get_or_insert(v);
                        }
                        method = Some(first.local.to_owned());
                    }
                    break;
                }
                _ => r.skip(&child)?,
            }
        }
        let namespace = version.or(declared).unwrap_or(CwmpVersion::V1_0);
        Ok(EnvelopeHead {
            version: effective_version(namespace, &header),
            header,
            method,
        })
    }

    /// Checks the message against the rules of the schema of [`Envelope::version`], the same
    /// ones [`Envelope::to_xml`] enforces: a parsed message that fails here was accepted
    /// leniently (a lowercase OUI, an over-long CommandKey, …) and can be logged as such.
    pub fn validate(&self) -> Result<(), WriteError> {
        self.to_xml().map(drop)
    }

    /// Writes the message. Fails, before anything is written, when a value breaks a rule of the
    /// schema of [`Envelope::version`].
    pub fn to_xml(&self) -> Result<String, WriteError> {
        let mut w = Writer::new(self.version, 4096);
        w.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap-env:Envelope xmlns:soap-env=\"");
        w.raw(SOAP_ENV);
        w.raw("\" xmlns:soap-enc=\"");
        w.raw(SOAP_ENC);
        w.raw("\" xmlns:xsd=\"");
        w.raw(XSD);
        w.raw("\" xmlns:xsi=\"");
        w.raw(XSI);
        w.raw("\" xmlns:cwmp=\"");
        w.raw(self.version.namespace());
        w.raw("\">");
        self.header.encode(&mut w)?;
        w.raw("<soap-env:Body>");
        self.body.encode(&mut w)?;
        w.raw("</soap-env:Body></soap-env:Envelope>");
        Ok(w.finish())
    }
}

/// The namespace says 1.0, 1.1 or "1.2 or later"; within the 1-2 namespace a `UseCWMPVersion`
/// header names the exact version (TR-069 Annex I).
pub(crate) fn effective_version(namespace: CwmpVersion, header: &Header) -> CwmpVersion {
    match header.use_cwmp_version {
        Some(used) if namespace == CwmpVersion::V1_2 && used >= CwmpVersion::V1_2 => used,
        _ => namespace,
    }
}

/// Reads the single element of `<Body>`: a CWMP method or a SOAP Fault.
fn decode_body<'a>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    version: &mut Option<CwmpVersion>,
) -> Result<Body, ParseError> {
    let Some(child) = r.next_child(element)? else {
        return Err(r.error_at(element, ParseErrorKind::NotSoap("empty Body".into())));
    };
    if let Ns::Cwmp(v) = child.ns {
        version.get_or_insert(v);
    }
    let body = if child.local == "Fault" && child.ns == Ns::SoapEnv {
        Body::Fault(Fault::decode(r, &child, version)?)
    } else {
        // Lenient: a known method is accepted in any namespace; the version then comes from
        // the header, or defaults to 1.0.
        Body::decode(r, &child)?
    };
    if let Some(extra) = r.next_child(element)? {
        let why = format!("a second element <{}> in the Body", extra.local);
        return Err(r.error_at(&extra, ParseErrorKind::NotSoap(why)));
    }
    Ok(body)
}
