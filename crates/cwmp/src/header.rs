//! The CWMP SOAP header elements (TR-069 §3.5.1, Table 25 in Amendment 6).

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::version::{CwmpVersion, format_version_list, parse_version_list};
use crate::xml::field::parse_bool;
use crate::xml::reader::{Element, Ns, Reader};
use crate::xml::writer::{Writer, escape_into};

/// The CWMP header: every field is optional on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    /// `cwmp:ID`: matches a response to its request (`mustUnderstand="1"`).
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `cwmp:HoldRequests`: the ACS asks the CPE to send no requests of its own for now.
    #[serde(rename = "HoldRequests", skip_serializing_if = "Option::is_none")]
    pub hold_requests: Option<bool>,
    /// `cwmp:NoMoreRequests`: CWMP 1.0/1.1 only, deprecated since; read but not acted upon.
    #[serde(rename = "NoMoreRequests", skip_serializing_if = "Option::is_none")]
    pub no_more_requests: Option<bool>,
    /// `cwmp:SessionTimeout` (1.3+): the CPE's session timeout in seconds.
    #[serde(rename = "SessionTimeout", skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions` (1.4): the versions the CPE speaks.
    #[serde(
        rename = "SupportedCWMPVersions",
        skip_serializing_if = "Option::is_none"
    )]
    pub supported_cwmp_versions: Option<Vec<CwmpVersion>>,
    /// `cwmp:UseCWMPVersion` (1.4): the version the ACS chose for the session.
    #[serde(rename = "UseCWMPVersion", skip_serializing_if = "Option::is_none")]
    pub use_cwmp_version: Option<CwmpVersion>,
}

impl Header {
    /// A header that carries only an ID.
    pub fn with_id(id: impl Into<String>) -> Header {
        Header {
            id: Some(id.into()),
            ..Header::default()
        }
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        *self == Header::default()
    }

    /// The local names of the header elements we process (TR-069 §3.5.1); any other element
    /// marked `mustUnderstand="1"` makes the message fail with
    /// [`ParseErrorKind::MustUnderstand`](crate::ParseErrorKind::MustUnderstand).
    pub const UNDERSTOOD: [&'static str; 6] = [
        "ID",
        "HoldRequests",
        "NoMoreRequests",
        "SessionTimeout",
        "SupportedCWMPVersions",
        "UseCWMPVersion",
    ];

    /// Reads the children of `<Header>`; unknown header elements are skipped, unless one is
    /// marked `mustUnderstand="1"` and `strict` is set: then, once the whole header is read,
    /// the first such element is the error. Notes in `version` the first CWMP namespace seen.
    pub(crate) fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        version: &mut Option<CwmpVersion>,
        strict: bool,
    ) -> Result<Header, ParseError> {
        let mut header = Header::default();
        let mut not_understood = None;
        while let Some(child) = r.next_child(element)? {
            if let Ns::Cwmp(v) = child.ns {
                version.get_or_insert(v);
            }
            match child.local {
                "ID" => header.id = Some(r.text(&child)?.into_owned()),
                "HoldRequests" => {
                    header.hold_requests = Some(read_bool(r, &child, "HoldRequests")?)
                }
                "NoMoreRequests" => {
                    header.no_more_requests = Some(read_bool(r, &child, "NoMoreRequests")?)
                }
                "SessionTimeout" => {
                    let text = r.text(&child)?;
                    let secs = text.trim().parse().map_err(|_| {
                        r.invalid(
                            &child,
                            "SessionTimeout",
                            format!("{text:?} is not an unsignedInt"),
                        )
                    })?;
                    header.session_timeout = Some(secs);
                }
                "SupportedCWMPVersions" => {
                    header.supported_cwmp_versions = Some(parse_version_list(&r.text(&child)?))
                }
                "UseCWMPVersion" => {
                    let text = r.text(&child)?;
                    let version = text
                        .parse()
                        .map_err(|e| r.invalid(&child, "UseCWMPVersion", format!("{e}")))?;
                    header.use_cwmp_version = Some(version);
                }
                _ => {
                    if strict && child.must_understand && not_understood.is_none() {
                        let kind = ParseErrorKind::MustUnderstand {
                            name: child.local.to_owned(),
                            namespace: child.ns.uri(),
                        };
                        not_understood = Some(r.error_at(&child, kind));
                    }
                    r.skip(&child)?;
                }
            }
        }
        match not_understood {
            Some(e) => Err(e),
            None => Ok(header),
        }
    }

    /// Writes `<soap-env:Header>` unless the header is empty.
    pub(crate) fn encode(&self, w: &mut Writer) -> Result<(), WriteError> {
        if self.is_empty() {
            return Ok(());
        }
        w.raw("<soap-env:Header>");
        if let Some(id) = &self.id {
            // ID and HoldRequests carry mustUnderstand="1" (fixed by the schema); the others
            // must not be understood by peers that do not know them.
            header_leaf(w, "ID", "1", id)?;
        }
        if let Some(hold) = self.hold_requests {
            header_leaf(w, "HoldRequests", "1", if hold { "1" } else { "0" })?;
        }
        if let Some(no_more) = self.no_more_requests {
            header_leaf(w, "NoMoreRequests", "0", if no_more { "1" } else { "0" })?;
        }
        if let Some(secs) = self.session_timeout {
            header_leaf(w, "SessionTimeout", "0", &secs.to_string())?;
        }
        if let Some(versions) = &self.supported_cwmp_versions {
            header_leaf(
                w,
                "SupportedCWMPVersions",
                "0",
                &format_version_list(versions),
            )?;
        }
        if let Some(version) = self.use_cwmp_version {
            header_leaf(w, "UseCWMPVersion", "1", version.as_str())?;
        }
        w.raw("</soap-env:Header>");
        Ok(())
    }
}

fn read_bool<'a>(
    r: &mut Reader<'a>,
    element: &Element<'a>,
    field: &'static str,
) -> Result<bool, ParseError> {
    let text = r.text(element)?;
    // An empty HoldRequests/NoMoreRequests element has been seen from old CPEs: it means true.
    if text.trim().is_empty() {
        return Ok(true);
    }
    parse_bool(&text).ok_or_else(|| r.invalid(element, field, format!("{text:?} is not a boolean")))
}

fn header_leaf(
    w: &mut Writer,
    name: &'static str,
    must_understand: &str,
    text: &str,
) -> Result<(), WriteError> {
    let mut buf = String::with_capacity(text.len());
    escape_into(&mut buf, name, text)?;
    w.raw(&format!(
        "<cwmp:{name} soap-env:mustUnderstand=\"{must_understand}\">{buf}</cwmp:{name}>"
    ));
    Ok(())
}
