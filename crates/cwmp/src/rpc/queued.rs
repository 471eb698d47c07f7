//! Transfer queue and scheduling: GetQueuedTransfers, GetAllQueuedTransfers, ScheduleDownload,
//! CancelTransfer (TR-069 §A.4.1.1, §A.4.1.7–A.4.1.9) and RequestDownload (§A.4.2.2).

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::rpc::checks::{download_file_type, non_empty, transfer_file_type, window_mode};
use crate::rpc::enums::TransferState;
use crate::rpc::lists::{cwmp_array_item, decode_list_occurrence};
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
#[path = "queued_tests.rs"]
mod tests;
