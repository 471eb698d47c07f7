//! The built-in Linux handlers: `DeviceInfo.`, `ManagementServer.`, `Time.`,
//! `IP.Interface.{i}.IPv4Address.` and `Ethernet.Interface.`.
//!
//! Reads of uptime, memory, the clock and `/sys/class/net` come from
//! [`cwmp_datamodel::LinuxBackend`]; the IPv4 addresses of an interface (the row's `Name`)
//! from rtnetlink. `DeviceInfo.` and `ManagementServer.` settings are the agent's own (it
//! applies the ManagementServer values itself); `Time.`, `IPv4Address` and
//! `Ethernet.Interface` settings go to the configured apply program with the
//! [`super::program`] contract, or are only stored when none is configured.

use cwmp_datamodel::ApplyStatus;

use super::contract::{Handler, HandlerError, Setting};
use super::netlink;
use super::program::ProgramHandler;

/// Which subtree a built-in handler owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `DeviceInfo.`
    DeviceInfo,
    /// `ManagementServer.`
    ManagementServer,
    /// `Time.`
    Time,
    /// `IP.Interface.{i}.IPv4Address.`
    Ipv4Address,
    /// `Ethernet.Interface.`
    Ethernet,
}

impl Area {
    /// Every area.
    pub const ALL: [Area; 5] = [
        Area::DeviceInfo,
        Area::ManagementServer,
        Area::Time,
        Area::Ipv4Address,
        Area::Ethernet,
    ];

    /// The subtree below the root object.
    pub fn subtree(self) -> &'static str {
        match self {
            Area::DeviceInfo => "DeviceInfo.",
            Area::ManagementServer => "ManagementServer.",
            Area::Time => "Time.",
            Area::Ipv4Address => "IP.Interface.{i}.IPv4Address.",
            Area::Ethernet => "Ethernet.Interface.",
        }
    }

    fn applies_through_program(self) -> bool {
        matches!(self, Area::Time | Area::Ipv4Address | Area::Ethernet)
    }
}

/// A built-in handler.
#[derive(Debug, Clone)]
pub struct LinuxHandler {
    area: Area,
    apply: Option<ProgramHandler>,
}

impl LinuxHandler {
    /// The handler of `area`; `apply` applies its settings (used for Time, IPv4Address and
    /// Ethernet only).
    pub fn new(area: Area, apply: Option<ProgramHandler>) -> Self {
        let apply = apply.filter(|_| area.applies_through_program());
        LinuxHandler { area, apply }
    }
}

/// The `n`th (1-based) IPv4 address of interface `name`.
fn ipv4_of(name: &str, n: usize) -> Option<netlink::Ipv4Entry> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return None;
    }
    let index: u32 = std::fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    match netlink::ipv4_addresses() {
        Ok(all) => all
            .into_iter()
            .filter(|e| e.index == index)
            .nth(n.checked_sub(1)?),
        Err(e) => {
            tracing::warn!("reading the IPv4 addresses of {name}: {e}");
            None
        }
    }
}

/// The last instance number in an instance path (`…IPv4Address.2.IPAddress` → 2).
fn last_instance(path: &str) -> Option<usize> {
    path.rsplit('.').find_map(|seg| seg.parse::<usize>().ok())
}

impl Handler for LinuxHandler {
    fn name(&self) -> &str {
        self.area.subtree()
    }

    fn is_live(&self, schema_path: &str) -> bool {
        self.area == Area::Ipv4Address
            && (schema_path.ends_with(".IPAddress") || schema_path.ends_with(".SubnetMask"))
    }

    fn get(&self, path: &str, nearby: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        if self.area != Area::Ipv4Address {
            return None;
        }
        let entry = ipv4_of(&nearby("Name")?, last_instance(path)?)?;
        if path.ends_with(".SubnetMask") {
            Some(entry.mask().to_string())
        } else {
            Some(entry.address.to_string())
        }
    }

    fn set(&mut self, settings: &[Setting<'_>]) -> Result<ApplyStatus, HandlerError> {
        match &mut self.apply {
            Some(p) => p.set(settings),
            None => Ok(ApplyStatus::Applied),
        }
    }

    fn add(&mut self, path: &str) -> Result<ApplyStatus, HandlerError> {
        match &mut self.apply {
            Some(p) => p.add(path),
            None => Ok(ApplyStatus::Applied),
        }
    }

    fn delete(&mut self, path: &str) -> Result<ApplyStatus, HandlerError> {
        match &mut self.apply {
            Some(p) => p.delete(path),
            None => Ok(ApplyStatus::Applied),
        }
    }
}
