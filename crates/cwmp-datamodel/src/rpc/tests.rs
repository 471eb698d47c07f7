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

#[test]
fn get_parameter_values_of_a_partial_path() {
    let Some(mut t) = gateway("get_parameter_values_of_a_partial_path") else {
        return;
    };
    let (body, xml) = exchange(&mut t, &gpv(&["Device.DeviceInfo."]));
    let Body::GetParameterValuesResponse(r) = body else {
        panic!("{body:?}")
    };
    let names: Vec<&str> = r.parameter_list.iter().map(|p| p.name.as_str()).collect();
    assert!(names.iter().all(|n| n.starts_with("Device.DeviceInfo.")));
    for n in [
        "Device.DeviceInfo.Manufacturer",
        "Device.DeviceInfo.SoftwareVersion",
        "Device.DeviceInfo.UpTime",
        "Device.DeviceInfo.MemoryStatus.Total",
        "Device.DeviceInfo.X_00D09E_BootCount",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert!(xml.contains("<cwmp:ID soap-env:mustUnderstand=\"1\">gpv</cwmp:ID>"));
    assert!(xml.contains(&format!(
        "<ParameterList soap-enc:arrayType=\"cwmp:ParameterValueStruct[{}]\">",
        names.len()
    )));
    assert!(xml.contains(
        "<ParameterValueStruct><Name>Device.DeviceInfo.Manufacturer</Name>\
         <Value xsi:type=\"xsd:string\">Example Networks</Value></ParameterValueStruct>"
    ));
    assert!(xml.contains(
        "<Name>Device.DeviceInfo.MemoryStatus.Total</Name>\
         <Value xsi:type=\"xsd:unsignedInt\">262144</Value>"
    ));
}

#[test]
fn set_parameter_values_success_stores_the_key() {
    let Some(mut t) = gateway("set_parameter_values_success_stores_the_key") else {
        return;
    };
    let request = spv(
        &[
            (
                "Device.ManagementServer.PeriodicInformInterval",
                "xsd:unsignedInt",
                "3600",
            ),
            ("Device.DeviceInfo.ProvisioningCode", "xsd:string", "PC-1"),
        ],
        "pk-42",
    );
    let (body, xml) = exchange(&mut t, &request);
    assert!(matches!(
        body,
        Body::SetParameterValuesResponse(SetParameterValuesResponse {
            status: Status::Applied
        })
    ));
    assert!(xml.contains(
        "<cwmp:SetParameterValuesResponse><Status>0</Status></cwmp:SetParameterValuesResponse>"
    ));
    assert!(xml.contains("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\""));
    assert_eq!(t.parameter_key(), "pk-42");
    let (_, xml) = exchange(
        &mut t,
        &gpv(&[
            "Device.ManagementServer.ParameterKey",
            "Device.ManagementServer.PeriodicInformInterval",
        ]),
    );
    assert!(xml.contains("<Value xsi:type=\"xsd:string\">pk-42</Value>"));
    assert!(xml.contains("<Value xsi:type=\"xsd:unsignedInt\">3600</Value>"));

    // A backend that applies the change only after a reboot: Status 1.
    let reboot: HashSet<Box<str>> = ["Device.DeviceInfo.ProvisioningCode".into()].into();
    let mut backend = MemoryBackend::new().with_reboot_params(Arc::new(reboot));
    let request = spv(
        &[("Device.DeviceInfo.ProvisioningCode", "xsd:string", "PC-2")],
        "pk-43",
    );
    let (_, xml) = exchange_with(&mut t, &mut backend, &request);
    assert!(xml.contains("<Status>1</Status>"));
}

#[test]
fn set_parameter_values_faults_per_parameter() {
    let Some(mut t) = gateway("set_parameter_values_faults_per_parameter") else {
        return;
    };
    let before = t.clone();
    let request = spv(
        &[
            ("Device.DeviceInfo.ProvisioningCode", "xsd:string", "fine"),
            ("Device.DeviceInfo.Nope", "xsd:string", "x"),
            (
                "Device.ManagementServer.PeriodicInformInterval",
                "xsd:boolean",
                "true",
            ),
            (
                "Device.ManagementServer.PeriodicInformInterval",
                "xsd:int",
                "x",
            ),
            (
                "Device.ManagementServer.PeriodicInformEnable",
                "xsd:boolean",
                "1",
            ),
            ("Device.DeviceInfo.SoftwareVersion", "xsd:string", "2.0"),
            (
                "Device.ManagementServer.CWMPRetryMinimumWaitInterval",
                "xsd:unsignedInt",
                "0",
            ),
        ],
        "never",
    );
    let (body, xml) = exchange(&mut t, &request);
    let f = fault(&body);
    assert_eq!(f.code, FaultCode::INVALID_ARGUMENTS);
    let codes: Vec<(&str, u32)> = f
        .set_parameter_values_faults
        .iter()
        .map(|p| (p.parameter_name.as_str(), p.fault_code.value()))
        .collect();
    assert_eq!(
        codes,
        [
            ("Device.DeviceInfo.Nope", 9005),
            ("Device.ManagementServer.PeriodicInformInterval", 9006),
            ("Device.ManagementServer.PeriodicInformInterval", 9003),
            ("Device.DeviceInfo.SoftwareVersion", 9008),
            ("Device.ManagementServer.CWMPRetryMinimumWaitInterval", 9007),
        ]
    );
    assert!(
        f.set_parameter_values_faults
            .iter()
            .all(|p| p.fault_string.as_ref().is_some_and(|s| !s.is_empty()))
    );
    assert!(xml.contains(
        "<soap-env:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring>\
         <detail><cwmp:Fault><FaultCode>9003</FaultCode>"
    ));
    assert!(xml.contains(
        "<SetParameterValuesFault><ParameterName>Device.DeviceInfo.SoftwareVersion</ParameterName>\
         <FaultCode>9008</FaultCode><FaultString>"
    ));
    assert_eq!(xml.matches("<SetParameterValuesFault>").count(), 5);
    assert_eq!(t, before, "nothing set, ParameterKey kept");
}

#[test]
fn get_parameter_names_next_level() {
    let Some(mut t) = gateway("get_parameter_names_next_level") else {
        return;
    };
    let (body, xml) = exchange(&mut t, &gpn("Device.DeviceInfo.", true));
    let Body::GetParameterNamesResponse(r) = body else {
        panic!("{body:?}")
    };
    let find = |list: &[cwmp::rpc::ParameterInfoStruct], n: &str| {
        list.iter().find(|i| i.name == n).map(|i| i.writable)
    };
    assert_eq!(
        find(&r.parameter_list, "Device.DeviceInfo.ProvisioningCode"),
        Some(true)
    );
    assert_eq!(
        find(&r.parameter_list, "Device.DeviceInfo.SoftwareVersion"),
        Some(false)
    );
    assert_eq!(
        find(&r.parameter_list, "Device.DeviceInfo.MemoryStatus."),
        Some(false)
    );
    assert_eq!(find(&r.parameter_list, "Device.DeviceInfo."), None);
    assert_eq!(
        find(&r.parameter_list, "Device.DeviceInfo.MemoryStatus.Total"),
        None
    );
    assert!(xml.contains(
        "<ParameterInfoStruct><Name>Device.DeviceInfo.ProvisioningCode</Name>\
         <Writable>1</Writable></ParameterInfoStruct>"
    ));
    assert!(xml.contains("xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\""));

    let (body, _) = exchange(&mut t, &gpn("Device.DeviceInfo.", false));
    let Body::GetParameterNamesResponse(all) = body else {
        panic!("{body:?}")
    };
    assert_eq!(find(&all.parameter_list, "Device.DeviceInfo."), Some(false));
    assert_eq!(
        find(&all.parameter_list, "Device.DeviceInfo.MemoryStatus.Total"),
        Some(false)
    );
    assert!(all.parameter_list.len() > r.parameter_list.len());
    // Tables are writable when the ACS may add to them.
    let (body, _) = exchange(&mut t, &gpn("Device.IP.", true));
    let Body::GetParameterNamesResponse(ip) = body else {
        panic!("{body:?}")
    };
    assert_eq!(find(&ip.parameter_list, "Device.IP.Interface."), Some(true));
    // NextLevel true on a parameter: 9003.
    let (body, _) = exchange(&mut t, &gpn("Device.DeviceInfo.UpTime", true));
    assert_eq!(fault(&body).code, FaultCode::INVALID_ARGUMENTS);
}

#[test]
fn set_then_get_parameter_attributes() {
    let Some(mut t) = gateway("set_then_get_parameter_attributes") else {
        return;
    };
    let (body, xml) = exchange(&mut t, &envelope("soapenv", "cwmp", "1-0", "spa", SPA));
    assert_eq!(
        body,
        Body::SetParameterAttributesResponse(SetParameterAttributesResponse {})
    );
    assert!(xml.contains(
        "<soap-env:Body><cwmp:SetParameterAttributesResponse></cwmp:SetParameterAttributesResponse>"
    ));
    let (body, xml) = exchange(&mut t, &envelope("SOAP-ENV", "cwmp", "1-2", "gpa", GPA));
    let Body::GetParameterAttributesResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.parameter_list.len(), 2);
    assert!(xml.contains(
        "<ParameterAttributeStruct><Name>Device.DeviceInfo.HostName</Name>\
         <Notification>2</Notification>\
         <AccessList soap-enc:arrayType=\"xsd:string[1]\"><string>Subscriber</string></AccessList>\
         </ParameterAttributeStruct>"
    ));
    assert!(xml.contains(
        "<ParameterAttributeStruct><Name>Device.WiFi.SSID.1.SSID</Name>\
         <Notification>1</Notification>\
         <AccessList soap-enc:arrayType=\"xsd:string[0]\"></AccessList>"
    ));
    // A forced active notification cannot be turned off: 9009, a Server fault.
    let (body, xml) = exchange(
        &mut t,
        &envelope("soapenv", "cwmp", "1-0", "spa2", SPA_FORCED),
    );
    assert_eq!(fault(&body).code, FaultCode::NOTIFICATION_REQUEST_REJECTED);
    assert!(xml.contains("<faultcode>Server</faultcode>"));
}

