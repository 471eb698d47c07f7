//! Device records and what an Inform tells about a device.

use cwmp::EventCode;
use serde::{Deserialize, Serialize};

use super::{DeviceId, ParamValue, Timestamp};

/// The `DeviceIdStruct` of an Inform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// `Manufacturer`.
    pub manufacturer: String,
    /// `OUI`.
    pub oui: String,
    /// `ProductClass` (may be empty).
    pub product_class: String,
    /// `SerialNumber`.
    pub serial_number: String,
}

impl DeviceIdentity {
    /// The GenieACS-compatible id of this device.
    pub fn device_id(&self) -> DeviceId {
        DeviceId::from_identity(&self.oui, &self.product_class, &self.serial_number)
    }
}

/// A device record (without its parameter tree).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// Escaped id.
    pub id: DeviceId,
    /// Identity from the last Inform.
    pub identity: DeviceIdentity,
    /// When the device was first seen.
    pub created: Timestamp,
    /// Time of the last Inform.
    pub last_inform: Option<Timestamp>,
    /// Events of the last Inform.
    pub last_events: Vec<EventCode>,
    /// Source address of the last session.
    pub ip: Option<String>,
    /// `ManagementServer.ConnectionRequestURL` as last reported.
    pub connection_request_url: Option<String>,
    /// `ManagementServer.UDPConnectionRequestAddress` as last reported (TR-111).
    pub udp_connection_request_address: Option<String>,
    /// Outcome of the last Connection Request sent (`None`: never sent).
    pub last_connection_request: Option<ConnectionRequestResult>,
    /// Outcome of the firmware a preset targets (`None`: none known yet).
    pub firmware: Option<FirmwareOutcome>,
    /// Tags, sorted.
    pub tags: Vec<String>,
}

/// Where a device stands with the firmware a preset targets (`_firmware` in the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareOutcome {
    /// The version the preset targets.
    pub target: String,
    /// Whether the device runs it.
    pub status: FirmwareStatus,
    /// When the ACS learnt it.
    pub time: Timestamp,
}

/// Upgraded or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FirmwareStatus {
    /// An Inform showed the target SoftwareVersion.
    Upgraded,
    /// The download of the target was reported with a fault (TransferComplete).
    Failed,
}

impl FirmwareStatus {
    /// Its stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            FirmwareStatus::Upgraded => "upgraded",
            FirmwareStatus::Failed => "failed",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<FirmwareStatus> {
        match s {
            "upgraded" => Some(FirmwareStatus::Upgraded),
            "failed" => Some(FirmwareStatus::Failed),
            _ => None,
        }
    }
}

/// When a Connection Request was sent and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRequestResult {
    /// When it was sent.
    pub time: Timestamp,
    /// Why it failed (`None`: the device answered 2xx).
    pub error: Option<String>,
}

/// Everything one Inform tells about a device, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct InformUpdate {
    /// Identity (the id is derived from it).
    pub identity: DeviceIdentity,
    /// Time of the Inform.
    pub time: Timestamp,
    /// Its events.
    pub events: Vec<EventCode>,
    /// Source address.
    pub ip: Option<String>,
    /// ConnectionRequestURL, when the Inform carried it.
    pub connection_request_url: Option<String>,
    /// UDPConnectionRequestAddress, when the Inform carried it.
    pub udp_connection_request_address: Option<String>,
    /// The `ParameterList`.
    pub parameters: Vec<ParamValue>,
}

/// What an Inform upsert found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InformOutcome {
    /// The device was not in the store before.
    pub created: bool,
}
