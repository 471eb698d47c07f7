//! The handler contract: what a subtree's handler does for get, set, add and delete.

use cwmp_datamodel::ApplyStatus;

/// Why a handler did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// The system refused these values (instance paths, with the reason): fault 9007.
    #[error("values refused: {}", .0.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", "))]
    Refused(Vec<(String, String)>),
    /// The handler failed (exit status, signal, timeout, unreadable output): fault 9002.
    #[error("{0}")]
    Failed(String),
}

/// One parameter to set: instance path and canonical value.
pub type Setting<'a> = (&'a str, &'a str);

/// A handler owns a subtree of the data model (`Device.WiFi.`, `Device.IP.Interface.{i}.IPv4Address.`):
/// it reads live values and applies changes. Built in (the Linux handlers) or an external
/// program ([`super::program::ProgramHandler`]).
pub trait Handler: Send {
    /// Name used in logs.
    fn name(&self) -> &str;

    /// True if `schema_path` is read from the system on every get.
    fn is_live(&self, schema_path: &str) -> bool;

    /// The live value of an instance path; `None` falls back to the stored value.
    fn get(&self, path: &str, nearby: &dyn Fn(&str) -> Option<String>) -> Option<String>;

    /// Applies settings, all or none as far as the handler can; the caller rolls back other
    /// handlers' settings when this fails.
    fn set(&mut self, settings: &[Setting<'_>]) -> Result<ApplyStatus, HandlerError>;

    /// A row was created (instance path with its number and a trailing dot).
    fn add(&mut self, path: &str) -> Result<ApplyStatus, HandlerError>;

    /// A row is about to be deleted.
    fn delete(&mut self, path: &str) -> Result<ApplyStatus, HandlerError>;
}
