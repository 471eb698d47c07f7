//! Records kept by the device store.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cwmp::{EventCode, Value};
use serde::{Deserialize, Serialize};

use super::DeviceId;

/// A point in time as integer Unix milliseconds, the representation used in every table
/// (`BIGINT` on both SQLite and PostgreSQL, compared and sorted as numbers).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }

    /// Unix milliseconds.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// `self + d`, saturating.
    pub fn plus(self, d: Duration) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

/// The `DeviceIdStruct` of an Inform.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// `Manufacturer`.
    pub manufacturer: String,
    /// `OUI`.
    pub oui: String,
    /// `ProductClass` (may be empty).
    pub product_class: String,
    /// `SerialNumber`.
    pub serial_number: String,
}

impl DeviceIdentity {
    /// The GenieACS-compatible id of this device.
    pub fn device_id(&self) -> DeviceId {
        DeviceId::from_identity(&self.oui, &self.product_class, &self.serial_number)
    }
}

/// A device record (without its parameter tree).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    /// Escaped id.
    pub id: DeviceId,
    /// Identity from the last Inform.
    pub identity: DeviceIdentity,
    /// When the device was first seen.
    pub created: Timestamp,
    /// Time of the last Inform.
    pub last_inform: Option<Timestamp>,
    /// Events of the last Inform.
    pub last_events: Vec<EventCode>,
    /// Source address of the last session.
    pub ip: Option<String>,
    /// `ManagementServer.ConnectionRequestURL` as last reported.
    pub connection_request_url: Option<String>,
    /// `ManagementServer.UDPConnectionRequestAddress` as last reported (TR-111).
    pub udp_connection_request_address: Option<String>,
    /// Outcome of the last Connection Request sent (`None`: never sent).
    pub last_connection_request: Option<ConnectionRequestResult>,
    /// Outcome of the firmware a preset targets (`None`: none known yet).
    pub firmware: Option<FirmwareOutcome>,
    /// Tags, sorted.
    pub tags: Vec<String>,
}

/// Where a device stands with the firmware a preset targets (`_firmware` in the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareOutcome {
    /// The version the preset targets.
    pub target: String,
    /// Whether the device runs it.
    pub status: FirmwareStatus,
    /// When the ACS learnt it.
    pub time: Timestamp,
}

/// Upgraded or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FirmwareStatus {
    /// An Inform showed the target SoftwareVersion.
    Upgraded,
    /// The download of the target was reported with a fault (TransferComplete).
    Failed,
}

impl FirmwareStatus {
    /// Its stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            FirmwareStatus::Upgraded => "upgraded",
            FirmwareStatus::Failed => "failed",
        }
    }

    /// The status named `s`, if any.
    pub fn parse(s: &str) -> Option<FirmwareStatus> {
        match s {
            "upgraded" => Some(FirmwareStatus::Upgraded),
            "failed" => Some(FirmwareStatus::Failed),
            _ => None,
        }
    }
}

/// When a Connection Request was sent and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRequestResult {
    /// When it was sent.
    pub time: Timestamp,
    /// Why it failed (`None`: the device answered 2xx).
    pub error: Option<String>,
}

/// A parameter value carried by an Inform or a `GetParameterValuesResponse`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValue {
    /// Full path, e.g. `Device.ManagementServer.PeriodicInformInterval`.
    pub path: String,
    /// The typed value.
    pub value: Value,
}

/// Everything one Inform tells about a device, applied in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct InformUpdate {
    /// Identity (the id is derived from it).
    pub identity: DeviceIdentity,
    /// Time of the Inform.
    pub time: Timestamp,
    /// Its events.
    pub events: Vec<EventCode>,
    /// Source address.
    pub ip: Option<String>,
    /// ConnectionRequestURL, when the Inform carried it.
    pub connection_request_url: Option<String>,
    /// UDPConnectionRequestAddress, when the Inform carried it.
    pub udp_connection_request_address: Option<String>,
    /// The `ParameterList`.
    pub parameters: Vec<ParamValue>,
}

/// What an Inform upsert found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InformOutcome {
    /// The device was not in the store before.
    pub created: bool,
}

/// What a session needs stored at its Inform, applied in one transaction by
/// [`Store::begin_session`](super::Store::begin_session).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionStart {
    /// The session's lease holder (`"<node>/<session>"`).
    pub holder: String,
    /// How long the lease lasts unless renewed.
    pub lease_ttl: std::time::Duration,
    /// The Inform.
    pub inform: InformUpdate,
}

