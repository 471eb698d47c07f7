use super::*;
use crate::Body;
use crate::rpc::test_util::{parse, round_trip, write_err};
use crate::rpc::transfers::file_type;
use crate::version::CwmpVersion;

fn all(key: &str) -> AllQueuedTransferStruct {
    AllQueuedTransferStruct {
        command_key: key.into(),
        state: TransferState::InProgress,
        is_download: true,
        file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
        file_size: 123,
        target_file_name: String::new(),
    }
}

fn window() -> TimeWindowStruct {
    TimeWindowStruct {
        window_start: 0,
        window_end: 3600,
        window_mode: TimeWindowStruct::WHEN_IDLE.into(),
        user_message: String::new(),
        max_retries: -1,
    }
}

fn schedule(windows: Vec<TimeWindowStruct>) -> ScheduleDownload {
    ScheduleDownload {
        command_key: "sd".into(),
        file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
        url: "http://example.com/fw".into(),
        username: String::new(),
        password: String::new(),
        file_size: 0,
        target_file_name: String::new(),
        time_window_list: windows,
    }
}

#[test]
fn queued_transfers() {
    assert_eq!(
        parse("1-0", "<cwmp:GetQueuedTransfers/>"),
        Body::GetQueuedTransfers(GetQueuedTransfers {})
    );
    let body = parse(
        "1-0",
        r#"<cwmp:GetQueuedTransfersResponse><TransferList SOAP-ENC:arrayType="cwmp:QueuedTransferStruct[1]">
            <QueuedTransferStruct><State>3</State><CommandKey>a</CommandKey></QueuedTransferStruct>
            <QueuedTransferStruct><CommandKey>b</CommandKey><State>9</State></QueuedTransferStruct>
          </TransferList></cwmp:GetQueuedTransfersResponse>"#,
    );
    let Body::GetQueuedTransfersResponse(response) = body else {
        panic!("{body:?}")
    };
    assert_eq!(response.transfer_list[0].state, TransferState::Completed);
    assert_eq!(response.transfer_list[1].state, TransferState::Other(9));
    assert!(matches!(
        write_err(CwmpVersion::V1_0, response.clone()),
        WriteError::Invalid { field: "State", .. }
    ));
    let mut fixed = response;
    fixed.transfer_list[1].state = TransferState::NotStarted;
    round_trip(CwmpVersion::V1_0, fixed);
    round_trip(
        CwmpVersion::V1_0,
        GetQueuedTransfersResponse {
            transfer_list: vec![],
        },
    );
    let missing = crate::rpc::test_util::envelope("1-0", "<cwmp:GetQueuedTransfersResponse/>");
    assert_eq!(
        crate::Envelope::parse(&missing).unwrap_err().kind,
        ParseErrorKind::MissingField("TransferList")
    );
}

#[test]
fn all_queued_transfers_in_both_forms() {
    let body = parse(
        "1-0",
        r#"<cwmp:GetAllQueuedTransfersResponse>
          <TransferList SOAP-ENC:arrayType="cwmp:AllQueuedTransferStruct[0002]">
            <AllQueuedTransferStruct><CommandKey>a</CommandKey><State>2</State>
              <IsDownload>1</IsDownload><FileType>1 Firmware Upgrade Image</FileType>
              <FileSize>123</FileSize><TargetFileName/></AllQueuedTransferStruct>
          </TransferList></cwmp:GetAllQueuedTransfersResponse>"#,
    );
    let expected = GetAllQueuedTransfersResponse {
        transfer_list: vec![all("a")],
    };
    assert_eq!(body, Body::GetAllQueuedTransfersResponse(expected.clone()));
    // catawampus: repeated TransferList elements, each a bare struct, no arrayType.
    let body = parse(
        "1-2",
        "<cwmp:GetAllQueuedTransfersResponse>\
           <TransferList><CommandKey>a</CommandKey><State>2</State><IsDownload>True</IsDownload>\
             <FileType>1 Firmware Upgrade Image</FileType><FileSize>123</FileSize>\
             <TargetFileName/></TransferList>\
           <TransferList><CommandKey>b</CommandKey><State>2</State><IsDownload>True</IsDownload>\
             <FileType>1 Firmware Upgrade Image</FileType><FileSize>123</FileSize>\
             <TargetFileName/></TransferList>\
         </cwmp:GetAllQueuedTransfersResponse>",
    );
    let two = GetAllQueuedTransfersResponse {
        transfer_list: vec![all("a"), all("b")],
    };
    assert_eq!(body, Body::GetAllQueuedTransfersResponse(two.clone()));
    let xml = round_trip(CwmpVersion::V1_1, two);
    assert!(xml.contains(
        "<TransferList soap-enc:arrayType=\"cwmp:AllQueuedTransferStruct[2]\"><AllQueuedTransferStruct>"
    ));
    round_trip(CwmpVersion::V1_1, GetAllQueuedTransfers {});
    assert!(matches!(
        write_err(CwmpVersion::V1_0, GetAllQueuedTransfers {}),
        WriteError::NotInVersion { .. }
    ));
}

