//! The fleet: N devices built from one shared model, each in its own slot. A session takes
//! its device out of the slot and puts it back when done, so an empty slot means "in a
//! session" and no lock is held across the network.

use std::sync::Mutex;

use cwmp::rpc::DeviceId;
use cwmp_datamodel::Tree;

use crate::device::{Device, DeviceError, personal_tree};
use crate::model::FleetModel;
use crate::serial::SerialPattern;

/// The virtual CPEs.
#[derive(Debug)]
pub struct Fleet {
    model: FleetModel,
    serials: SerialPattern,
    cr_base: Option<String>,
    slots: Vec<Mutex<Option<Device>>>,
}

impl Fleet {
    /// Builds `count` devices numbered 1..=count; `cr_base` (e.g. `http://127.0.0.1:7548/cr/`)
    /// followed by the serial number is each one's ConnectionRequestURL.
    pub fn build(
        model: FleetModel,
        serials: SerialPattern,
        count: u32,
        cr_base: Option<String>,
    ) -> Result<Fleet, DeviceError> {
        let mut slots = Vec::with_capacity(count as usize);
        for i in 0..count {
            let serial = serials.format(i + 1);
            let url = cr_base.as_ref().map(|b| format!("{b}{serial}"));
            slots.push(Mutex::new(Some(Device::new(
                &model,
                &serial,
                url.as_deref(),
            )?)));
        }
        Ok(Fleet {
            model,
            serials,
            cr_base,
            slots,
        })
    }

    /// Number of devices.
    pub fn len(&self) -> u32 {
        self.slots.len() as u32
    }

    /// True for a fleet of no device.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The shared model.
    pub fn model(&self) -> &FleetModel {
        &self.model
    }

    /// The serial number of device `index` (0-based; numbered from 1).
    pub fn serial(&self, index: u32) -> String {
        self.serials.format(index + 1)
    }

    /// The index of the device with this serial number.
    pub fn index_of(&self, serial: &str) -> Option<u32> {
        let n = self.serials.parse_serial(serial)?;
        n.checked_sub(1).filter(|i| *i < self.len())
    }

    /// The DeviceId of device `index`'s Informs.
    pub fn device_id(&self, index: u32) -> DeviceId {
        DeviceId {
            manufacturer: self.model.manufacturer.clone(),
            oui: self.model.oui.clone(),
            product_class: self.model.product_class.clone(),
            serial_number: self.serial(index),
        }
    }

    /// The tree of device `index` after a factory reset.
    pub fn factory_tree(&self, index: u32) -> Result<Tree, DeviceError> {
        let serial = self.serial(index);
        let url = self.cr_base.as_ref().map(|b| format!("{b}{serial}"));
        personal_tree(&self.model, &serial, url.as_deref())
    }

    /// Takes device `index` out for a session (`None`: already in one, or no such device).
    pub fn take(&self, index: u32) -> Option<Device> {
        let slot = self.slots.get(index as usize)?;
        slot.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Puts device `index` back after its session.
    pub fn put(&self, index: u32, device: Device) {
        if let Some(slot) = self.slots.get(index as usize) {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(device);
        }
    }

    /// Runs `f` on device `index` if it is not in a session.
    pub fn with_idle<R>(&self, index: u32, f: impl FnOnce(&mut Device) -> R) -> Option<R> {
        let slot = self.slots.get(index as usize)?;
        slot.lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .map(f)
    }
}