/// What [`Store::begin_session`](super::Store::begin_session) found: the Inform's outcome
/// and the device's state the session starts from, read in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBegun {
    /// What the Inform upsert found.
    pub inform: InformOutcome,
    /// Tasks left `running` by a dead session, now pending again.
    pub requeued: u64,
    /// Tasks due at the Inform's time, as [`Store::due_tasks`](super::Store::due_tasks).
    pub due: Vec<Task>,
    /// The preset engine's bookkeeping of the device.
    pub preset_states: Vec<PresetState>,
    /// The device's open faults.
    pub faults: Vec<FaultRecord>,
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

/// Lifecycle of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    /// Waiting for the device's next session.
    Pending,
    /// Claimed by a session in progress.
    Running,
    /// The CPE accepted a transfer (Download, Upload, ScheduleDownload) and the task waits
    /// for its TransferComplete, in a later session (TR-069 §A.3.3.2).
    Transferring,
    /// Failed; `fault` says why, `next_attempt` when it is retried (if ever). The fault is
    /// also open on the device's channel `task_<id>`. (A task that completes is deleted.)
    Fault,
}

impl TaskStatus {
    /// The text stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Transferring => "transferring",
            TaskStatus::Fault => "fault",
        }
    }

    /// Inverse of [`TaskStatus::as_str`].
    pub fn parse(s: &str) -> Option<TaskStatus> {
        Some(match s {
            "pending" => TaskStatus::Pending,
            "running" => TaskStatus::Running,
            "transferring" => TaskStatus::Transferring,
            "fault" => TaskStatus::Fault,
            _ => return None,
        })
    }
}

/// A task to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Target device (must exist).
    pub device: DeviceId,
    /// What to do; stored in its canonical JSON form.
    pub spec: crate::task::TaskSpec,
    /// After this time the task is no longer run.
    pub expiry: Option<Timestamp>,
}

/// A fault as kept with a task or a fault record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultInfo {
    /// Code, e.g. `cwmp.9005`, `session_terminated`, `preset_loop`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Structured detail (e.g. the CWMP fault struct).
    pub detail: Option<serde_json::Value>,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    /// Id: 24 hex digits, ObjectId-like (time-ordered), as GenieACS.
    pub id: String,
    /// Target device.
    pub device: DeviceId,
    /// Kind.
    pub name: String,
    /// The task as JSON.
    pub payload: serde_json::Value,
    /// Status.
    pub status: TaskStatus,
    /// What is known of the answer while it waits for its TransferComplete.
    pub result: Option<serde_json::Value>,
    /// Last fault.
    pub fault: Option<FaultInfo>,
    /// How many times it faulted since created or last retried.
    pub attempts: u32,
    /// Not run before this time (back-off after a fault).
    pub next_attempt: Option<Timestamp>,
    /// Not run after this time.
    pub expiry: Option<Timestamp>,
    /// Creation time.
    pub created: Timestamp,
    /// Sessions that ended while it was running, its request sent and its outcome unknown
    /// (reset by an operator's retry).
    pub interrupted: u32,
}

impl Task {
    /// The task as typed; an old stored shape that no longer parses is an invalid task.
    pub fn spec(&self) -> Result<crate::task::TaskSpec, crate::task::InvalidTask> {
        crate::task::TaskSpec::from_stored(&self.payload)
    }

    /// The channel of its fault (`task_<id>`, as GenieACS).
    pub fn fault_channel(&self) -> String {
        task_fault_channel(&self.id)
    }
}

/// The fault channel of task `id`: `task_<id>`, so its fault is `<device>:task_<id>`.
pub fn task_fault_channel(id: &str) -> String {
    format!("{TASK_CHANNEL_PREFIX}{id}")
}

/// Prefix of the fault channels of tasks.
pub const TASK_CHANNEL_PREFIX: &str = "task_";

/// Exponential back-off for faulted tasks: attempt *n* (1-based) waits
/// `min(base * 2^(n-1), max_delay)`; after `max_attempts` faults the task stays faulted until
/// retried through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// First delay.
    pub base: Duration,
    /// Cap on the delay.
    pub max_delay: Duration,
    /// Automatic retries stop after this many faults.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(60),
            max_delay: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// Delay before the retry that follows fault number `attempts` (1-based), or `None` when
    /// automatic retries are exhausted.
    pub fn delay(&self, attempts: u32) -> Option<Duration> {
        if attempts == 0 || attempts > self.max_attempts {
            return None;
        }
        let factor = 1u32.checked_shl(attempts - 1).unwrap_or(u32::MAX);
        Some(self.base.saturating_mul(factor).min(self.max_delay))
    }
}

/// Which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskFilter {
    /// Only this device's.
    pub device: Option<DeviceId>,
    /// Only with this status.
    pub status: Option<TaskStatus>,
    /// Skip this many (ordered by creation).
    pub skip: u64,
    /// At most this many.
    pub limit: Option<u64>,
}

