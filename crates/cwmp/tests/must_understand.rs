//! SOAP 1.1 `mustUnderstand` (§4.2.3): a header element so marked that is not a CWMP header we
//! process makes the message unparsable with a typed error; [`Envelope::parse_head`] still
//! gives the `cwmp:ID` and method for the answer; the `MustUnderstand` fault is written with
//! the SOAP-qualified faultcode and read back.

use cwmp::{Body, CwmpVersion, Envelope, Fault, FaultKind, Header, Limits, ParseErrorKind};

fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2" xmlns:x="urn:example:x">
<SOAP-ENV:Header>{header}</SOAP-ENV:Header>
<SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"#
    )
}

const ID: &str = r#"<cwmp:ID SOAP-ENV:mustUnderstand="1">req-7</cwmp:ID>"#;
const GRM: &str = "<cwmp:GetRPCMethods/>";

#[test]
fn unknown_mandatory_header_is_a_typed_error_and_head_still_reads() {
    for unknown in [
        r#"<x:Trace SOAP-ENV:mustUnderstand="1">on</x:Trace>"#,
        r#"<x:Trace SOAP-ENV:mustUnderstand="true"/>"#,
        r#"<cwmp:X_Vendor SOAP-ENV:mustUnderstand=" 1 ">1</cwmp:X_Vendor>"#,
    ] {
        // Before and after the ID: the ID is read either way.
        for header in [format!("{unknown}{ID}"), format!("{ID}{unknown}")] {
            let xml = envelope(&header, GRM);
            let err = Envelope::parse(&xml).expect_err("must not parse");
            assert!(err.is_must_understand(), "{err}");
            assert!(!err.is_unknown_method());
            let head = Envelope::parse_head(xml.as_bytes(), None, &Limits::default())
                .expect("head parses");
            assert_eq!(head.header.id.as_deref(), Some("req-7"));
            assert_eq!(head.method.as_deref(), Some("GetRPCMethods"));
            assert!(head.is_request());
            assert_eq!(head.version, CwmpVersion::V1_2);
        }
    }
    let xml = envelope(
        r#"<x:Trace SOAP-ENV:mustUnderstand="1"/>"#,
        "<cwmp:GetRPCMethods/>",
    );
    match Envelope::parse(&xml).expect_err("must not parse").kind {
        ParseErrorKind::MustUnderstand { name, namespace } => {
            assert_eq!(name, "Trace");
            assert_eq!(namespace.as_deref(), Some("urn:example:x"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn optional_or_foreign_attribute_headers_are_ignored() {
    for header in [
        r#"<x:Trace SOAP-ENV:mustUnderstand="0">on</x:Trace>"#,
        r#"<x:Trace>on</x:Trace>"#,
        // Not the SOAP attribute: an unqualified one, and one in another namespace.
        r#"<x:Trace mustUnderstand="1">on</x:Trace>"#,
        r#"<x:Trace x:mustUnderstand="1">on</x:Trace>"#,
        // Every CWMP header we process may be mandatory.
        r#"<cwmp:HoldRequests SOAP-ENV:mustUnderstand="1">0</cwmp:HoldRequests><cwmp:UseCWMPVersion SOAP-ENV:mustUnderstand="1">1.4</cwmp:UseCWMPVersion><cwmp:SessionTimeout SOAP-ENV:mustUnderstand="1">30</cwmp:SessionTimeout><cwmp:SupportedCWMPVersions SOAP-ENV:mustUnderstand="1">1.0,1.4</cwmp:SupportedCWMPVersions><cwmp:NoMoreRequests SOAP-ENV:mustUnderstand="1">0</cwmp:NoMoreRequests>"#,
    ] {
        let xml = envelope(&format!("{ID}{header}"), GRM);
        let env = Envelope::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(env.header.id.as_deref(), Some("req-7"));
    }
    assert_eq!(Header::UNDERSTOOD.len(), 6);
}

#[test]
fn head_of_unknown_method_and_of_responses() {
    let xml = envelope(ID, "<cwmp:X_TEST_Bogus><A>1</A></cwmp:X_TEST_Bogus>");
    let err = Envelope::parse(&xml).expect_err("unknown");
    assert!(err.is_unknown_method());
    let head = Envelope::parse_head(xml.as_bytes(), None, &Limits::default()).expect("head");
    assert_eq!(head.method.as_deref(), Some("X_TEST_Bogus"));
    assert_eq!(head.header.id.as_deref(), Some("req-7"));
    assert!(head.is_request());
    for body in ["<cwmp:InformResponse/>", "<SOAP-ENV:Fault/>"] {
        let head = Envelope::parse_head(envelope(ID, body).as_bytes(), None, &Limits::default())
            .expect("head");
        assert!(!head.is_request(), "{body}");
    }
    assert!(Envelope::parse_head(b"<a/>", None, &Limits::default()).is_err());
}

#[test]
fn must_understand_fault_is_written_qualified_and_read_back() {
    let fault = Fault::must_understand("Trace", Some("urn:example:x"));
    assert_eq!(fault.kind, FaultKind::MustUnderstand);
    assert!(fault.detail.is_none());
    let env = Envelope::new(CwmpVersion::V1_0, Header::with_id("req-7"), fault.clone());
    let xml = env.to_xml().expect("written");
    assert!(
        xml.contains("<faultcode>soap-env:MustUnderstand</faultcode>"),
        "{xml}"
    );
    assert!(!xml.contains("<detail>"));
    let back = Envelope::parse(&xml).expect("parses");
    assert_eq!(back.body, Body::Fault(fault.clone()));
    assert_eq!(back.header.id.as_deref(), Some("req-7"));
    // Another stack's prefix reads the same.
    let other = xml.replace("soap-env:MustUnderstand", "SOAP-ENV:MustUnderstand");
    assert_eq!(
        Envelope::parse(&other).expect("parses").body,
        Body::Fault(fault)
    );

    // Validated: no CWMP detail on a MustUnderstand fault, a bounded faultstring.
    let mut bad = Fault::must_understand("Trace", None);
    bad.detail = Fault::new(cwmp::FaultCode::METHOD_NOT_SUPPORTED, "x").detail;
    assert!(
        Envelope::new(CwmpVersion::V1_2, Header::default(), bad)
            .to_xml()
            .is_err()
    );
    let long = Fault::must_understand(&"N".repeat(1000), None);
    assert!(long.fault_string.chars().count() <= 256);
    assert!(
        Envelope::new(CwmpVersion::V1_2, Header::default(), long)
            .to_xml()
            .is_ok()
    );
    let mut too_long = Fault::must_understand("T", None);
    too_long.fault_string = "s".repeat(257);
    assert!(
        Envelope::new(CwmpVersion::V1_2, Header::default(), too_long)
            .to_xml()
            .is_err()
    );
}