#[test]
fn add_get_delete_object() {
    let Some(mut t) = gateway("add_get_delete_object") else {
        return;
    };
    let (body, xml) = exchange(
        &mut t,
        &object("AddObject", "Device.IP.Interface.", "add-1"),
    );
    let Body::AddObjectResponse(added) = body else {
        panic!("{body:?}")
    };
    assert_eq!(added.instance_number, 3);
    assert!(xml.contains(
        "<cwmp:AddObjectResponse><InstanceNumber>3</InstanceNumber><Status>0</Status>\
         </cwmp:AddObjectResponse>"
    ));
    assert_eq!(t.parameter_key(), "add-1");
    let (body, xml) = exchange(&mut t, &gpv(&["Device.IP.Interface.3."]));
    let Body::GetParameterValuesResponse(r) = body else {
        panic!("{body:?}")
    };
    assert!(!r.parameter_list.is_empty());
    assert!(
        r.parameter_list
            .iter()
            .all(|p| p.name.starts_with("Device.IP.Interface.3."))
    );
    assert!(xml.contains(
        "<Name>Device.IP.Interface.3.Alias</Name><Value xsi:type=\"xsd:string\">cpe-3</Value>"
    ));
    assert!(xml.contains("<Name>Device.IP.Interface.3.Stats.BytesSent</Name>"));

    let (body, xml) = exchange(
        &mut t,
        &object("DeleteObject", "Device.IP.Interface.3.", "del-1"),
    );
    assert!(matches!(body, Body::DeleteObjectResponse(_)));
    assert!(
        xml.contains("<cwmp:DeleteObjectResponse><Status>0</Status></cwmp:DeleteObjectResponse>")
    );
    assert_eq!(t.parameter_key(), "del-1");
    let (body, _) = exchange(&mut t, &gpv(&["Device.IP.Interface.3."]));
    assert_eq!(fault(&body).code, FaultCode::INVALID_PARAMETER_NAME);
    // A single-instance object cannot be added to: 9005.
    let (body, _) = exchange(&mut t, &object("AddObject", "Device.DeviceInfo.", ""));
    assert_eq!(fault(&body).code, FaultCode::INVALID_PARAMETER_NAME);
}

