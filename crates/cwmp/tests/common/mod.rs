//! Sample messages shared by the integration tests: one representative body per method, with
//! every optional element present, valid in every version that has the method.
#![allow(dead_code)]

use cwmp::rpc::*;
use cwmp::{
    Body, CwmpVersion, DateTime, EventCode, Fault, FaultCode, SetParameterValuesFault, Value,
};

pub const UUID: &str = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

pub fn time(text: &str) -> DateTime {
    text.parse().expect("valid dateTime")
}

pub fn event(code: &str, command_key: &str) -> EventStruct {
    EventStruct {
        event_code: code.parse::<EventCode>().expect("valid event code"),
        command_key: command_key.into(),
    }
}

pub fn pvs(name: &str, value: Value) -> ParameterValueStruct {
    ParameterValueStruct {
        name: name.into(),
        value,
    }
}

fn code(value: u32) -> FaultCode {
    FaultCode::new(value).expect("valid fault code")
}

pub fn inform(events: Vec<EventStruct>) -> Inform {
    Inform {
        device_id: DeviceId {
            manufacturer: "ACME & Sons <Networks>".into(),
            oui: "00D09E".into(),
            product_class: "IGD".into(),
            serial_number: "SN-0001".into(),
        },
        event: events,
        max_envelopes: 1,
        current_time: time("2024-05-01T10:00:00.5+02:00"),
        retry_count: 0,
        parameter_list: vec![
            pvs("Device.DeviceInfo.SoftwareVersion", Value::string("1.2.3")),
            pvs(
                "Device.ManagementServer.PeriodicInformInterval",
                Value::UnsignedInt(3600),
            ),
        ],
    }
}

fn op_result() -> OpResultStruct {
    OpResultStruct {
        uuid: UUID.into(),
        deployment_unit_ref: "Device.SoftwareModules.DeploymentUnit.1".into(),
        version: "1.0".into(),
        current_state: DeploymentUnitState::Installed,
        resolved: true,
        execution_unit_ref_list: "Device.SoftwareModules.ExecutionUnit.1".into(),
        start_time: time("2024-05-01T10:00:00Z"),
        complete_time: DateTime::UNKNOWN,
        fault: DeploymentUnitFaultStruct {
            fault_code: None,
            fault_string: Some(String::new()),
        },
    }
}

fn window(mode: &str) -> TimeWindowStruct {
    TimeWindowStruct {
        window_start: 0,
        window_end: 3600,
        window_mode: mode.into(),
        user_message: "Updating".into(),
        max_retries: -1,
    }
}

