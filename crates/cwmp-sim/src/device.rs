//! One virtual CPE's own state: its parameter tree (a copy of the fleet template plus its
//! serial number and Connection Request URL), its event queue (in memory) and the requests it
//! has for the ACS. Everything else (the model, the identity strings) is shared by the fleet.

use cwmp::EventCode;
use cwmp_cpe::{EventQueue, PendingRequests};
use cwmp_datamodel::Tree;

use crate::model::FleetModel;

/// A virtual CPE between sessions.
#[derive(Debug)]
pub struct Device {
    /// Its data model.
    pub tree: Tree,
    /// Its undelivered events.
    pub queue: EventQueue,
    /// Its own requests (TransferComplete) waiting for a session.
    pub requests: PendingRequests,
    /// Failed sessions in a row (the retry count of the next Inform).
    pub failures: u32,
    /// The state-changing requests received so far (`method:key`), to count those the ACS
    /// sends twice; none allocated until the first.
    pub changes: Option<Box<std::collections::HashSet<String>>>,
}

impl Device {
    /// Records the state-changing requests of a session; returns how many repeat one
    /// received before (the same method with the same key).
    pub fn record_changes(&mut self, changes: Vec<String>) -> u32 {
        let mut repeated = 0;
        for change in changes {
            let seen = self.changes.get_or_insert_with(Box::default);
            if !seen.insert(change) {
                repeated += 1;
            }
        }
        repeated
    }
}

/// A device that could not be given its identity.
#[derive(Debug, Clone, thiserror::Error)]
#[error("device {serial}: {message}")]
pub struct DeviceError {
    serial: String,
    message: String,
}

impl Device {
    /// A new device in first-contact state: the template with its own serial number and
    /// ConnectionRequestURL, and `0 BOOTSTRAP` + `1 BOOT` queued.
    pub fn new(
        model: &FleetModel,
        serial: &str,
        cr_url: Option<&str>,
    ) -> Result<Self, DeviceError> {
        let tree = personal_tree(model, serial, cr_url)?;
        let mut queue = EventQueue::in_memory();
        for code in [EventCode::Bootstrap, EventCode::Boot] {
            queue.raise(code, "").map_err(|e| DeviceError {
                serial: serial.to_owned(),
                message: e.to_string(),
            })?;
        }
        Ok(Device {
            tree,
            queue,
            requests: PendingRequests::new(),
            failures: 0,
            changes: None,
        })
    }
}

/// The template tree with this device's serial number and ConnectionRequestURL, no change
/// recorded (what a factory reset returns to).
pub fn personal_tree(
    model: &FleetModel,
    serial: &str,
    cr_url: Option<&str>,
) -> Result<Tree, DeviceError> {
    let mut tree = model.template.clone();
    let err = |message: String| DeviceError {
        serial: serial.to_owned(),
        message,
    };
    let serial_path = format!("{}DeviceInfo.SerialNumber", model.root);
    tree.set_local(&serial_path, serial)
        .map_err(|f| err(format!("{serial_path}: {f}")))?;
    if let Some(url) = cr_url {
        let path = model.management_server("ConnectionRequestURL");
        tree.set_local(&path, url)
            .map_err(|f| err(format!("{path}: {f}")))?;
    }
    tree.clear_changes();
    Ok(tree)
}
