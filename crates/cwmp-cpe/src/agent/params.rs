//! Reading the `ManagementServer.` and `DeviceInfo.` parameters from the tree, and seeding them.

use cwmp::DateTime;
use cwmp::rpc::DeviceId;
use cwmp_datamodel::Tree;

use super::{Agent, AgentError};
use crate::config::Config;
use crate::retry::RetryPolicy;
use crate::schedule::PeriodicInform;
use crate::transport::Credentials;

impl Agent {
    pub(super) fn ms(&self, name: &str) -> String {
        format!("{}ManagementServer.{name}", self.config.root())
    }

    pub(super) fn text(&self, path: &str) -> Option<String> {
        self.tree
            .stored_value(path)
            .map(|v| v.as_text().into_owned())
    }

    pub(super) fn ms_text(&self, name: &str) -> String {
        self.text(&self.ms(name)).unwrap_or_default()
    }

    /// The ACS URL from the tree (`ManagementServer.URL`).
    pub fn acs_url(&self) -> String {
        self.ms_text("URL")
    }

    /// PeriodicInform* from the tree.
    pub fn periodic_from_tree(&self) -> PeriodicInform {
        let d = PeriodicInform::default();
        PeriodicInform {
            enable: self.ms_text("PeriodicInformEnable") == "true"
                || self.ms_text("PeriodicInformEnable") == "1",
            interval: self
                .ms_text("PeriodicInformInterval")
                .parse()
                .unwrap_or(d.interval),
            time: self
                .ms_text("PeriodicInformTime")
                .parse()
                .unwrap_or(DateTime::UNKNOWN),
        }
    }

    pub(super) fn retry_policy(&self) -> RetryPolicy {
        let min = self.ms_text("CWMPRetryMinimumWaitInterval").parse();
        let mul = self.ms_text("CWMPRetryIntervalMultiplier").parse();
        match (min, mul) {
            (Ok(min), Ok(mul)) => RetryPolicy::new(min, mul),
            _ => RetryPolicy::default(),
        }
    }

    pub(super) fn credentials(&self) -> Option<Credentials> {
        let user = self.ms_text("Username");
        let pass = self.ms_text("Password");
        (!user.is_empty()).then(|| Credentials::new(user, pass))
    }

    pub(super) fn device_id(&self) -> DeviceId {
        let di = |n: &str| {
            self.text(&format!("{}DeviceInfo.{n}", self.config.root()))
                .unwrap_or_default()
        };
        DeviceId {
            manufacturer: di("Manufacturer"),
            oui: di("ManufacturerOUI"),
            product_class: di("ProductClass"),
            serial_number: di("SerialNumber"),
        }
    }
}

/// Writes the config's `ManagementServer.` values into a fresh tree (no change recorded).
pub fn seed(tree: &mut Tree, config: &Config) -> Result<(), AgentError> {
    for (path, value) in config.management_server_seed() {
        tree.set_local(&path, &value)
            .map_err(|f| AgentError::Seed {
                path: path.clone(),
                message: format!("{f:?}"),
            })?;
    }
    tree.clear_changes();
    Ok(())
}
