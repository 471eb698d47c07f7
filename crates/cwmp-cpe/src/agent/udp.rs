//! Publishing the UDP Connection Request address learned by STUN (TR-111 Part 2 §2.2.1).

use cwmp::EventCode;
use cwmp::rpc::{Notification, SetParameterAttributesStruct};

use super::{Agent, AgentError};

impl Agent {
    /// Stores `NATDetected` and `UDPConnectionRequestAddress`. A new address must reach the ACS
    /// at once (TR-111: the ACS cannot reach the CPE otherwise), so its Notification is forced to
    /// active before the change is recorded, and the change starts a `4 VALUE CHANGE` session.
    pub(super) fn publish_udp_address(
        &mut self,
        address: &str,
        nat_detected: bool,
    ) -> Result<(), AgentError> {
        let seed_err = |path: &str, f: cwmp_datamodel::Fault| AgentError::Seed {
            path: path.to_owned(),
            message: format!("{f:?}"),
        };
        let nat = self.ms("NATDetected");
        if self.tree.exists(&nat) {
            self.tree
                .set_local(&nat, if nat_detected { "true" } else { "false" })
                .map_err(|f| seed_err(&nat, f))?;
        }
        let path = self.ms("UDPConnectionRequestAddress");
        if self.text(&path).as_deref() == Some(address) {
            self.tree.save(&self.tree_path)?;
            return Ok(());
        }
        let active = self
            .tree
            .get_parameter_attributes(&[path.as_str()])
            .map_err(|f| seed_err(&path, f))?
            .first()
            .is_some_and(|a| a.notification == Notification::Active);
        if !active {
            self.tree
                .set_parameter_attributes(&[SetParameterAttributesStruct {
                    name: path.clone(),
                    notification_change: true,
                    notification: Notification::Active,
                    access_list_change: false,
                    access_list: Vec::new(),
                }])
                .map_err(|f| seed_err(&path, f))?;
        }
        let signal = self
            .tree
            .set_local(&path, address)
            .map_err(|f| seed_err(&path, f))?;
        self.tree.save(&self.tree_path)?;
        if signal.active {
            self.raise(EventCode::ValueChange, "")?;
        }
        Ok(())
    }
}
