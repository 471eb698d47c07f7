//! Every response the adapter writes validates against the CWMP 1.0 and 1.2 schemas.

use super::*;

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
