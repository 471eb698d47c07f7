use super::*;
use crate::Body;
use crate::rpc::test_util::{parse, round_trip, write_err};
use crate::version::CwmpVersion;

const UUID: &str = "12345678-9abc-def0-1234-56789abcdef0";

fn result() -> OpResultStruct {
    OpResultStruct {
        uuid: UUID.into(),
        deployment_unit_ref: "Device.SoftwareModules.DeploymentUnit.1".into(),
        version: "2.1".into(),
        current_state: DeploymentUnitState::Installed,
        resolved: true,
        execution_unit_ref_list: "Device.SoftwareModules.ExecutionUnit.1".into(),
        start_time: "2015-01-19T23:45:12Z".parse().unwrap(),
        complete_time: "2015-01-19T23:55:12Z".parse().unwrap(),
        fault: DeploymentUnitFaultStruct::success(),
    }
}

fn auton() -> AutonOpResultStruct {
    let r = result();
    AutonOpResultStruct {
        uuid: r.uuid,
        deployment_unit_ref: r.deployment_unit_ref,
        version: r.version,
        current_state: DeploymentUnitState::Uninstalled,
        resolved: false,
        execution_unit_ref_list: String::new(),
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
        fault: DeploymentUnitFaultStruct {
            fault_code: Some(FaultCode::new(9028).unwrap()),
            fault_string: Some("unknown unit".into()),
        },
        operation_performed: DeploymentUnitOperation::Uninstall,
    }
}

const RESULT_FIELDS_XML: &str = "<UUID>12345678-9abc-def0-1234-56789abcdef0</UUID>\
    <DeploymentUnitRef>Device.SoftwareModules.DeploymentUnit.1</DeploymentUnitRef>\
    <Version>2.1</Version><CurrentState>Installed</CurrentState><Resolved>1</Resolved>\
    <ExecutionUnitRefList>Device.SoftwareModules.ExecutionUnit.1</ExecutionUnitRefList>\
    <StartTime>2015-01-19T23:45:12Z</StartTime><CompleteTime>2015-01-19T23:55:12Z</CompleteTime>";

#[test]
fn schema_form() {
    let xml = format!(
        "<cwmp:DUStateChangeComplete><Results>{RESULT_FIELDS_XML}\
         <Fault><FaultCode>0</FaultCode></Fault></Results>\
         <Results>{RESULT_FIELDS_XML}<Fault><FaultCode>0</FaultCode><FaultString/></Fault></Results>\
         <CommandKey>cdu</CommandKey></cwmp:DUStateChangeComplete>"
    );
    let mut second = result();
    second.fault.fault_string = Some(String::new());
    let expected = DUStateChangeComplete {
        results: vec![result(), second],
        command_key: Some("cdu".into()),
    };
    assert_eq!(
        parse("1-2", &xml),
        Body::DUStateChangeComplete(expected.clone())
    );
    let written = round_trip(CwmpVersion::V1_2, expected);
    assert!(written.contains(&format!(
        "<cwmp:DUStateChangeComplete><Results>{RESULT_FIELDS_XML}\
         <Fault><FaultCode>0</FaultCode></Fault></Results><Results>"
    )));
    assert!(
        written.contains("</Results><CommandKey>cdu</CommandKey></cwmp:DUStateChangeComplete>")
    );
    round_trip(CwmpVersion::V1_2, DUStateChangeCompleteResponse {});
}

