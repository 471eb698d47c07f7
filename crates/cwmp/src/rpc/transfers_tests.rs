use super::*;
use crate::Body;
use crate::rpc::test_util::{parse, round_trip, write, write_err};

fn download() -> Download {
    Download {
        command_key: "dl1".into(),
        file_type: file_type::FIRMWARE_UPGRADE_IMAGE.into(),
        url: "http://example.com/image".into(),
        username: String::new(),
        password: String::new(),
        file_size: 123_456,
        target_file_name: String::new(),
        delay_seconds: 0,
        success_url: String::new(),
        failure_url: String::new(),
    }
}

fn time(s: &str) -> DateTime {
    s.parse().unwrap()
}

#[test]
fn download_without_credentials() {
    // catawampus: Username and Password left out, fields reordered.
    let body = parse(
        "1-2",
        "<cwmp:Download><FileType>1 Firmware Upgrade Image</FileType><CommandKey>dl1</CommandKey>\
         <URL>http://example.com/image</URL><FileSize>123456</FileSize><TargetFileName/>\
         <DelaySeconds>0</DelaySeconds><SuccessURL/><FailureURL/></cwmp:Download>",
    );
    assert_eq!(body, Body::Download(download()));
    let xml = round_trip(CwmpVersion::V1_0, download());
    assert!(xml.contains(
        "<cwmp:Download><CommandKey>dl1</CommandKey><FileType>1 Firmware Upgrade Image</FileType>\
         <URL>http://example.com/image</URL><Username></Username><Password></Password>\
         <FileSize>123456</FileSize><TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds>\
         <SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>"
    ));
}

#[test]
fn download_response_with_odd_status() {
    // cwmp_ex__download_response__1.xml: Status 2, times with no offset.
    let body = parse(
        "1-0",
        "<cwmp:DownloadResponse><Status>2</Status><StartTime>2015-01-19T23:08:24</StartTime>\
         <CompleteTime>2015-01-19T23:09:24</CompleteTime></cwmp:DownloadResponse>",
    );
    let Body::DownloadResponse(response) = body else {
        panic!("{body:?}")
    };
    assert_eq!(response.status, Status::Other(2));
    assert_eq!(response.start_time, time("2015-01-19T23:08:24"));
    assert!(matches!(
        write_err(CwmpVersion::V1_0, response.clone()),
        WriteError::Invalid {
            field: "Status",
            ..
        }
    ));
    let fixed = DownloadResponse {
        status: Status::Applied,
        ..response
    };
    round_trip(CwmpVersion::V1_0, fixed);
}

