//! File transfers: Download, Upload (TR-069 §A.3.2.8, §A.4.1.5), and their outcome,
//! TransferComplete and AutonomousTransferComplete (§A.3.3.2, §A.3.3.3).

use serde::{Deserialize, Serialize};

use crate::datetime::DateTime;
use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::fault::FaultCode;
use crate::rpc::checks::{download_file_type, transfer_file_type, upload_file_type, version_rule};
use crate::rpc::enums::Status;
use crate::rpc::fault_fields::{decode_fault_child, zero_is_no_fault};
use crate::version::CwmpVersion;
use crate::xml::field::{Field, check_max, wire_struct};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

/// The standard `FileType` values (TR-069 §A.3.2.8, §A.4.1.5). Vendor types are written
/// `X <OUI> <name>`, or since CWMP 1.2 `X <vendor> <name>`.
pub mod file_type {
    /// `1 Firmware Upgrade Image` (Download).
    pub const FIRMWARE_UPGRADE_IMAGE: &str = "1 Firmware Upgrade Image";
    /// `2 Web Content` (Download).
    pub const WEB_CONTENT: &str = "2 Web Content";
    /// `3 Vendor Configuration File` (Download); `1 Vendor Configuration File` for Upload.
    pub const VENDOR_CONFIGURATION_FILE: &str = "3 Vendor Configuration File";
    /// `4 Tone File` (Download, CWMP 1.2).
    pub const TONE_FILE: &str = "4 Tone File";
    /// `5 Ringer File` (Download, CWMP 1.2).
    pub const RINGER_FILE: &str = "5 Ringer File";
    /// `1 Vendor Configuration File` (Upload).
    pub const UPLOAD_VENDOR_CONFIGURATION_FILE: &str = "1 Vendor Configuration File";
    /// `2 Vendor Log File` (Upload).
    pub const UPLOAD_VENDOR_LOG_FILE: &str = "2 Vendor Log File";
}

/// The outcome of a transfer (`TransferCompleteFaultStruct`, `FaultStruct` in CWMP 1.0 and
/// 1.1): no fault code means success, written as `0`.
///
/// Read leniently: any CPE fault code is accepted, and a missing `FaultString` is empty.
/// Written strictly: the code must be one the schema of the version allows for transfers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferCompleteFaultStruct {
    /// The fault, or `None` (0 on the wire) for success.
    #[serde(rename = "FaultCode", with = "zero_is_no_fault")]
    pub fault_code: Option<FaultCode>,
    /// Human-readable text, empty on success; at most 256 characters.
    #[serde(rename = "FaultString", default)]
    pub fault_string: String,
}

impl TransferCompleteFaultStruct {
    /// A successful transfer: code 0, no text.
    pub fn success() -> Self {
        TransferCompleteFaultStruct {
            fault_code: None,
            fault_string: String::new(),
        }
    }

    /// A failed transfer.
    pub fn fault(code: FaultCode, text: impl Into<String>) -> Self {
        TransferCompleteFaultStruct {
            fault_code: Some(code),
            fault_string: text.into(),
        }
    }
}

/// The fault codes a transfer may end with, per schema version.
fn transfer_fault_allowed(version: CwmpVersion, code: u32) -> bool {
    match version {
        CwmpVersion::V1_0 => matches!(code, 9001 | 9002 | 9010..=9012),
        CwmpVersion::V1_1 => matches!(code, 9001 | 9002 | 9010..=9012 | 9014..=9899),
        _ => matches!(code, 9001 | 9002 | 9010..=9012 | 9014..=9020 | 9033..=9899),
    }
}

impl Field for TransferCompleteFaultStruct {
    fn decode<'a>(
        r: &mut Reader<'a>,
        element: &Element<'a>,
        _: &'static str,
    ) -> Result<Self, ParseError> {
        let mut fault_code = None;
        let mut fault_string = None;
        while let Some(child) = r.next_child(element)? {
            if !decode_fault_child(r, &child, &mut fault_code, &mut fault_string)? {
                r.skip(&child)?;
            }
        }
        let fault_code = fault_code
            .ok_or_else(|| r.error_at(element, ParseErrorKind::MissingField("FaultCode")))?;
        Ok(TransferCompleteFaultStruct {
            fault_code,
            fault_string: fault_string.unwrap_or_default(),
        })
    }

    fn encode(&self, w: &mut Writer, name: &'static str) -> Result<(), WriteError> {
        check_max(&self.fault_string, "FaultString", 256)?;
        let code = self.fault_code.map_or(0, FaultCode::value);
        if code != 0 {
            version_rule(w, "FaultCode", &code.to_string(), |v| {
                transfer_fault_allowed(v, code)
            })?;
        }
        w.open(name);
        w.leaf("FaultCode", &code.to_string())?;
        w.leaf("FaultString", &self.fault_string)?;
        w.close(name);
        Ok(())
    }
}

