//! Transfer queue and scheduling: GetQueuedTransfers, GetAllQueuedTransfers, ScheduleDownload,
//! CancelTransfer (TR-069 §A.4.1.1, §A.4.1.7–A.4.1.9) and RequestDownload (§A.4.2.2).

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::rpc::wire::{
    TransferState, cwmp_array_item, decode_list_occurrence, download_file_type, non_empty,
    transfer_file_type, window_mode,
};
use crate::xml::field::{Field, check_max, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

wire_struct! {
    /// One transfer in the CPE's queue (`QueuedTransferStruct`).
    pub struct QueuedTransferStruct {
        /// The `CommandKey` of the request; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// How far it has got.
        state: TransferState = "State",
    }
}

wire_struct! {
    /// One transfer in the CPE's queue, autonomous ones included (`AllQueuedTransferStruct`,
    /// CWMP 1.1).
    pub struct AllQueuedTransferStruct {
        /// The `CommandKey` of the request, empty for an autonomous one; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// How far it has got.
        state: TransferState = "State",
        /// True for a download, false for an upload.
        is_download: bool = "IsDownload",
        /// What the file is; at most 64 characters.
        file_type: String = "FileType" (max 64) (check transfer_file_type),
        /// Size in bytes, 0 if unknown.
        file_size: u32 = "FileSize",
        /// Name it is stored under; at most 256 characters.
        target_file_name: String = "TargetFileName" (max 256) (default),
    }
}

wire_struct! {
    /// A time window of a [`ScheduleDownload`] (`TimeWindowStruct`).
    pub struct TimeWindowStruct {
        /// Seconds from the request to the window's start.
        window_start: u32 = "WindowStart",
        /// Seconds from the request to the window's end.
        window_end: u32 = "WindowEnd",
        /// When within the window (see the constants of [`TimeWindowStruct`]); at most 64
        /// characters.
        window_mode: String = "WindowMode" (max 64) (check window_mode),
        /// Text to show the user when the mode asks for confirmation; at most 256 characters.
        user_message: String = "UserMessage" (max 256) (default),
        /// Retries within the window; -1 lets the CPE decide.
        max_retries: i32 = "MaxRetries",
    }
}

impl TimeWindowStruct {
    /// `1 At Any Time`.
    pub const AT_ANY_TIME: &'static str = "1 At Any Time";
    /// `2 Immediately`.
    pub const IMMEDIATELY: &'static str = "2 Immediately";
    /// `3 When Idle`.
    pub const WHEN_IDLE: &'static str = "3 When Idle";
    /// `4 Confirmation Needed`.
    pub const CONFIRMATION_NEEDED: &'static str = "4 Confirmation Needed";
}

wire_struct! {
    /// A name and value qualifying a [`RequestDownload`] (`ArgStruct`).
    pub struct ArgStruct {
        /// At most 64 characters.
        name: String = "Name" (max 64),
        /// At most 256 characters.
        value: String = "Value" (max 256),
    }
}

cwmp_array_item!(
    QueuedTransferStruct,
    AllQueuedTransferStruct,
    TimeWindowStruct,
    ArgStruct
);

wire_struct! {
    /// Asks for the CPE's queued transfers (TR-069 §A.4.1.1).
    pub struct GetQueuedTransfers {}
}

/// Defines a response carrying a `TransferList` of at most 16 items. Written as the schema's
/// SOAP array; read as an array or, as some peers write it, as repeated `TransferList`
/// elements that each hold one bare struct.
macro_rules! transfer_list_response {
    ($(#[$meta:meta])* $name:ident, $item:ty, $fields:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// The transfers; at most 16.
            #[serde(rename = "TransferList")]
            pub transfer_list: Vec<$item>,
        }

        impl Field for $name {
            fn decode<'a>(
                r: &mut Reader<'a>,
                element: &Element<'a>,
                _: &'static str,
            ) -> Result<Self, ParseError> {
                let mut list: Option<Vec<$item>> = None;
                while let Some(child) = r.next_child(element)? {
                    if child.local == "TransferList" {
                        let out = list.get_or_insert_with(Vec::new);
                        decode_list_occurrence(r, &child, "TransferList", $fields, out)?;
                    } else {
                        r.skip(&child)?;
                    }
                }
                let transfer_list = list.ok_or_else(|| {
                    r.error_at(element, ParseErrorKind::MissingField("TransferList"))
                })?;
                Ok($name { transfer_list })
            }

            fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
                check_max(&self.transfer_list, "TransferList", 16)?;
                w.open(name);
                self.transfer_list.encode(w, "TransferList")?;
                w.close(name);
                Ok(())
            }
        }
    };
}

transfer_list_response!(
    /// The answer to [`GetQueuedTransfers`].
    GetQueuedTransfersResponse,
    QueuedTransferStruct,
    &["CommandKey", "State"]
);

wire_struct! {
    /// Asks for all the CPE's queued transfers, autonomous ones included (TR-069 §A.4.1.7,
    /// CWMP 1.1).
    pub struct GetAllQueuedTransfers {}
}

transfer_list_response!(
    /// The answer to [`GetAllQueuedTransfers`].
    GetAllQueuedTransfersResponse,
    AllQueuedTransferStruct,
    &["CommandKey", "State", "IsDownload", "FileType", "FileSize", "TargetFileName"]
);

wire_struct! {
    /// Asks the CPE to download a file within one or two time windows (TR-069 §A.4.1.8,
    /// CWMP 1.2).
    pub struct ScheduleDownload {
        /// Echoed in TransferComplete; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// What the file is; at most 64 characters.
        file_type: String = "FileType" (max 64) (check download_file_type),
        /// Where to get it; at most 256 characters.
        url: String = "URL" (max 256),
        /// For the file server, may be empty; at most 256 characters.
        username: String = "Username" (max 256) (default),
        /// For the file server, may be empty; at most 256 characters.
        password: String = "Password" (max 256) (default),
        /// Size in bytes, 0 if unknown.
        file_size: u32 = "FileSize",
        /// Name to store it under, may be empty; at most 256 characters.
        target_file_name: String = "TargetFileName" (max 256) (default),
        /// One or two windows.
        time_window_list: Vec<TimeWindowStruct> = "TimeWindowList" (check non_empty) (max 2),
    }
}

wire_struct! {
    /// The (empty) answer to [`ScheduleDownload`].
    pub struct ScheduleDownloadResponse {}
}

wire_struct! {
    /// Cancels a queued transfer (TR-069 §A.4.1.9, CWMP 1.2).
    pub struct CancelTransfer {
        /// The `CommandKey` of the transfer; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
    }
}

wire_struct! {
    /// The (empty) answer to [`CancelTransfer`].
    pub struct CancelTransferResponse {}
}

wire_struct! {
    /// The CPE asks the ACS for a download (TR-069 §A.4.2.2).
    pub struct RequestDownload {
        /// What it wants; at most 64 characters.
        file_type: String = "FileType" (max 64) (check download_file_type),
        /// Qualifiers; at most 16.
        file_type_arg: Vec<ArgStruct> = "FileTypeArg" (max 16),
    }
}

wire_struct! {
    /// The (empty) answer to [`RequestDownload`].
    pub struct RequestDownloadResponse {}
}

#[cfg(test)]
mod tests {
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
}
