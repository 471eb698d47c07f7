//! Hand-written ACS requests parsed with [`Envelope::parse`], answered on the shipped TR-181
//! gateway profile, written back with [`Envelope::to_xml`]; and every response checked
//! against the CWMP 1.0 and 1.2 schemas with xmllint.
//!
//! Skipped, with a message, when the TR-181 file (or, for the schema check, xmllint or the
//! schemas) is absent.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use cwmp::rpc::{DeviceId, Inform};
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, FaultCode, Header};

use super::*;
use crate::{
    ApplyStatus, BackendError, Change, LoadOptions, MemoryBackend, Model, ModelOptions, NoBackend,
    Profile, Schema,
};

const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);

/// The TR-181 gateway model, loaded once; `None` when the file is absent.
fn model() -> Option<Arc<Model>> {
    static MODEL: OnceLock<Option<Arc<Model>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = Path::new(TR181);
            if !path.is_file() {
                return None;
            }
            let schema = Schema::from_file(path, &LoadOptions::default()).expect("TR-181 loads");
            let profile = Profile::tr181_gateway().expect("profile parses");
            let model = Model::new(Arc::new(schema), &profile, ModelOptions::default());
            Some(Arc::new(model.expect("model builds")))
        })
        .clone()
}

/// A fresh gateway tree, or `None` (with a message) when the TR-181 file is absent.
fn gateway(test: &str) -> Option<Tree> {
    let m = model();
    if m.is_none() {
        eprintln!("SKIPPED {test}: {TR181} not found");
    }
    m.map(Tree::new)
}

/// A request as an ACS sends it, with its own prefixes: `soap` for the envelope, `cwmp` for
/// the CWMP namespace of version `ns` (`1-0`, `1-2`). In `body`, `cwmp:` and `enc:` stand for
/// the CWMP and SOAP-encoding prefixes.
fn envelope(soap: &str, cwmp: &str, ns: &str, id: &str, body: &str) -> String {
    let body = body
        .replace("cwmp:", &format!("{cwmp}:"))
        .replace("enc:", &format!("{soap}-enc:"));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<{soap}:Envelope xmlns:{soap}="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:{soap}-enc="http://schemas.xmlsoap.org/soap/encoding/"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:{cwmp}="urn:dslforum-org:cwmp-{ns}">
  <{soap}:Header><{cwmp}:ID {soap}:mustUnderstand="1">{id}</{cwmp}:ID></{soap}:Header>
  <{soap}:Body>
    {body}
  </{soap}:Body>
</{soap}:Envelope>"#
    )
}

fn gpv(names: &[&str]) -> String {
    let items: String = names
        .iter()
        .map(|n| format!("<string>{n}</string>"))
        .collect();
    envelope(
        "soapenv",
        "cwmp",
        "1-0",
        "gpv",
        &format!(
            r#"<cwmp:GetParameterValues><ParameterNames enc:arrayType="xsd:string[{}]">{items}</ParameterNames></cwmp:GetParameterValues>"#,
            names.len()
        ),
    )
}

/// `(name, xsi:type, text)` entries of a SetParameterValues.
fn spv(list: &[(&str, &str, &str)], key: &str) -> String {
    let items: String = list
        .iter()
        .map(|(n, t, v)| {
            format!(
                r#"<ParameterValueStruct><Name>{n}</Name><Value xsi:type="{t}">{v}</Value></ParameterValueStruct>"#
            )
        })
        .collect();
    envelope(
        "SOAP-ENV",
        "cwmp",
        "1-2",
        "spv",
        &format!(
            r#"<cwmp:SetParameterValues><ParameterList enc:arrayType="cwmp:ParameterValueStruct[{}]">{items}</ParameterList><ParameterKey>{key}</ParameterKey></cwmp:SetParameterValues>"#,
            list.len()
        ),
    )
}

fn gpn(path: &str, next_level: bool) -> String {
    envelope(
        "s",
        "ns1",
        "1-0",
        "gpn",
        &format!(
            "<cwmp:GetParameterNames><ParameterPath>{path}</ParameterPath><NextLevel>{next_level}</NextLevel></cwmp:GetParameterNames>"
        ),
    )
}