wire_struct! {
    /// Asks the CPE to download a file (TR-069 §A.3.2.8).
    pub struct Download {
        /// Echoed in TransferComplete; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// What the file is (see [`file_type`]); at most 64 characters.
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
        /// Seconds to wait before starting.
        delay_seconds: u32 = "DelaySeconds",
        /// Where to send the user's browser on success (Kicked); at most 256 characters.
        success_url: String = "SuccessURL" (max 256) (default),
        /// Where to send the user's browser on failure (Kicked); at most 256 characters.
        failure_url: String = "FailureURL" (max 256) (default),
    }
}

wire_struct! {
    /// The answer to [`Download`].
    pub struct DownloadResponse {
        /// Applied already, or to be reported by TransferComplete.
        status: Status = "Status",
        /// When the transfer started (Unknown Time unless applied).
        start_time: DateTime = "StartTime",
        /// When it completed (Unknown Time unless applied).
        complete_time: DateTime = "CompleteTime",
    }
}

wire_struct! {
    /// Asks the CPE to upload a file (TR-069 §A.4.1.5).
    pub struct Upload {
        /// Echoed in TransferComplete; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// What to upload (`1 Vendor Configuration File`, `2 Vendor Log File`, …); at most
        /// 64 characters.
        file_type: String = "FileType" (max 64) (check upload_file_type),
        /// Where to put it; at most 256 characters.
        url: String = "URL" (max 256),
        /// For the file server, may be empty; at most 256 characters.
        username: String = "Username" (max 256) (default),
        /// For the file server, may be empty; at most 256 characters.
        password: String = "Password" (max 256) (default),
        /// Seconds to wait before starting.
        delay_seconds: u32 = "DelaySeconds",
    }
}

wire_struct! {
    /// The answer to [`Upload`].
    pub struct UploadResponse {
        /// Done already, or to be reported by TransferComplete.
        status: Status = "Status",
        /// When the transfer started (Unknown Time unless done).
        start_time: DateTime = "StartTime",
        /// When it completed (Unknown Time unless done).
        complete_time: DateTime = "CompleteTime",
    }
}

wire_struct! {
    /// Reports the end of a transfer the ACS asked for (TR-069 §A.3.3.2).
    pub struct TransferComplete {
        /// The `CommandKey` of the Download, Upload or ScheduleDownload; at most 32 characters.
        command_key: String = "CommandKey" (max 32),
        /// Success, or why it failed.
        fault_struct: TransferCompleteFaultStruct = "FaultStruct",
        /// When the transfer started.
        start_time: DateTime = "StartTime",
        /// When it completed.
        complete_time: DateTime = "CompleteTime",
    }
}

wire_struct! {
    /// The (empty) answer to [`TransferComplete`].
    pub struct TransferCompleteResponse {}
}

wire_struct! {
    /// Reports a transfer the CPE made on its own (TR-069 §A.3.3.3, CWMP 1.1).
    pub struct AutonomousTransferComplete {
        /// The URL on which the transfer was announced; at most 1024 characters.
        announce_url: String = "AnnounceURL" (max 1024),
        /// The URL of the file; at most 1024 characters.
        transfer_url: String = "TransferURL" (max 1024),
        /// True for a download, false for an upload.
        is_download: bool = "IsDownload",
        /// What the file is; at most 64 characters.
        file_type: String = "FileType" (max 64) (check transfer_file_type),
        /// Size in bytes.
        file_size: u32 = "FileSize",
        /// Name it was stored under; at most 256 characters.
        target_file_name: String = "TargetFileName" (max 256) (default),
        /// Success, or why it failed.
        fault_struct: TransferCompleteFaultStruct = "FaultStruct",
        /// When the transfer started.
        start_time: DateTime = "StartTime",
        /// When it completed.
        complete_time: DateTime = "CompleteTime",
    }
}

wire_struct! {
    /// The (empty) answer to [`AutonomousTransferComplete`].
    pub struct AutonomousTransferCompleteResponse {}
}

#[cfg(test)]
#[path = "transfers_tests.rs"]
mod tests;