/// One body per variant of [`Body`], every method and the fault, with optional fields present
/// and values valid in every version that has the method.
pub fn sample_bodies() -> Vec<Body> {
    let attributes = ParameterAttributeStruct {
        name: "Device.DeviceInfo.SoftwareVersion".into(),
        notification: Notification::Active,
        access_list: vec![cwmp::rpc::SUBSCRIBER.into()],
    };
    let option = OptionStruct {
        option_name: "Parental Control".into(),
        voucher_sn: 42,
        state: OptionState::EnabledSetUp,
        mode: OptionMode::EnabledWithExpiration,
        start_date: time("2024-01-01T00:00:00Z"),
        expiration_date: Some(time("2025-01-01T00:00:00Z")),
        is_transferable: Transferability::NonTransferable,
    };
    let mut spv_fault = Fault::new(code(9003), "Invalid arguments");
    if let Some(detail) = spv_fault.detail.as_mut() {
        detail.set_parameter_values_faults = vec![SetParameterValuesFault {
            parameter_name: "Device.ManagementServer.PeriodicInformInterval".into(),
            fault_code: code(9007),
            fault_string: Some("Invalid parameter value".into()),
        }];
    }
    vec![
        Body::Fault(Fault::must_understand(
            "X_Vendor_Trace",
            Some("urn:example:trace"),
        )),
        GetRPCMethods {}.into(),
        GetRPCMethodsResponse {
            method_list: vec![
                "GetRPCMethods".into(),
                "Inform".into(),
                "X_ACME_Reset".into(),
            ],
        }
        .into(),
        SetParameterValues {
            parameter_list: vec![
                pvs("Device.A", Value::string("text with \"quotes\" & <tags>")),
                pvs("Device.B", Value::Int(-7)),
                pvs("Device.C", Value::UnsignedInt(7)),
                pvs("Device.D", Value::Long(-9_000_000_000)),
                pvs("Device.E", Value::UnsignedLong(18_000_000_000_000_000_000)),
                pvs("Device.F", Value::Boolean(true)),
                pvs("Device.G", Value::DateTime(time("2024-05-01T10:00:00Z"))),
                pvs("Device.H", Value::Base64(b"hello".to_vec())),
                pvs("Device.I", Value::HexBinary(vec![0xDE, 0xAD])),
                pvs(
                    "Device.J",
                    Value::from_wire(Some("xsd:anyURI"), "http://example.com/"),
                ),
            ],
            parameter_key: "pk1".into(),
        }
        .into(),
        SetParameterValuesResponse {
            status: Status::Pending,
        }
        .into(),
        GetParameterValues {
            parameter_names: vec![
                "Device.DeviceInfo.".into(),
                "Device.ManagementServer.URL".into(),
            ],
        }
        .into(),
        GetParameterValuesResponse {
            parameter_list: vec![
                pvs("Device.DeviceInfo.UpTime", Value::UnsignedInt(12)),
                pvs("Device.DeviceInfo.Description", Value::string("")),
            ],
        }
        .into(),
        GetParameterNames {
            parameter_path: "Device.".into(),
            next_level: true,
        }
        .into(),
        GetParameterNamesResponse {
            parameter_list: vec![
                ParameterInfoStruct {
                    name: "Device.DeviceInfo.".into(),
                    writable: false,
                },
                ParameterInfoStruct {
                    name: "Device.ManagementServer.URL".into(),
                    writable: true,
                },
            ],
        }
        .into(),
        SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: "Device.DeviceInfo.SoftwareVersion".into(),
                notification_change: true,
                notification: Notification::Passive,
                access_list_change: true,
                access_list: vec![],
            }],
        }
        .into(),
        SetParameterAttributesResponse {}.into(),
        GetParameterAttributes {
            parameter_names: vec!["Device.DeviceInfo.".into()],
        }
        .into(),
        GetParameterAttributesResponse {
            parameter_list: vec![attributes],
        }
        .into(),
        AddObject {
            object_name: "Device.IP.Interface.".into(),
            parameter_key: "pk2".into(),
        }
        .into(),
        AddObjectResponse {
            instance_number: 3,
            status: Status::Applied,
        }
        .into(),
        DeleteObject {
            object_name: "Device.IP.Interface.3.".into(),
            parameter_key: String::new(),
        }
        .into(),
        DeleteObjectResponse {
            status: Status::Applied,
        }
        .into(),
        Reboot {
            command_key: "reboot-1".into(),
        }
        .into(),
        RebootResponse {}.into(),
        Download {
            command_key: "dl-1".into(),
            file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
            url: "https://files.example.com/fw.bin".into(),
            username: "user".into(),
            password: "secret".into(),
            file_size: 1_048_576,
            target_file_name: "fw.bin".into(),
            delay_seconds: 10,
            success_url: "https://example.com/ok".into(),
            failure_url: "https://example.com/ko".into(),
        }
        .into(),
        DownloadResponse {
            status: Status::Pending,
            start_time: DateTime::UNKNOWN,
            complete_time: DateTime::UNKNOWN,
        }
        .into(),
        Upload {
            command_key: "ul-1".into(),
            file_type: "X 00D09E Diagnostics Bundle".into(),
            url: "https://files.example.com/upload".into(),
            username: "user".into(),
            password: "secret".into(),
            delay_seconds: 0,
        }
        .into(),
        UploadResponse {
            status: Status::Applied,
            start_time: time("2024-05-01T10:00:00Z"),
            complete_time: time("2024-05-01T10:00:05Z"),
        }
        .into(),
        FactoryReset {}.into(),
        FactoryResetResponse {}.into(),
        GetQueuedTransfers {}.into(),
        GetQueuedTransfersResponse {
            transfer_list: vec![
                QueuedTransferStruct {
                    command_key: "dl-1".into(),
                    state: TransferState::InProgress,
                },
                QueuedTransferStruct {
                    command_key: String::new(),
                    state: TransferState::NotStarted,
                },
            ],
        }
        .into(),
        GetAllQueuedTransfers {}.into(),
        GetAllQueuedTransfersResponse {
            transfer_list: vec![AllQueuedTransferStruct {
                command_key: "dl-1".into(),
                state: TransferState::Completed,
                is_download: true,
                file_type: file_type::WEB_CONTENT.into(),
                file_size: 2048,
                target_file_name: "index.html".into(),
            }],
        }
        .into(),
        ScheduleInform {
            delay_seconds: 30,
            command_key: "si-1".into(),
        }
        .into(),
        ScheduleInformResponse {}.into(),
        SetVouchers {
            voucher_list: vec![Voucher(b"<Signature/>".to_vec()), Voucher(vec![0, 255])],
        }
        .into(),
        SetVouchersResponse {}.into(),
        GetOptions {
            option_name: String::new(),
        }
        .into(),
        GetOptionsResponse {
            option_list: vec![option],
        }
        .into(),
        ScheduleDownload {
            command_key: "sd-1".into(),
            file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
            url: "https://files.example.com/fw.bin".into(),
            username: "user".into(),
            password: "secret".into(),
            file_size: 0,
            target_file_name: "fw.bin".into(),
            time_window_list: vec![
                window(TimeWindowStruct::AT_ANY_TIME),
                window(TimeWindowStruct::CONFIRMATION_NEEDED),
            ],
        }
        .into(),
        ScheduleDownloadResponse {}.into(),
        CancelTransfer {
            command_key: "sd-1".into(),
        }
        .into(),
        CancelTransferResponse {}.into(),
        ChangeDUState {
            operations: vec![
                Operation::Install(InstallOpStruct {
                    url: "https://files.example.com/du.ipk".into(),
                    uuid: Some(UUID.into()),
                    username: Some("user".into()),
                    password: Some("secret".into()),
                    execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
                }),
                Operation::Update(UpdateOpStruct {
                    uuid: Some(UUID.into()),
                    version: Some("1.0".into()),
                    url: Some("https://files.example.com/du2.ipk".into()),
                    username: Some("user".into()),
                    password: Some("secret".into()),
                }),
                Operation::Uninstall(UninstallOpStruct {
                    uuid: UUID.into(),
                    version: Some("1.0".into()),
                    execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
                }),
            ],
            command_key: Some("cdu-1".into()),
        }
        .into(),
        ChangeDUStateResponse {}.into(),
        inform(vec![
            event("0 BOOTSTRAP", ""),
            event("1 BOOT", ""),
            event("M Reboot", "reboot-1"),
        ])
        .into(),
        InformResponse { max_envelopes: 1 }.into(),
        TransferComplete {
            command_key: "dl-1".into(),
            fault_struct: TransferCompleteFaultStruct::fault(code(9010), "Download failed"),
            start_time: time("2024-05-01T10:00:00Z"),
            complete_time: time("2024-05-01T10:01:00Z"),
        }
        .into(),
        TransferCompleteResponse {}.into(),
        AutonomousTransferComplete {
            announce_url: "https://example.com/announce".into(),
            transfer_url: "https://files.example.com/fw.bin".into(),
            is_download: true,
            file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
            file_size: 1_048_576,
            target_file_name: "fw.bin".into(),
            fault_struct: TransferCompleteFaultStruct::success(),
            start_time: time("2024-05-01T10:00:00Z"),
            complete_time: time("2024-05-01T10:01:00Z"),
        }
        .into(),
        AutonomousTransferCompleteResponse {}.into(),
        Kicked {
            command: "reset".into(),
            referer: "http://portal.example.com/".into(),
            arg: "now".into(),
            next: "http://portal.example.com/next".into(),
        }
        .into(),
        KickedResponse {
            next_url: "http://portal.example.com/done".into(),
        }
        .into(),
        RequestDownload {
            file_type: file_type::WEB_CONTENT.into(),
            file_type_arg: vec![ArgStruct {
                name: "Version".into(),
                value: "2.0".into(),
            }],
        }
        .into(),
        RequestDownloadResponse {}.into(),
        DUStateChangeComplete {
            results: vec![op_result(), op_result()],
            command_key: Some("cdu-1".into()),
        }
        .into(),
        DUStateChangeCompleteResponse {}.into(),
        AutonomousDUStateChangeComplete {
            results: vec![AutonOpResultStruct {
                uuid: UUID.into(),
                deployment_unit_ref: "Device.SoftwareModules.DeploymentUnit.2".into(),
                version: "2.0".into(),
                current_state: DeploymentUnitState::Failed,
                resolved: false,
                execution_unit_ref_list: String::new(),
                start_time: DateTime::UNKNOWN,
                complete_time: DateTime::UNKNOWN,
                fault: DeploymentUnitFaultStruct {
                    fault_code: Some(code(9027)),
                    fault_string: Some("System Resources Exceeded".into()),
                },
                operation_performed: DeploymentUnitOperation::Install,
            }],
        }
        .into(),
        AutonomousDUStateChangeCompleteResponse {}.into(),
        spv_fault.into(),
    ]
}