/// A fault to record on a channel (`task_<id>`, a preset channel, …).
#[derive(Debug, Clone, PartialEq)]
pub struct NewFault {
    /// Device.
    pub device: DeviceId,
    /// Channel; one open fault per device and channel.
    pub channel: String,
    /// The fault.
    pub fault: FaultInfo,
}

/// A stored fault; its API id is `<device>:<channel>` as in GenieACS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRecord {
    /// Device.
    pub device: DeviceId,
    /// Channel.
    pub channel: String,
    /// The fault.
    pub fault: FaultInfo,
    /// How many times it recurred after the first (0 on first record).
    pub retries: u32,
    /// Time of the last occurrence.
    pub timestamp: Timestamp,
}

impl FaultRecord {
    /// GenieACS fault id `<device>:<channel>`.
    pub fn id(&self) -> String {
        format!("{}:{}", self.device, self.channel)
    }
}

/// A preset: desired state for matching devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preset {
    /// Unique name.
    pub name: String,
    /// Order of application (higher wins on conflicts).
    pub weight: i32,
    /// GenieACS's channel (`default` unless given).
    pub channel: String,
    /// Precondition as given: a JSON query (object), or its JSON text, as GenieACS stores it.
    pub precondition: serde_json::Value,
    /// Inform events, GenieACS's way: `true` must occur, `false` must not (empty: every
    /// session).
    pub events: std::collections::BTreeMap<String, bool>,
    /// GenieACS's schedule, `"<seconds> <cron>"`: the preset applies within that many
    /// seconds after each time the cron expression names (UTC).
    pub schedule: Option<String>,
    /// What the device should look like (JSON).
    pub configuration: serde_json::Value,
}

/// The preset engine's bookkeeping for one device and preset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresetState {
    /// Preset name.
    pub preset: String,
    /// Consecutive sessions in which the preset made changes (loop detection).
    pub streak: u32,
    /// After a fault: not tried again before this time.
    pub next_attempt: Option<Timestamp>,
    /// Command key of the firmware download it started and waits for.
    pub download: Option<String>,
}

/// Metadata of a file served to CPEs (the bytes live elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Unique name.
    pub name: String,
    /// TR-069 file type, e.g. `1 Firmware Upgrade Image`.
    pub file_type: String,
    /// Target OUI (empty: any).
    pub oui: String,
    /// Target product class (empty: any).
    pub product_class: String,
    /// Version.
    pub version: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Upload time.
    pub uploaded: Timestamp,
}

/// One finished CWMP session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRecord {
    /// Device.
    pub device: DeviceId,
    /// Start (the Inform).
    pub started: Timestamp,
    /// End.
    pub ended: Timestamp,
    /// Inform events.
    pub events: Vec<EventCode>,
    /// RPCs exchanged (both directions).
    pub rpc_count: u32,
    /// `ok`, `timeout`, `fault`, `error: …`.
    pub outcome: String,
}

/// Per-device credentials. The Connection Request password is kept as given because the
/// ACS itself must answer the CPE's Digest challenge with it; the CPE's own password is only
/// kept as Digest HA1 values (`H(username:realm:password)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceCredentials {
    /// Device.
    pub device: DeviceId,
    /// Connection Request username.
    pub cr_username: Option<String>,
    /// Connection Request password.
    pub cr_password: Option<String>,
    /// Username the CPE uses towards the ACS.
    pub cpe_username: Option<String>,
    /// Digest realm the HA1 values were computed for.
    pub cpe_realm: Option<String>,
    /// HA1 for `algorithm=MD5`, lower-case hex.
    pub cpe_ha1_md5: Option<String>,
    /// HA1 for `algorithm=SHA-256`, lower-case hex.
    pub cpe_ha1_sha256: Option<String>,
}

/// One condition of a device query; a query is their conjunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceFilter {
    /// `_id` equals.
    Id(DeviceId),
    /// Has this tag.
    Tag(String),
    /// Does not have this tag.
    NotTag(String),
    /// Parameter at `path` has exactly this value text.
    ParamEquals {
        /// Full path.
        path: String,
        /// Value as text.
        value: String,
    },
    /// Matches a parsed query (see [`crate::query`]).
    Matches(crate::query::Query),
}

/// A device query with paging; results are ordered by `sort`, then by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceQuery {
    /// Conditions, all of which must hold.
    pub filters: Vec<DeviceFilter>,
    /// Sort keys before the id.
    pub sort: Vec<crate::query::SortKey>,
    /// Skip this many.
    pub skip: u64,
    /// At most this many.
    pub limit: Option<u64>,
}
