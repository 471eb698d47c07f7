//! A device's parameter tree as stored, and changes to it.

use cwmp::Value;
use serde::Serialize;

use super::Timestamp;

/// A parameter value carried by an Inform or a `GetParameterValuesResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValue {
    /// Full path, e.g. `Device.ManagementServer.PeriodicInformInterval`.
    pub path: String,
    /// The typed value.
    pub value: Value,
}

/// One stored node of a device's parameter tree. Objects have paths ending in `.` and no value.
/// `None` means "not known yet" (e.g. attributes never read).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    /// Full path.
    pub path: String,
    /// Last known value.
    pub value: Option<Value>,
    /// Writable flag from `GetParameterNames`.
    pub writable: Option<bool>,
    /// Notification attribute (0 off, 1 passive, 2 active, …).
    pub notification: Option<u8>,
    /// AccessList attribute.
    pub access_list: Option<Vec<String>>,
    /// When anything in this row last changed, or an Inform last reported the value again.
    pub updated: Timestamp,
}

/// A change to one parameter row; `None` fields keep what is stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamUpdate {
    /// Full path (objects end in `.`).
    pub path: String,
    /// New value.
    pub value: Option<Value>,
    /// New writable flag.
    pub writable: Option<bool>,
    /// New notification attribute.
    pub notification: Option<u8>,
    /// New access list.
    pub access_list: Option<Vec<String>>,
}

/// A batch of parameter results from one RPC answer, applied in one transaction:
/// first the deletions (subtrees that no longer exist), then the updates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamBatch {
    /// Time the values were read.
    pub time: Timestamp,
    /// Prefixes whose rows are removed (e.g. `Device.Hosts.Host.3.`).
    pub delete_prefixes: Vec<String>,
    /// Single rows removed (parameters a full listing no longer shows).
    pub delete_paths: Vec<String>,
    /// Rows to insert or update.
    pub updates: Vec<ParamUpdate>,
}
