//! The Inform's parameter list, and the conversions between the wire and the tree.

use super::*;

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