#[test]
fn array_form_with_wrapped_fault() {
    // cwmp_ex: one Results array, the fault wrapped in <FaultStruct>, an unknown state.
    let xml = r#"<cwmp:DUStateChangeComplete><CommandKey>cmdkey</CommandKey>
        <Results SOAP-ENC:arrayType="cwmp:OpResultStruct[1]"><OpResultStruct>
          <UUID>some-uuid</UUID><DeploymentUnitRef>uref</DeploymentUnitRef><Version>v2.1</Version>
          <CurrentState>curState</CurrentState><Resolved>1</Resolved>
          <ExecutionUnitRefList>a,b,c</ExecutionUnitRefList>
          <StartTime>2015-01-19T23:45:12+00:00</StartTime><CompleteTime>2015-01-19T23:55:12+00:00</CompleteTime>
          <Fault><FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct></Fault>
        </OpResultStruct></Results></cwmp:DUStateChangeComplete>"#;
    let Body::DUStateChangeComplete(message) = parse("1-0", xml) else {
        panic!()
    };
    let result = &message.results[0];
    assert_eq!(
        result.current_state,
        DeploymentUnitState::Other("curState".into())
    );
    assert_eq!(result.fault.fault_code, None);
    assert_eq!(result.fault.fault_string.as_deref(), Some(""));
    assert_eq!(message.command_key.as_deref(), Some("cmdkey"));
    let err = write_err(CwmpVersion::V1_2, message.clone());
    assert!(
        matches!(err, WriteError::Invalid { field: "UUID", .. }),
        "{err:?}"
    );
    let mut fixed = message;
    fixed.results[0].uuid = UUID.into();
    let err = write_err(CwmpVersion::V1_2, fixed);
    assert!(
        matches!(
            err,
            WriteError::Invalid {
                field: "CurrentState",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn autonomous() {
    let xml = format!(
        "<cwmp:AutonomousDUStateChangeComplete><Results>{RESULT_FIELDS_XML}\
         <Fault><FaultCode>9028</FaultCode></Fault><OperationPerformed>X_ACME_Move</OperationPerformed>\
         </Results></cwmp:AutonomousDUStateChangeComplete>"
    );
    let Body::AutonomousDUStateChangeComplete(message) = parse("1-2", &xml) else {
        panic!()
    };
    let only = &message.results[0];
    assert_eq!(
        only.operation_performed,
        DeploymentUnitOperation::Other("X_ACME_Move".into())
    );
    assert_eq!(only.fault.fault_code, Some(FaultCode::new(9028).unwrap()));
    // Vendor operations are valid on writing too.
    round_trip(CwmpVersion::V1_2, message);
    let message = AutonomousDUStateChangeComplete {
        results: vec![auton()],
    };
    let written = round_trip(CwmpVersion::V1_4, message.clone());
    assert!(written.contains(
        "<Fault><FaultCode>9028</FaultCode><FaultString>unknown unit</FaultString></Fault>\
         <OperationPerformed>Uninstall</OperationPerformed></Results>"
    ));
    let json = serde_json::to_value(&message).unwrap();
    assert_eq!(json["Results"][0]["OperationPerformed"], "Uninstall");
    assert_eq!(json["Results"][0]["Fault"]["FaultCode"], 9028);
    round_trip(
        CwmpVersion::V1_2,
        AutonomousDUStateChangeCompleteResponse {},
    );
}

#[test]
fn write_bounds() {
    let empty = DUStateChangeComplete {
        results: vec![],
        command_key: None,
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_2, empty),
        WriteError::Invalid {
            field: "Results",
            ..
        }
    ));
    assert!(matches!(
        write_err(
            CwmpVersion::V1_2,
            AutonomousDUStateChangeComplete { results: vec![] }
        ),
        WriteError::Invalid {
            field: "Results",
            ..
        }
    ));
    let key = DUStateChangeComplete {
        results: vec![result()],
        command_key: Some("k".repeat(33)),
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_2, key),
        WriteError::TooLong {
            field: "CommandKey",
            ..
        }
    ));
    let mut version = result();
    version.version = "v".repeat(33);
    assert!(matches!(
        write_err(
            CwmpVersion::V1_2,
            DUStateChangeComplete {
                results: vec![version],
                command_key: None
            }
        ),
        WriteError::TooLong {
            field: "Version",
            ..
        }
    ));
    // 9010 is a transfer fault, not a Deployment Unit fault.
    let mut fault = result();
    fault.fault.fault_code = Some(FaultCode::new(9010).unwrap());
    assert!(matches!(
        write_err(
            CwmpVersion::V1_2,
            DUStateChangeComplete {
                results: vec![fault],
                command_key: None
            }
        ),
        WriteError::Invalid {
            field: "FaultCode",
            ..
        }
    ));
    assert!(matches!(
        write_err(
            CwmpVersion::V1_1,
            DUStateChangeComplete {
                results: vec![result()],
                command_key: None
            }
        ),
        WriteError::NotInVersion { .. }
    ));
}
