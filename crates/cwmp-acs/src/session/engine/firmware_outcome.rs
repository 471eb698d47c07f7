//! The device's firmware outcome (`_firmware` in the API): `upgraded` once the device reports
//! the SoftwareVersion its firmware preset targets, `failed` when the preset's download is
//! reported by a TransferComplete with a fault (TR-069 §A.3.3.2).

use super::Session;
use crate::session::presets::PresetConfig;
use crate::session::presets::plan::Selected;
use crate::session::types::SessionError;
use crate::store::{Device, DeviceId, FirmwareOutcome, FirmwareStatus, Parameter, Timestamp};

impl Session {
    /// At the end of the presets: records `upgraded` when the device reports the version its
    /// firmware preset targets and the record does not say so already.
    pub(super) async fn note_firmware_version(
        &self,
        record: &Device,
        selected: &[Selected],
        params: &[Parameter],
        root: &str,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        let Some(target) = selected
            .iter()
            .rev()
            .find_map(|s| s.config.firmware.as_ref())
            .map(|f| f.version.clone())
        else {
            return Ok(());
        };
        let path = format!("{root}DeviceInfo.SoftwareVersion");
        let reported = params
            .iter()
            .find(|p| p.path == path)
            .and_then(|p| p.value.as_ref())
            .is_some_and(|v| v.as_text() == target);
        let known = record
            .firmware
            .as_ref()
            .is_some_and(|f| f.target == target && f.status == FirmwareStatus::Upgraded);
        if reported && !known {
            tracing::info!(device = %record.id, version = %target, "firmware upgraded");
            self.record_firmware(&record.id, target, FirmwareStatus::Upgraded, now)
                .await?;
        }
        Ok(())
    }

    /// Records `failed` for the firmware of preset `name`, whose download was reported with
    /// a fault.
    pub(super) async fn note_firmware_failure(
        &self,
        device: &DeviceId,
        name: &str,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        let target = self
            .store
            .get_preset(name)
            .await?
            .and_then(|p| PresetConfig::parse(&p.configuration).ok())
            .and_then(|c| c.firmware)
            .map(|f| f.version);
        if let Some(target) = target {
            tracing::warn!(device = %device, version = %target, preset = name, "firmware upgrade failed");
            self.record_firmware(device, target, FirmwareStatus::Failed, now)
                .await?;
        }
        Ok(())
    }

    async fn record_firmware(
        &self,
        device: &DeviceId,
        target: String,
        status: FirmwareStatus,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        let outcome = FirmwareOutcome {
            target,
            status,
            time: now,
        };
        self.store.record_firmware(device, outcome).await?;
        Ok(())
    }
}