#[test]
fn upload() {
    let body = parse(
        "1-0",
        "<cwmp:Upload><CommandKey>up</CommandKey><FileType>2 Vendor Log File</FileType>\
         <URL>http://example.com/log</URL><Username>u</Username><Password>p</Password>\
         <DelaySeconds>5</DelaySeconds></cwmp:Upload>",
    );
    let upload = Upload {
        command_key: "up".into(),
        file_type: file_type::UPLOAD_VENDOR_LOG_FILE.into(),
        url: "http://example.com/log".into(),
        username: "u".into(),
        password: "p".into(),
        delay_seconds: 5,
    };
    assert_eq!(body, Body::Upload(upload.clone()));
    round_trip(CwmpVersion::V1_0, upload.clone());
    // `3 Vendor Configuration File 2` (an instance) exists since 1.2.
    let instance = Upload {
        file_type: "3 Vendor Configuration File 2".into(),
        ..upload
    };
    round_trip(CwmpVersion::V1_2, instance.clone());
    assert!(matches!(
        write_err(CwmpVersion::V1_1, instance),
        WriteError::NotInVersion { .. }
    ));
    let body = parse(
        "1-0",
        "<cwmp:UploadResponse><Status>1</Status><StartTime>0001-01-01T00:00:00Z</StartTime>\
         <CompleteTime>0001-01-01T00:00:00Z</CompleteTime></cwmp:UploadResponse>",
    );
    let response = UploadResponse {
        status: Status::Pending,
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert_eq!(body, Body::UploadResponse(response.clone()));
    round_trip(CwmpVersion::V1_4, response);
}

#[test]
fn transfer_complete() {
    let body = parse(
        "1-0",
        "<cwmp:TransferComplete><CommandKey>AutoconfFirmwareUpgrade</CommandKey>\
         <FaultStruct><FaultString></FaultString><FaultCode>0</FaultCode></FaultStruct>\
         <StartTime>2016-04-07T08:43:49Z</StartTime><CompleteTime>2016-04-07T08:45:06Z</CompleteTime>\
         </cwmp:TransferComplete>",
    );
    let done = TransferComplete {
        command_key: "AutoconfFirmwareUpgrade".into(),
        fault_struct: TransferCompleteFaultStruct::success(),
        start_time: time("2016-04-07T08:43:49Z"),
        complete_time: time("2016-04-07T08:45:06Z"),
    };
    assert_eq!(body, Body::TransferComplete(done.clone()));
    let xml = round_trip(CwmpVersion::V1_0, done.clone());
    assert!(xml.contains(
        "<FaultStruct><FaultCode>0</FaultCode><FaultString></FaultString></FaultStruct>"
    ));
    round_trip(CwmpVersion::V1_0, TransferCompleteResponse {});

    // A fault, with FaultString left out.
    let body = parse(
        "1-0",
        "<cwmp:TransferComplete><CommandKey/><FaultStruct><FaultCode>9010</FaultCode></FaultStruct>\
         <StartTime>2016-04-07T08:43:49Z</StartTime><CompleteTime>2016-04-07T08:45:06Z</CompleteTime>\
         </cwmp:TransferComplete>",
    );
    let Body::TransferComplete(failed) = body else {
        panic!("{body:?}")
    };
    assert_eq!(
        failed.fault_struct.fault_code,
        Some(FaultCode::new(9010).unwrap())
    );
    assert_eq!(failed.fault_struct.fault_string, "");
    round_trip(CwmpVersion::V1_0, failed);

    let json = serde_json::to_value(&done).unwrap();
    assert_eq!(json["FaultStruct"]["FaultCode"], 0);
    let back: TransferComplete = serde_json::from_value(json).unwrap();
    assert_eq!(back, done);
}

#[test]
fn transfer_fault_codes_per_version() {
    let with_code = |code: u32| TransferComplete {
        command_key: String::new(),
        fault_struct: TransferCompleteFaultStruct::fault(FaultCode::new(code).unwrap(), "x"),
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    let cases = [
        (9010, Some(CwmpVersion::V1_0)),
        (9014, Some(CwmpVersion::V1_1)),
        (9020, Some(CwmpVersion::V1_1)),
        (9850, Some(CwmpVersion::V1_1)),
        (9003, None),
        (8002, None),
    ];
    for (code, since) in cases {
        for version in CwmpVersion::ALL {
            let result = write(version, with_code(code));
            match since {
                Some(since) if version >= since => assert!(result.is_ok(), "{code} {version}"),
                Some(_) => assert!(
                    matches!(result, Err(WriteError::NotInVersion { .. })),
                    "{code} {version}: {result:?}"
                ),
                None => assert!(
                    matches!(
                        result,
                        Err(WriteError::Invalid {
                            field: "FaultCode",
                            ..
                        })
                    ),
                    "{code} {version}: {result:?}"
                ),
            }
        }
    }
    // 9021 is allowed in 1.1 only.
    assert!(write(CwmpVersion::V1_1, with_code(9021)).is_ok());
    assert!(matches!(
        write_err(CwmpVersion::V1_2, with_code(9021)),
        WriteError::Invalid { .. }
    ));
}

#[test]
fn autonomous_transfer_complete() {
    let body = parse(
        "1-1",
        "<cwmp:AutonomousTransferComplete><AnnounceURL>http://example.com/announce</AnnounceURL>\
         <TransferURL>http://example.com/transfer</TransferURL><IsDownload>1</IsDownload>\
         <FileType>1 Firmware Upgrade Image</FileType><FileSize>10000</FileSize>\
         <TargetFileName>/bin/image</TargetFileName><FaultStruct><FaultCode>0</FaultCode>\
         <FaultString/></FaultStruct><StartTime>2016-04-07T08:43:49Z</StartTime>\
         <CompleteTime>2016-04-07T08:45:06Z</CompleteTime></cwmp:AutonomousTransferComplete>",
    );
    let Body::AutonomousTransferComplete(message) = body else {
        panic!("{body:?}")
    };
    assert!(message.is_download);
    assert_eq!(message.target_file_name, "/bin/image");
    round_trip(CwmpVersion::V1_1, message.clone());
    // The method exists since 1.1.
    assert!(matches!(
        write_err(CwmpVersion::V1_0, message.clone()),
        WriteError::NotInVersion { .. }
    ));
    let vendor = AutonomousTransferComplete {
        file_type: "X ACME Backup".into(),
        ..message
    };
    round_trip(CwmpVersion::V1_2, vendor.clone());
    assert!(matches!(
        write_err(CwmpVersion::V1_1, vendor),
        WriteError::NotInVersion { .. }
    ));
    round_trip(CwmpVersion::V1_1, AutonomousTransferCompleteResponse {});
}

#[test]
fn write_bounds() {
    let cases: Vec<(&str, Download)> = vec![
        (
            "CommandKey",
            Download {
                command_key: "k".repeat(33),
                ..download()
            },
        ),
        (
            "URL",
            Download {
                url: "u".repeat(257),
                ..download()
            },
        ),
        (
            "Username",
            Download {
                username: "u".repeat(257),
                ..download()
            },
        ),
        (
            "Password",
            Download {
                password: "p".repeat(257),
                ..download()
            },
        ),
        (
            "TargetFileName",
            Download {
                target_file_name: "t".repeat(257),
                ..download()
            },
        ),
        (
            "SuccessURL",
            Download {
                success_url: "s".repeat(257),
                ..download()
            },
        ),
        (
            "FailureURL",
            Download {
                failure_url: "f".repeat(257),
                ..download()
            },
        ),
        (
            "FileType",
            Download {
                file_type: format!("X 00D09E {}", "f".repeat(56)),
                ..download()
            },
        ),
    ];
    for (field, message) in cases {
        let err = write_err(CwmpVersion::V1_2, message);
        assert!(
            matches!(err, WriteError::TooLong { field: f, .. } if f == field),
            "{err:?}"
        );
    }
    let bad_type = Download {
        file_type: "Firmware".into(),
        ..download()
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_2, bad_type),
        WriteError::Invalid {
            field: "FileType",
            ..
        }
    ));
    let tone = Download {
        file_type: file_type::TONE_FILE.into(),
        ..download()
    };
    round_trip(CwmpVersion::V1_2, tone.clone());
    assert!(matches!(
        write_err(CwmpVersion::V1_0, tone),
        WriteError::NotInVersion { .. }
    ));
    let long_fault = TransferComplete {
        command_key: String::new(),
        fault_struct: TransferCompleteFaultStruct::fault(
            FaultCode::new(9010).unwrap(),
            "f".repeat(257),
        ),
        start_time: DateTime::UNKNOWN,
        complete_time: DateTime::UNKNOWN,
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_0, long_fault),
        WriteError::TooLong {
            field: "FaultString",
            ..
        }
    ));
    let long_url = Upload {
        command_key: String::new(),
        file_type: file_type::UPLOAD_VENDOR_LOG_FILE.into(),
        url: "u".repeat(257),
        username: String::new(),
        password: String::new(),
        delay_seconds: 0,
    };
    assert!(matches!(
        write_err(CwmpVersion::V1_0, long_url),
        WriteError::TooLong { field: "URL", .. }
    ));
}

#[test]
fn lenient_date_times() {
    let read = |text: &str| {
        let body = parse(
            "1-0",
            &format!(
                "<cwmp:DownloadResponse><Status>0</Status><StartTime>{text}</StartTime>\
                 <CompleteTime>0001-01-01T00:00:00Z</CompleteTime></cwmp:DownloadResponse>"
            ),
        );
        let Body::DownloadResponse(response) = body else {
            panic!("{body:?}")
        };
        response.start_time
    };
    let expected: DateTime = "2019-03-05T11:54:14".parse().unwrap();
    assert_eq!(read(" 2019-03-05T11:54:14 "), expected);
    assert_eq!(read("2019-03-05T11:54::14"), expected);
    assert_eq!(read("2019-03-05 11:54:14"), expected);
    assert_eq!(read("yesterday"), DateTime::UNKNOWN);
    assert_eq!(read(""), DateTime::UNKNOWN);
}