#[test]
fn unknown_parameter_is_9005() {
    let Some(mut t) = gateway("unknown_parameter_is_9005") else {
        return;
    };
    let (body, xml) = exchange(
        &mut t,
        &gpv(&[
            "Device.DeviceInfo.SoftwareVersion",
            "Device.DeviceInfo.Nope",
        ]),
    );
    let f = fault(&body);
    assert_eq!(f.code, FaultCode::INVALID_PARAMETER_NAME);
    assert!(f.set_parameter_values_faults.is_empty());
    assert!(xml.contains(
        "<faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail>\
         <cwmp:Fault><FaultCode>9005</FaultCode><FaultString>"
    ));
    assert!(xml.contains("Device.DeviceInfo.Nope"));
}

#[test]
fn long_fault_strings_are_cut_at_a_character_boundary() {
    let Some(mut t) = gateway("long_fault_strings_are_cut_at_a_character_boundary") else {
        return;
    };
    // Two-byte characters: a byte-based cut would split one.
    let name = format!("Device.{}", "é".repeat(300));
    let (body, _) = exchange(&mut t, &gpv(&[&name]));
    let text = fault(&body).string.clone().expect("FaultString");
    assert_eq!(text.chars().count(), MAX_FAULT_STRING);
    let (body, _) = exchange(&mut t, &spv(&[(&name, "xsd:string", "x")], ""));
    let entry = &fault(&body).set_parameter_values_faults[0];
    assert_eq!(entry.parameter_name.chars().count(), 256);
    assert_eq!(entry.fault_code, FaultCode::INVALID_PARAMETER_NAME);

    /// A backend that refuses every change at length.
    struct Refuses;
    impl Backend for Refuses {
        fn apply(&mut self, _: &[Change<'_>]) -> Result<ApplyStatus, BackendError> {
            Err(BackendError::Refused("no ".repeat(200)))
        }
    }
    let request = spv(
        &[("Device.DeviceInfo.ProvisioningCode", "xsd:string", "x")],
        "k",
    );
    let (body, xml) = exchange_with(&mut t, &mut Refuses, &request);
    let f = fault(&body);
    assert_eq!(f.code, FaultCode::INTERNAL_ERROR);
    assert_eq!(f.string.as_deref().map(|s| s.chars().count()), Some(256));
    assert!(xml.contains("<faultcode>Server</faultcode>"));
}

#[test]
fn an_unwritable_live_value_is_9002() {
    let Some(mut t) = gateway("an_unwritable_live_value_is_9002") else {
        return;
    };
    /// A system whose uptime reads as text.
    struct Garbled;
    impl Backend for Garbled {
        fn is_live(&self, schema_path: &str) -> bool {
            schema_path == "Device.DeviceInfo.UpTime"
        }
        fn read(&self, _: &crate::LiveRead<'_>) -> Option<String> {
            Some("soon".into())
        }
    }
    let (body, _) = exchange_with(&mut t, &mut Garbled, &gpv(&["Device.DeviceInfo."]));
    let f = fault(&body);
    assert_eq!(f.code, FaultCode::INTERNAL_ERROR);
    assert!(
        f.string
            .as_deref()
            .is_some_and(|s| s.contains("Device.DeviceInfo.UpTime"))
    );
    let (body, _) = exchange_with(
        &mut t,
        &mut Garbled,
        &gpv(&["Device.DeviceInfo.Manufacturer"]),
    );
    assert!(matches!(body, Body::GetParameterValuesResponse(_)));
}

#[test]
fn get_rpc_methods_lists_the_cpe_methods() {
    let Some(mut t) = gateway("get_rpc_methods_lists_the_cpe_methods") else {
        return;
    };
    let (body, xml) = exchange(&mut t, &get_rpc_methods());
    let Body::GetRPCMethodsResponse(r) = body else {
        panic!("{body:?}")
    };
    assert_eq!(r.method_list, REQUIRED_CPE_METHODS);
    assert!(xml.contains(
        "<MethodList soap-enc:arrayType=\"xsd:string[10]\"><string>GetRPCMethods</string>"
    ));
    // An agent that supports more extends the list.
    let methods = [REQUIRED_CPE_METHODS, &["FactoryReset", "Upload"]].concat();
    let request = Envelope::parse(&get_rpc_methods()).expect("parses");
    let Some(Body::GetRPCMethodsResponse(r)) =
        answer_with_methods(&mut t, &mut NoBackend, &request.body, &methods)
    else {
        panic!("no methods")
    };
    assert_eq!(r.method_list.len(), 12);
    assert!(
        DATA_MODEL_METHODS
            .iter()
            .all(|m| REQUIRED_CPE_METHODS.contains(m))
    );
}

#[test]
fn other_messages_are_left_to_the_caller() {
    let Some(mut t) = gateway("other_messages_are_left_to_the_caller") else {
        return;
    };
    let before = t.clone();
    for body in [
        "<cwmp:Reboot><CommandKey>r</CommandKey></cwmp:Reboot>",
        "<cwmp:FactoryReset/>",
        "<cwmp:ScheduleInform><DelaySeconds>5</DelaySeconds><CommandKey/></cwmp:ScheduleInform>",
        "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>",
        "<cwmp:GetRPCMethodsResponse><MethodList><string>Inform</string></MethodList></cwmp:GetRPCMethodsResponse>",
        "<cwmp:TransferCompleteResponse/>",
        "<soapenv:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring>\
         <detail><cwmp:Fault><FaultCode>8003</FaultCode></cwmp:Fault></detail></soapenv:Fault>",
    ] {
        let xml = envelope("soapenv", "cwmp", "1-0", "x", body);
        let request = Envelope::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(
            answer(&mut t, &mut NoBackend, &request.body),
            None,
            "{body}"
        );
    }
    assert_eq!(t, before);
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

#[test]
fn inform_carries_forced_and_changed_parameters() {
    let Some(mut t) = gateway("inform_carries_forced_and_changed_parameters") else {
        return;
    };
    let (list, changed) = inform_parameters(&t, &NoBackend);
    assert!(!changed);
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"Device.DeviceInfo.SoftwareVersion"));
    assert!(names.contains(&"Device.ManagementServer.ParameterKey"));
    assert_eq!(inform(&t).event.len(), 1);

    exchange(&mut t, &envelope("soapenv", "cwmp", "1-0", "spa", SPA));
    t.set_local("Device.DeviceInfo.HostName", "router")
        .expect("local set");
    let (list, changed) = inform_parameters(&t, &NoBackend);
    assert!(changed);
    assert!(list.iter().any(|p| p.name == "Device.DeviceInfo.HostName"));
    let mut filled = inform(&t);
    assert_eq!(filled.event.len(), 2);
    assert_eq!(filled.event[1].event_code, EventCode::ValueChange);
    // Filling again adds no second `4 VALUE CHANGE`.
    assert!(fill_inform(&t, &NoBackend, &mut filled));
    assert_eq!(filled.event.len(), 2);
    let xml = Envelope::new(CwmpVersion::V1_0, Header::with_id("i"), filled)
        .to_xml()
        .expect("writes");
    assert!(xml.contains("<EventCode>4 VALUE CHANGE</EventCode>"));
    assert!(xml.contains(
        "<Name>Device.DeviceInfo.HostName</Name><Value xsi:type=\"xsd:string\">router</Value>"
    ));
    t.clear_changes();
    assert!(!inform_parameters(&t, &NoBackend).1);
}

