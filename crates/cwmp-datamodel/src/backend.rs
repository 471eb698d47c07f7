//! Live values and side effects: a [`Backend`] reads parameters whose value
//! comes from the system and applies settings (now, or after a reboot).

pub mod linux;
mod memory;

pub use linux::LinuxBackend;
pub use memory::MemoryBackend;

use crate::model::Model;
use crate::tree::State;

/// Outcome of a set, add or delete: the `Status` of the RPC response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ApplyStatus {
    /// 0: applied (and committed) now.
    #[default]
    Applied,
    /// 1: committed, applied later (e.g. after a reboot).
    Pending,
}

impl ApplyStatus {
    /// The wire value (0 or 1).
    pub fn code(self) -> u8 {
        match self {
            Self::Applied => 0,
            Self::Pending => 1,
        }
    }

    /// `Pending` if either is.
    pub fn max(self, other: Self) -> Self {
        if self == Self::Pending || other == Self::Pending {
            Self::Pending
        } else {
            Self::Applied
        }
    }
}

/// The wire `Status` of a change.
impl From<ApplyStatus> for cwmp::rpc::Status {
    fn from(s: ApplyStatus) -> Self {
        match s {
            ApplyStatus::Applied => cwmp::rpc::Status::Applied,
            ApplyStatus::Pending => cwmp::rpc::Status::Pending,
        }
    }
}

/// A wire `Status` as a change outcome; fails with the number for a value outside 0 and 1.
impl TryFrom<cwmp::rpc::Status> for ApplyStatus {
    type Error = u32;

    fn try_from(s: cwmp::rpc::Status) -> Result<Self, u32> {
        match s {
            cwmp::rpc::Status::Applied => Ok(ApplyStatus::Applied),
            cwmp::rpc::Status::Pending => Ok(ApplyStatus::Pending),
            cwmp::rpc::Status::Other(n) => Err(n),
        }
    }
}

/// A backend could not read or apply something.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// An I/O error from the system.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The system refused the change.
    #[error("{0}")]
    Refused(String),
    /// Some parameters of a change could not be applied (what was applied is rolled back);
    /// SetParameterValues answers 9003 listing each with 9007 or 9002 (TR-069 A.3.2.1).
    #[error("{} parameter(s) not applied", .0.len())]
    Parameters(Vec<ParameterFailure>),
}

/// One parameter a backend could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterFailure {
    /// Instance path.
    pub path: String,
    /// True when the system refused the value itself (fault 9007), false when applying
    /// failed for another reason (fault 9002: a handler that failed or timed out).
    pub invalid_value: bool,
    /// Why.
    pub message: String,
}

/// One parameter change handed to [`Backend::apply`].
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Instance path, e.g. `Device.WiFi.SSID.1.SSID`.
    pub path: &'a str,
    /// Schema path, e.g. `Device.WiFi.SSID.{i}.SSID`.
    pub schema_path: &'a str,
    /// New value (canonical text).
    pub value: &'a str,
    /// The value it replaces (what a roll-back restores).
    pub previous: &'a str,
}

/// A live read request: the parameter and access to stored values around it.
pub struct LiveRead<'a> {
    pub(crate) model: &'a Model,
    pub(crate) st: &'a State,
    pub(crate) obj: u32,
    pub(crate) nums: &'a [u32],
    pub(crate) schema_path: &'a str,
}

impl<'a> LiveRead<'a> {
    /// Schema path of the parameter, e.g. `Device.Ethernet.Interface.{i}.Stats.BytesSent`.
    pub fn schema_path(&self) -> &'a str {
        self.schema_path
    }

    /// Instance path of the parameter, e.g. `Device.Ethernet.Interface.2.Stats.BytesSent`.
    pub fn instance_path(&self) -> String {
        let mut nums = self.nums.iter();
        let mut out = String::with_capacity(self.schema_path.len());
        let mut rest = self.schema_path;
        while let Some(i) = rest.find("{i}") {
            out.push_str(&rest[..i]);
            match nums.next() {
                Some(n) => out.push_str(&n.to_string()),
                None => out.push_str("{i}"),
            }
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
        out
    }

    /// Instance numbers of the parameter's object.
    pub fn instance_numbers(&self) -> &'a [u32] {
        self.nums
    }

    /// Stored value of parameter `name` in this object or the nearest ancestor
    /// that has one (e.g. `Name` of the interface owning a `Stats.` object).
    pub fn nearby_value(&self, name: &str) -> Option<&'a str> {
        let mut obj = Some(self.obj);
        while let Some(o) = obj {
            let depth = self.model.obj(o).depth;
            let nums = self.nums.get(..depth)?;
            if let Some(p) = self.model.param_by_name(o, name) {
                let inst = self.st.get(o, nums)?;
                return Some(inst.value(self.model, p));
            }
            obj = self.model.obj(o).parent;
        }
        None
    }
}

/// The system behind a device's tree.
pub trait Backend {
    /// True if the parameter (schema path) is read from the system on every get.
    fn is_live(&self, _schema_path: &str) -> bool {
        false
    }

    /// Reads a live value (canonical text); `None` falls back to the stored value.
    fn read(&self, _req: &LiveRead<'_>) -> Option<String> {
        None
    }

    /// Applies validated changes (all or none); the tree commits them only on `Ok`.
    fn apply(&mut self, _changes: &[Change<'_>]) -> Result<ApplyStatus, BackendError> {
        Ok(ApplyStatus::Applied)
    }

    /// An instance was created by AddObject (instance path, trailing dot).
    fn object_added(&mut self, _path: &str) -> Result<ApplyStatus, BackendError> {
        Ok(ApplyStatus::Applied)
    }

    /// An instance is about to be deleted by DeleteObject.
    fn object_deleted(&mut self, _path: &str) -> Result<ApplyStatus, BackendError> {
        Ok(ApplyStatus::Applied)
    }
}

/// A backend that does nothing: every value is stored, every change applied now.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBackend;

impl Backend for NoBackend {}