#[test]
fn schedule_download_and_cancel() {
    let body = parse(
        "1-2",
        r#"<cwmp:ScheduleDownload><CommandKey>sd</CommandKey>
          <FileType>1 Firmware Upgrade Image</FileType><URL>http://example.com/fw</URL>
          <FileSize>0</FileSize>
          <TimeWindowList SOAP-ENC:arrayType="cwmp:TimeWindowStruct[1]"><TimeWindowStruct>
            <WindowStart>0</WindowStart><WindowEnd>3600</WindowEnd><WindowMode>3 When Idle</WindowMode>
            <UserMessage/><MaxRetries>-1</MaxRetries></TimeWindowStruct></TimeWindowList>
          </cwmp:ScheduleDownload>"#,
    );
    let request = schedule(vec![window()]);
    assert_eq!(body, Body::ScheduleDownload(request.clone()));
    round_trip(CwmpVersion::V1_2, request.clone());
    assert!(matches!(
        write_err(CwmpVersion::V1_1, request),
        WriteError::NotInVersion { .. }
    ));
    round_trip(CwmpVersion::V1_2, ScheduleDownloadResponse {});
    let cancel = CancelTransfer {
        command_key: "sd".into(),
    };
    assert_eq!(
        parse(
            "1-2",
            "<cwmp:CancelTransfer><CommandKey>sd</CommandKey></cwmp:CancelTransfer>"
        ),
        Body::CancelTransfer(cancel.clone())
    );
    round_trip(CwmpVersion::V1_3, cancel);
    round_trip(CwmpVersion::V1_2, CancelTransferResponse {});
}

#[test]
fn request_download() {
    let body = parse(
        "1-0",
        r#"<cwmp:RequestDownload><FileTypeArg SOAP-ENC:arrayType="cwmp:ArgStruct[1]">
            <ArgStruct><Value>v2.0</Value><Name>Version</Name></ArgStruct></FileTypeArg>
            <FileType>2 Web Content</FileType></cwmp:RequestDownload>"#,
    );
    let request = RequestDownload {
        file_type: file_type::WEB_CONTENT.into(),
        file_type_arg: vec![ArgStruct {
            name: "Version".into(),
            value: "v2.0".into(),
        }],
    };
    assert_eq!(body, Body::RequestDownload(request.clone()));
    round_trip(CwmpVersion::V1_0, request);
    round_trip(CwmpVersion::V1_0, RequestDownloadResponse {});
}

#[test]
fn write_bounds() {
    let many = GetAllQueuedTransfersResponse {
        transfer_list: vec![all("a"); 17],
    };
    assert_eq!(
        write_err(CwmpVersion::V1_2, many),
        WriteError::TooMany {
            field: "TransferList",
            len: 17,
            max: 16
        }
    );
    let many = GetQueuedTransfersResponse {
        transfer_list: vec![
            QueuedTransferStruct {
                command_key: String::new(),
                state: TransferState::NotStarted,
            };
            17
        ],
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_0, many),
        WriteError::TooMany {
            field: "TransferList",
            ..
        }
    ));
    assert!(matches!(
        write_err(CwmpVersion::V1_2, schedule(vec![window(); 3])),
        WriteError::TooMany {
            field: "TimeWindowList",
            len: 3,
            max: 2
        }
    ));
    assert!(matches!(
        write_err(CwmpVersion::V1_2, schedule(vec![])),
        WriteError::Invalid {
            field: "TimeWindowList",
            ..
        }
    ));
    let mut bad_mode = window();
    bad_mode.window_mode = "Whenever".into();
    assert!(matches!(
        write_err(CwmpVersion::V1_2, schedule(vec![bad_mode])),
        WriteError::Invalid {
            field: "WindowMode",
            ..
        }
    ));
    let mut long_message = window();
    long_message.user_message = "m".repeat(257);
    assert!(matches!(
        write_err(CwmpVersion::V1_2, schedule(vec![long_message])),
        WriteError::TooLong {
            field: "UserMessage",
            ..
        }
    ));
    let args = RequestDownload {
        file_type: file_type::WEB_CONTENT.into(),
        file_type_arg: vec![
            ArgStruct {
                name: "n".into(),
                value: "v".into()
            };
            17
        ],
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_0, args),
        WriteError::TooMany {
            field: "FileTypeArg",
            len: 17,
            max: 16
        }
    ));
    let arg = RequestDownload {
        file_type: file_type::WEB_CONTENT.into(),
        file_type_arg: vec![ArgStruct {
            name: "n".repeat(65),
            value: "v".repeat(257),
        }],
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_0, arg),
        WriteError::TooLong {
            field: "Name",
            max: 64,
            ..
        }
    ));
    let mut key = all("k");
    key.command_key = "k".repeat(33);
    let response = GetAllQueuedTransfersResponse {
        transfer_list: vec![key],
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_2, response),
        WriteError::TooLong {
            field: "CommandKey",
            ..
        }
    ));
    let cancel = CancelTransfer {
        command_key: "k".repeat(33),
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_2, cancel),
        WriteError::TooLong {
            field: "CommandKey",
            ..
        }
    ));
}