#[test]
fn conversions() {
    assert_eq!(Status::from(ApplyStatus::Pending), Status::Pending);
    assert_eq!(
        ApplyStatus::try_from(Status::Applied),
        Ok(ApplyStatus::Applied)
    );
    assert_eq!(ApplyStatus::try_from(Status::Other(7)), Err(7));
    let response = AddObjectResponse::from(AddObjectResult {
        instance_number: 4,
        status: ApplyStatus::Pending,
    });
    assert_eq!(
        (response.instance_number, response.status),
        (4, Status::Pending)
    );
    let f = Fault::new(FaultCode::REQUEST_DENIED, "x".repeat(1000));
    let wire = cwmp::Fault::from(&f);
    assert_eq!(wire.kind, FaultCode::REQUEST_DENIED.kind());
    assert_eq!(wire.code(), Some(FaultCode::REQUEST_DENIED));
    assert_eq!(truncated("aé", 1), "a");
    assert_eq!(truncated("aé", 2), "aé");
    assert_eq!(truncated("", 0), "");
}

// ---- Schema validation of every response -----------------------------------------------

/// Every request of the tests above, in order, on one tree.
fn scenario() -> Vec<String> {
    let long = format!("Device.{}", "é".repeat(300));
    vec![
        get_rpc_methods(),
        gpv(&[""]),
        gpv(&["Device.DeviceInfo."]),
        gpv(&["Device.DeviceInfo.Nope"]),
        gpv(&[&long]),
        spv(
            &[
                (
                    "Device.ManagementServer.PeriodicInformInterval",
                    "xsd:unsignedInt",
                    "3600",
                ),
                ("Device.DeviceInfo.ProvisioningCode", "xsd:string", "PC-1"),
            ],
            "pk-42",
        ),
        spv(
            &[
                ("Device.DeviceInfo.Nope", "xsd:string", "x"),
                (
                    "Device.ManagementServer.PeriodicInformInterval",
                    "xsd:boolean",
                    "1",
                ),
                ("Device.DeviceInfo.SoftwareVersion", "xsd:string", "2.0"),
                (
                    "Device.ManagementServer.CWMPRetryMinimumWaitInterval",
                    "xsd:unsignedInt",
                    "0",
                ),
                (&long, "xsd:string", "x"),
            ],
            "k",
        ),
        gpn("", true),
        gpn("", false),
        gpn("Device.DeviceInfo.", true),
        gpn("Device.DeviceInfo.UpTime", true),
        envelope("soapenv", "cwmp", "1-0", "spa", SPA),
        envelope("soapenv", "cwmp", "1-0", "spa", SPA_FORCED),
        envelope("soapenv", "cwmp", "1-0", "gpa", GPA),
        envelope(
            "soapenv",
            "cwmp",
            "1-0",
            "gpa",
            r#"<cwmp:GetParameterAttributes><ParameterNames><string>Device.</string></ParameterNames></cwmp:GetParameterAttributes>"#,
        ),
        object("AddObject", "Device.IP.Interface.", "add-1"),
        gpv(&["Device.IP.Interface.3."]),
        object("DeleteObject", "Device.IP.Interface.3.", "del-1"),
        object("DeleteObject", "Device.IP.Interface.3.", "del-2"),
    ]
}

