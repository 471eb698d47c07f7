//! Each data-model RPC answered from a TR-181 gateway tree.

use super::*;

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
