//! Helpers for the unit tests of the RPC types.

use crate::body::Body;
use crate::envelope::Envelope;
use crate::error::WriteError;
use crate::header::Header;
use crate::version::CwmpVersion;

/// A whole message around `body`, in the style of real CPEs (`SOAP-ENV`, `SOAP-ENC`), with
/// the `cwmp` prefix bound to `urn:dslforum-org:cwmp-{ns}`.
pub(crate) fn envelope(ns: &str, body: &str) -> String {
    format!(
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xmlns:cwmp=\"urn:dslforum-org:cwmp-{ns}\">\n\
         <SOAP-ENV:Header><cwmp:ID SOAP-ENV:mustUnderstand=\"1\">1</cwmp:ID></SOAP-ENV:Header>\n\
         <SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
}

/// Parses `body` wrapped in [`envelope`]; panics on error.
pub(crate) fn parse(ns: &str, body: &str) -> Body {
    match Envelope::parse(&envelope(ns, body)) {
        Ok(envelope) => envelope.body,
        Err(e) => panic!("{e}\n{body}"),
    }
}

/// Writes `body` in `version`.
pub(crate) fn write(version: CwmpVersion, body: impl Into<Body>) -> Result<String, WriteError> {
    Envelope::new(version, Header::default(), body).to_xml()
}

/// The error writing `body` in `version` gives; panics if it is written.
pub(crate) fn write_err(version: CwmpVersion, body: impl Into<Body>) -> WriteError {
    match write(version, body) {
        Ok(xml) => panic!("written, expected an error: {xml}"),
        Err(e) => e,
    }
}

/// Writes `body` in `version`, parses it back, checks it is unchanged, and returns the XML.
pub(crate) fn round_trip(version: CwmpVersion, body: impl Into<Body>) -> String {
    let body = body.into();
    let xml = match write(version, body.clone()) {
        Ok(xml) => xml,
        Err(e) => panic!("cannot write {body:?} in {version}: {e}"),
    };
    let back = Envelope::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(back.body, body, "{xml}");
    xml
}