const SPA: &str = r#"<cwmp:SetParameterAttributes><ParameterList enc:arrayType="cwmp:SetParameterAttributesStruct[2]">
  <SetParameterAttributesStruct><Name>Device.DeviceInfo.HostName</Name>
    <NotificationChange>1</NotificationChange><Notification>2</Notification>
    <AccessListChange>1</AccessListChange><AccessList enc:arrayType="xsd:string[1]"><string>Subscriber</string></AccessList>
  </SetParameterAttributesStruct>
  <SetParameterAttributesStruct><Name>Device.WiFi.SSID.1.</Name>
    <NotificationChange>true</NotificationChange><Notification>1</Notification>
    <AccessListChange>false</AccessListChange><AccessList enc:arrayType="xsd:string[0]"/>
  </SetParameterAttributesStruct>
</ParameterList></cwmp:SetParameterAttributes>"#;

const GPA: &str = r#"<cwmp:GetParameterAttributes><ParameterNames enc:arrayType="xsd:string[2]">
  <string>Device.DeviceInfo.HostName</string><string>Device.WiFi.SSID.1.SSID</string>
</ParameterNames></cwmp:GetParameterAttributes>"#;

const SPA_FORCED: &str = r#"<cwmp:SetParameterAttributes><ParameterList enc:arrayType="cwmp:SetParameterAttributesStruct[1]">
  <SetParameterAttributesStruct><Name>Device.DeviceInfo.SoftwareVersion</Name>
    <NotificationChange>1</NotificationChange><Notification>0</Notification>
    <AccessListChange>0</AccessListChange><AccessList/>
  </SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>"#;

fn object(method: &str, name: &str, key: &str) -> String {
    envelope(
        "SOAP-ENV",
        "cwmp",
        "1-2",
        method,
        &format!(
            "<cwmp:{method}><ObjectName>{name}</ObjectName><ParameterKey>{key}</ParameterKey></cwmp:{method}>"
        ),
    )
}

fn get_rpc_methods() -> String {
    envelope("soap", "cwmp", "1-0", "rpc", "<cwmp:GetRPCMethods/>")
}

/// A request answered on `tree`: the response body and its XML, written in the request's
/// version with its ID and read back unchanged.
fn exchange_with(tree: &mut Tree, backend: &mut dyn Backend, xml: &str) -> (Body, String) {
    let request = Envelope::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let body = answer(tree, backend, &request.body)
        .unwrap_or_else(|| panic!("no answer to {}", request.body.name()));
    let header = Header {
        id: request.header.id.clone(),
        ..Header::default()
    };
    let response = Envelope::new(request.version, header, body.clone());
    let out = response
        .to_xml()
        .unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert_eq!(Envelope::parse(&out).expect("reads back").body, body);
    (body, out)
}

fn exchange(tree: &mut Tree, xml: &str) -> (Body, String) {
    exchange_with(tree, &mut NoBackend, xml)
}

/// The CWMP fault of a fault response, with its SOAP faultcode checked against the code.
fn fault(body: &Body) -> &CwmpFault {
    let Body::Fault(f) = body else {
        panic!("not a fault: {body:?}")
    };
    let detail = f.detail.as_ref().expect("CWMP detail");
    assert_eq!(f.kind, detail.code.kind());
    detail
}

/// An Inform for the gateway.
fn inform(t: &Tree) -> Inform {
    let mut inform = Inform {
        device_id: DeviceId {
            manufacturer: "Example Networks".into(),
            oui: "00D09E".into(),
            product_class: "EX1000".into(),
            serial_number: "EX0000000001".into(),
        },
        event: vec![EventStruct {
            event_code: EventCode::Periodic,
            command_key: String::new(),
        }],
        max_envelopes: 1,
        current_time: DateTime::UNKNOWN,
        retry_count: 0,
        parameter_list: Vec::new(),
    };
    fill_inform(t, &NoBackend, &mut inform);
    inform
}

mod inform;
mod operations;
mod xsd;