#[test]
fn every_response_validates_against_cwmp_1_0_and_1_2() {
    const TEST: &str = "every_response_validates_against_cwmp_1_0_and_1_2";
    if let Some(reason) = cwmp_testkit::xsd::skip_reason() {
        eprintln!("SKIPPED {TEST}: {reason}");
        return;
    }
    let Some(mut t) = gateway(TEST) else {
        return;
    };
    let mut bodies: Vec<Body> = scenario()
        .iter()
        .map(|xml| exchange(&mut t, xml).0)
        .collect();
    let kinds: HashSet<&str> = bodies.iter().map(Body::name).collect();
    for kind in [
        "GetRPCMethodsResponse",
        "GetParameterValuesResponse",
        "SetParameterValuesResponse",
        "GetParameterNamesResponse",
        "SetParameterAttributesResponse",
        "GetParameterAttributesResponse",
        "AddObjectResponse",
        "DeleteObjectResponse",
        "Fault",
    ] {
        assert!(kinds.contains(kind), "the scenario produces no {kind}");
    }
    t.set_local("Device.DeviceInfo.HostName", "router")
        .expect("local set");
    bodies.push(inform(&t).into());

    let dir = std::env::temp_dir().join(format!("cwmp-datamodel-rpc-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for version in [CwmpVersion::V1_0, CwmpVersion::V1_2] {
        let schema = cwmp_testkit::xsd::schema(version);
        let mut files = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let xml = Envelope::new(version, Header::with_id(format!("{i}")), body.clone())
                .to_xml()
                .unwrap_or_else(|e| panic!("{} in {version}: {e}", body.name()));
            let path = dir.join(format!("{}-{i:02}-{}.xml", version.as_str(), body.name()));
            std::fs::write(&path, xml).expect("write temp file");
            files.push(path);
        }
        // A control that must fail, so that a schema not applied cannot pass.
        let control = dir.join(format!("{}-control.xml", version.as_str()));
        let xml = Envelope::new(
            version,
            Header::default(),
            SetParameterValuesResponse {
                status: Status::Applied,
            },
        )
        .to_xml()
        .expect("control writes")
        .replace("<Status>0</Status>", "<Status>7</Status>");
        std::fs::write(&control, xml).expect("write control");
        files.push(control.clone());
        let invalid = cwmp_testkit::xsd::invalid_files(schema, &files);
        assert!(invalid.contains_key(&control), "{schema} was not applied");
        failures.extend(
            invalid
                .iter()
                .filter(|(path, _)| **path != control)
                .map(|(_, errors)| format!("{version}: {errors}")),
        );
        println!(
            "CWMP {version}: {} messages checked against {schema}",
            files.len() - 1
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        failures.is_empty(),
        "invalid messages:\n{}",
        failures.join("\n")
    );
}
