//! Backends that apply: each subtree of the data model is mapped to a [`Handler`], built in
//! ([`linux`]) or an external program ([`program`]); the longest matching subtree wins, a
//! configured program before a built-in one.
//!
//! SetParameterValues stays atomic (TR-069 A.3.2.1): the changes are grouped by handler and
//! applied group after group; when one group fails, that group and every group applied
//! before it are set back to their previous values (newest first), and the fault lists the
//! failed group's parameters with 9007 (refused) or 9002 (failed, timed out). Parameters no
//! handler owns are stored only.

pub mod contract;
pub mod linux;
pub mod netlink;
pub mod program;

use std::time::Duration;

use cwmp_datamodel::{
    ApplyStatus, Backend, BackendError, Change, LinuxBackend, LiveRead, ParameterFailure,
};

pub use contract::{Handler, HandlerError, Setting};

use crate::config::HandlersConfig;
use linux::{Area, LinuxHandler};
use program::ProgramHandler;

/// A handler and the subtree (schema path of an object, e.g. `Device.WiFi.`) it owns.
struct Route {
    subtree: String,
    handler: Box<dyn Handler>,
}

/// The agent's [`Backend`]: routes to handlers, reads the rest from Linux.
pub struct HandlerBackend {
    routes: Vec<Route>,
    linux: Option<LinuxBackend>,
}

/// The schema path of an instance path (`Device.IP.Interface.1.` → `Device.IP.Interface.{i}.`).
fn schema_of(path: &str) -> String {
    cwmp_datamodel::to_schema_path(path).map_or_else(|_| path.to_owned(), |(s, _)| s.to_string())
}

impl HandlerBackend {
    /// No handler: every value stored, nothing read from the system.
    pub fn empty() -> Self {
        HandlerBackend {
            routes: Vec::new(),
            linux: None,
        }
    }

    /// The handlers of `[handlers]` for a data model rooted at `root` (`Device.`).
    pub fn from_config(config: &HandlersConfig, root: &str) -> Self {
        let mut b = HandlerBackend::empty();
        for p in &config.programs {
            let timeout = Duration::from_secs(u64::from(p.timeout.unwrap_or(config.timeout)));
            b.add(
                &p.subtree,
                Box::new(ProgramHandler::new(
                    p.subtree.clone(),
                    p.command.clone(),
                    timeout,
                    p.live,
                )),
            );
        }
        if config.linux {
            b.linux = Some(LinuxBackend::new());
            let apply = config.apply_program.as_ref().map(|c| {
                ProgramHandler::new(
                    "apply_program",
                    c.clone(),
                    Duration::from_secs(u64::from(config.timeout)),
                    false,
                )
            });
            for area in Area::ALL {
                let subtree = format!("{root}{}", area.subtree());
                b.add(&subtree, Box::new(LinuxHandler::new(area, apply.clone())));
            }
        }
        b
    }

    /// Adds a handler for `subtree` (after the ones already added, which win ties).
    pub fn add(&mut self, subtree: &str, handler: Box<dyn Handler>) {
        self.routes.push(Route {
            subtree: subtree.to_owned(),
            handler,
        });
    }

    /// The route owning a schema path: the longest subtree that is a prefix of it.
    fn route(&self, schema_path: &str) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, r) in self.routes.iter().enumerate() {
            if schema_path.starts_with(&r.subtree)
                && best.is_none_or(|(_, len)| r.subtree.len() > len)
            {
                best = Some((i, r.subtree.len()));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Sets `group` back to the previous values (best effort: a failure is logged).
    fn roll_back(&mut self, route: usize, group: &[Change<'_>]) {
        let settings: Vec<Setting<'_>> = group.iter().map(|c| (c.path, c.previous)).collect();
        if let Some(r) = self.routes.get_mut(route) {
            match r.handler.set(&settings) {
                Ok(_) => tracing::info!(
                    handler = r.handler.name(),
                    "rolled back {} value(s)",
                    settings.len()
                ),
                Err(e) => tracing::error!(handler = r.handler.name(), "roll-back failed: {e}"),
            }
        }
    }
}

impl Backend for HandlerBackend {
    fn is_live(&self, schema_path: &str) -> bool {
        let routed = self
            .route(schema_path)
            .is_some_and(|i| self.routes[i].handler.is_live(schema_path));
        routed || self.linux.as_ref().is_some_and(|l| l.is_live(schema_path))
    }

    fn read(&self, req: &LiveRead<'_>) -> Option<String> {
        let schema_path = req.schema_path();
        if let Some(i) = self.route(schema_path) {
            let h = &self.routes[i].handler;
            if h.is_live(schema_path) {
                let nearby = |name: &str| req.nearby_value(name).map(str::to_owned);
                if let Some(v) = h.get(&req.instance_path(), &nearby) {
                    return Some(v);
                }
            }
        }
        self.linux.as_ref().and_then(|l| l.read(req))
    }

    fn apply(&mut self, changes: &[Change<'_>]) -> Result<ApplyStatus, BackendError> {
        // Groups by route, in the order of their first parameter.
        let mut groups: Vec<(usize, Vec<Change<'_>>)> = Vec::new();
        for c in changes {
            let Some(r) = self.route(c.schema_path) else {
                continue;
            };
            match groups.iter_mut().find(|(g, _)| *g == r) {
                Some((_, list)) => list.push(*c),
                None => groups.push((r, vec![*c])),
            }
        }
        let mut status = ApplyStatus::Applied;
        for (done, (route, group)) in groups.iter().enumerate() {
            let settings: Vec<Setting<'_>> = group.iter().map(|c| (c.path, c.value)).collect();
            let result = self.routes[*route].handler.set(&settings);
            match result {
                Ok(s) => status = status.max(s),
                Err(e) => {
                    let name = self.routes[*route].handler.name().to_owned();
                    tracing::warn!(handler = %name, "SetParameterValues not applied: {e}");
                    self.roll_back(*route, group);
                    for (r, g) in groups[..done].iter().rev() {
                        self.roll_back(*r, g);
                    }
                    return Err(BackendError::Parameters(failures(group, e)));
                }
            }
        }
        Ok(status)
    }

    fn object_added(&mut self, path: &str) -> Result<ApplyStatus, BackendError> {
        match self.route(&schema_of(path)) {
            Some(i) => self.routes[i]
                .handler
                .add(path)
                .map_err(|e| BackendError::Refused(e.to_string())),
            None => Ok(ApplyStatus::Applied),
        }
    }

    fn object_deleted(&mut self, path: &str) -> Result<ApplyStatus, BackendError> {
        match self.route(&schema_of(path)) {
            Some(i) => self.routes[i]
                .handler
                .delete(path)
                .map_err(|e| BackendError::Refused(e.to_string())),
            None => Ok(ApplyStatus::Applied),
        }
    }
}

/// The per-parameter faults of a failed group: the refused ones 9007, or all 9002.
fn failures(group: &[Change<'_>], e: HandlerError) -> Vec<ParameterFailure> {
    match e {
        HandlerError::Refused(list) => list
            .into_iter()
            .map(|(path, message)| ParameterFailure {
                path,
                invalid_value: true,
                message,
            })
            .collect(),
        HandlerError::Failed(why) => group
            .iter()
            .map(|c| ParameterFailure {
                path: c.path.to_owned(),
                invalid_value: false,
                message: why.clone(),
            })
            .collect(),
    }
}

/// Timeout given to handler programs when `[handlers] timeout` is not set, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u32 = 10;

#[cfg(test)]
mod tests;