/// Bodies whose values need a version newer than their method: (first version, body).
pub fn versioned_bodies() -> Vec<(CwmpVersion, Body)> {
    let attributes = |notification| {
        Body::from(SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: "Device.ManagementServer.".into(),
                notification_change: true,
                notification,
                access_list_change: false,
                access_list: vec![cwmp::rpc::SUBSCRIBER.into()],
            }],
        })
    };
    let transfer_fault = |value| {
        Body::from(TransferComplete {
            command_key: String::new(),
            fault_struct: TransferCompleteFaultStruct::fault(code(value), "failed"),
            start_time: DateTime::UNKNOWN,
            complete_time: DateTime::UNKNOWN,
        })
    };
    let download = |file_type: &str| {
        Body::from(Download {
            command_key: String::new(),
            file_type: file_type.into(),
            url: "http://example.com/f".into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 0,
            success_url: String::new(),
            failure_url: String::new(),
        })
    };
    vec![
        (
            CwmpVersion::V1_1,
            inform(vec![
                event("10 AUTONOMOUS TRANSFER COMPLETE", ""),
                event("M X_ACME_Reset", "x"),
                event("M FactoryReset", ""),
            ])
            .into(),
        ),
        (
            CwmpVersion::V1_2,
            inform(vec![
                event("11 DU STATE CHANGE COMPLETE", ""),
                event("12 AUTONOMOUS DU STATE CHANGE COMPLETE", ""),
                event("M ScheduleDownload", "sd"),
                event("M ChangeDUState", "cdu"),
                event("X ACME Reset", ""),
            ])
            .into(),
        ),
        (
            CwmpVersion::V1_4,
            inform(vec![event("13 WAKEUP", "")]).into(),
        ),
        (CwmpVersion::V1_1, transfer_fault(9019)),
        (CwmpVersion::V1_1, transfer_fault(9020)),
        (CwmpVersion::V1_1, transfer_fault(9850)),
        (CwmpVersion::V1_2, download(file_type::TONE_FILE)),
        (CwmpVersion::V1_2, download("X ACME Firmware")),
        (
            CwmpVersion::V1_4,
            attributes(Notification::PassiveLightweight),
        ),
        (
            CwmpVersion::V1_4,
            attributes(Notification::PassiveWithActiveLightweight),
        ),
    ]
}
