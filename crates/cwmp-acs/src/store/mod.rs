//! The device store: devices and their parameter trees, tags, tasks, faults, presets, file
//! metadata, session history, credentials and the per-device session lease.
//!
//! The session engine and the API hold an `Arc<dyn Store>`; [`SqliteStore`] is the embedded
//! implementation. All SQL is written in one dialect (`$n` placeholders,
//! `ON CONFLICT … DO UPDATE`, `RETURNING`, `LIMIT/OFFSET`, `BIGINT` Unix-millisecond
//! timestamps, JSON kept as `TEXT`) so that a PostgreSQL implementation can reuse it.

mod campaign;
mod codec;
mod credentials;
mod device;
mod device_id;
mod device_query;
mod error;
mod fault;
mod file;
pub mod fleet;
pub mod migrate;
mod object_id;
mod parameter;
pub mod postgres;
mod preset;
mod preset_object;
mod query_sql;
mod script;
mod session;
pub mod sqlite;
mod task;
mod timestamp;
mod user;

use std::time::Duration;

use async_trait::async_trait;

pub use campaign::{
    Campaign, CampaignCounts, CampaignState, CampaignTarget, MAX_CAMPAIGN_DEVICES, TargetState,
};
pub(crate) use codec::{json as json_from, json_text};
pub use credentials::DeviceCredentials;
pub use device::{
    ConnectionRequestResult, Device, DeviceIdentity, FirmwareOutcome, FirmwareStatus,
    InformOutcome, InformUpdate,
};
pub use device_id::DeviceId;
pub use device_query::{DeviceFilter, DeviceQuery};
pub use error::{StoreError, StoreResult};
pub use fault::{FaultInfo, FaultRecord, NewFault};
pub use file::FileMeta;
pub use fleet::{FleetSample, FleetSummary};
pub use object_id::new_object_id;
pub use parameter::{ParamBatch, ParamUpdate, ParamValue, Parameter};
pub use postgres::{Notice, PgConfig, PgStore, is_postgres_url};
pub use preset::{Preset, PresetState};
pub use preset_object::{InvalidObject, PresetObject};
pub use script::{ScriptKind, StoredScript};
pub use session::{SessionBegun, SessionRecord, SessionStart};
pub use sqlite::{SqliteConfig, SqliteStore};
pub use task::{
    NewTask, RetryPolicy, TASK_CHANNEL_PREFIX, Task, TaskFilter, TaskStatus, task_fault_channel,
};
pub use timestamp::Timestamp;
pub use user::{AUDIT_KEPT, AuditEntry, Role, User, UserToken};

/// Sessions kept in each device's history: the SQLite store's ring of slots (migration 7),
/// so a smaller value needs a migration dropping the slots beyond it.
pub const SESSIONS_KEPT: u32 = 32;

/// Storage used by the session engine and the API. Every write is atomic on its own;
/// writes are durable when the returned future resolves.
#[async_trait]
pub trait Store: Send + Sync {
    // ---- devices ----

    /// Creates or updates the device from an Inform in one transaction: identity, last
    /// Inform time and events, IP, connection request addresses and the parameters carried.
    async fn upsert_inform(&self, inform: InformUpdate) -> StoreResult<InformOutcome>;
    /// The device record with its tags.
    async fn get_device(&self, id: &DeviceId) -> StoreResult<Option<Device>>;
    /// Parameters whose path starts with `prefix` (all with `""`), ordered by path.
    async fn get_parameters(&self, id: &DeviceId, prefix: &str) -> StoreResult<Vec<Parameter>>;
    /// Applies RPC results (deletions, then updates) in one transaction.
    /// [`StoreError::NotFound`] when the device does not exist.
    async fn write_parameters(&self, id: &DeviceId, batch: ParamBatch) -> StoreResult<()>;
    /// Deletes the device and everything attached to it. `false` when it did not exist.
    async fn delete_device(&self, id: &DeviceId) -> StoreResult<bool>;
    /// Devices matching all filters, ordered by id.
    async fn find_devices(&self, query: &DeviceQuery) -> StoreResult<Vec<Device>>;
    /// Number of devices matching the filters (skip/limit ignored).
    async fn count_devices(&self, query: &DeviceQuery) -> StoreResult<u64>;
    /// Records the outcome of the last Connection Request on the device; `false` when the
    /// device does not exist.
    async fn record_connection_request(
        &self,
        id: &DeviceId,
        result: ConnectionRequestResult,
    ) -> StoreResult<bool>;
    /// Records where the device stands with the firmware a preset targets; `false` when the
    /// device does not exist.
    async fn record_firmware(&self, id: &DeviceId, outcome: FirmwareOutcome) -> StoreResult<bool>;

    // ---- tags ----

    /// Adds a tag; `false` when it was already there. [`StoreError::NotFound`] for an
    /// unknown device.
    async fn add_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool>;
    /// Removes a tag; `false` when it was not there.
    async fn remove_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool>;

    // ---- tasks ----

    /// Queues a task. [`StoreError::NotFound`] for an unknown device.
    async fn create_task(&self, task: NewTask) -> StoreResult<Task>;
    /// One task.
    async fn get_task(&self, id: &str) -> StoreResult<Option<Task>>;
    /// Tasks by device/status, ordered by creation.
    async fn list_tasks(&self, filter: &TaskFilter) -> StoreResult<Vec<Task>>;
    /// Tasks a session with this device should run now, in creation order: pending ones
    /// and faulted ones whose back-off has passed, not expired.
    async fn due_tasks(&self, device: &DeviceId, now: Timestamp) -> StoreResult<Vec<Task>>;
    /// Marks a due task running; `false` if it is no longer pending/faulted.
    async fn claim_task(&self, id: &str) -> StoreResult<bool>;
    /// A task completed: deletes it and its open fault, as GenieACS does (its answer goes
    /// out on the event stream); `false` if unknown.
    async fn complete_task(&self, id: &str) -> StoreResult<bool>;
    /// Marks a running task as waiting for its TransferComplete, with the result so far;
    /// `false` if unknown.
    async fn mark_task_transferring(
        &self,
        id: &str,
        result: serde_json::Value,
    ) -> StoreResult<bool>;
    /// Records a fault on a task, counts the attempt and schedules the next one with
    /// `policy`; the same fault is recorded on the device's channel `task_<id>`. Returns the
    /// next attempt time (`None`: no automatic retry left). [`StoreError::NotFound`] if
    /// unknown.
    async fn fault_task(
        &self,
        id: &str,
        fault: FaultInfo,
        policy: RetryPolicy,
    ) -> StoreResult<Option<Timestamp>>;
    /// Makes a faulted task pending again at once and closes its fault (API retry);
    /// `false` if unknown or not faulted.
    async fn retry_task(&self, id: &str) -> StoreResult<bool>;
    /// Puts the device's running tasks back to pending (after a crash or a lost session),
    /// counting the interruption on each ([`Task::interrupted`]). Returns how many.
    async fn requeue_running_tasks(&self, device: &DeviceId) -> StoreResult<u64>;
    /// Deletes a task and its open fault; `false` if unknown.
    async fn delete_task(&self, id: &str) -> StoreResult<bool>;

    // ---- faults ----

    /// Records a fault on a channel; a fault already open on the channel has its
    /// `retries` incremented and is replaced.
    async fn record_fault(&self, fault: NewFault) -> StoreResult<FaultRecord>;
    /// Faults, all or of one device, ordered by device and channel.
    async fn list_faults(&self, device: Option<&DeviceId>) -> StoreResult<Vec<FaultRecord>>;
    /// Deletes a fault; `false` if unknown. Deleting a task's fault (`task_<id>`) deletes
    /// the task too, as GenieACS does (retrying it is [`Store::retry_task`]).
    async fn delete_fault(&self, device: &DeviceId, channel: &str) -> StoreResult<bool>;

    // ---- presets ----

    /// Creates or replaces a preset.
    async fn put_preset(&self, preset: Preset) -> StoreResult<()>;
    /// One preset.
    async fn get_preset(&self, name: &str) -> StoreResult<Option<Preset>>;
    /// All presets, by weight then name.
    async fn list_presets(&self) -> StoreResult<Vec<Preset>>;
    /// Deletes a preset; `false` if unknown.
    async fn delete_preset(&self, name: &str) -> StoreResult<bool>;
    /// A number that changes whenever presets or preset objects are put or deleted through
    /// this store object, so that a cache of them knows when to reload.
    fn presets_generation(&self) -> u64;
    /// Creates or replaces an entry of GenieACS's objects collection.
    async fn put_preset_object(&self, object: PresetObject) -> StoreResult<()>;
    /// The objects collection, by name.
    async fn list_preset_objects(&self) -> StoreResult<Vec<PresetObject>>;
    /// Deletes an entry of the objects collection; `false` if unknown.
    async fn delete_preset_object(&self, name: &str) -> StoreResult<bool>;

    /// The preset engine's bookkeeping of a device, by preset name.
    async fn preset_states(&self, device: &DeviceId) -> StoreResult<Vec<PresetState>>;
    /// Replaces the device's preset bookkeeping with `states` in one transaction.
    /// [`StoreError::NotFound`] for an unknown device.
    async fn put_preset_states(
        &self,
        device: &DeviceId,
        states: Vec<PresetState>,
    ) -> StoreResult<()>;

    // ---- files ----

    /// Creates or replaces file metadata.
    async fn put_file(&self, file: FileMeta) -> StoreResult<()>;
    /// One file's metadata.
    async fn get_file(&self, name: &str) -> StoreResult<Option<FileMeta>>;
    /// All files, by name.
    async fn list_files(&self) -> StoreResult<Vec<FileMeta>>;
    /// Deletes file metadata; `false` if unknown.
    async fn delete_file(&self, name: &str) -> StoreResult<bool>;

    // ---- session history ----

    /// Appends a finished session; the device keeps its last [`SESSIONS_KEPT`] (a fleet
    /// informing every few minutes would otherwise grow the history without end).
    /// [`StoreError::NotFound`] for an unknown device.
    async fn record_session(&self, session: SessionRecord) -> StoreResult<()>;
    /// The device's last `limit` sessions, newest first.
    async fn list_sessions(&self, device: &DeviceId, limit: u64)
    -> StoreResult<Vec<SessionRecord>>;

    // ---- credentials ----

    /// Creates or replaces the device's credentials. [`StoreError::NotFound`] for an
    /// unknown device.
    async fn put_credentials(&self, creds: DeviceCredentials) -> StoreResult<()>;
    /// The device's credentials.
    async fn get_credentials(&self, device: &DeviceId) -> StoreResult<Option<DeviceCredentials>>;
    /// Credentials by the username a CPE presents in its Digest response.
    async fn credentials_by_cpe_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<DeviceCredentials>>;
    /// Deletes the device's credentials; `false` when it had none.
    async fn delete_credentials(&self, device: &DeviceId) -> StoreResult<bool>;

    // ---- sessions ----

    /// Starts a session in one transaction: takes the device's lease (as
    /// [`Store::try_acquire_lease`]), puts tasks left running back to pending (counting the
    /// interruption, as [`Store::requeue_running_tasks`]), applies the
    /// Inform, and reads the due tasks, preset states and faults the session starts from.
    /// `None` when another session holds the lease (nothing is written then).
    async fn begin_session(&self, start: SessionStart) -> StoreResult<Option<SessionBegun>>;
    /// Ends a session in one transaction: records it and releases `holder`'s lease.
    /// [`StoreError::NotFound`] for an unknown device.
    async fn end_session(&self, holder: &str, record: SessionRecord) -> StoreResult<()>;

    // ---- session lease ----

    /// Takes the device's session lease for `holder` (unique per session, e.g.
    /// `"<node>/<session>"`) for `ttl`. `true` when taken: there was no lease, or it had
    /// expired. A live lease of anyone — even the same holder — refuses.
    async fn try_acquire_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Extends the lease if `holder` still has it (even expired, as long as nobody took
    /// it over). `false` when lost.
    async fn renew_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool>;
    /// Gives the lease up; `false` if `holder` did not have it.
    async fn release_lease(&self, device: &DeviceId, holder: &str) -> StoreResult<bool>;
    /// Drops every lease held by `node` (holders `"<node>/…"`), live or expired: a restarted
    /// node calls it before serving, since none of its previous sessions survived, so that
    /// their devices get in at once instead of after the lease TTL. Returns how many went.
    async fn release_node_leases(&self, node: &str) -> StoreResult<u64>;

    // --- Scripts: GenieACS provisions and virtual parameters ---

    /// Creates or replaces a script.
    async fn put_script(&self, script: StoredScript) -> StoreResult<()>;
    /// One script.
    async fn get_script(&self, kind: ScriptKind, name: &str) -> StoreResult<Option<StoredScript>>;
    /// All scripts of a kind, by name.
    async fn list_scripts(&self, kind: ScriptKind) -> StoreResult<Vec<StoredScript>>;
    /// Deletes a script; false when there was none.
    async fn delete_script(&self, kind: ScriptKind, name: &str) -> StoreResult<bool>;

    // ---- console users, their API tokens, the audit log ----

    /// Creates or replaces a user (by name).
    async fn put_user(&self, user: User) -> StoreResult<()>;
    /// One user.
    async fn get_user(&self, name: &str) -> StoreResult<Option<User>>;
    /// Every user, by name.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Deletes a user and its tokens; `false` if unknown.
    async fn delete_user(&self, name: &str) -> StoreResult<bool>;
    /// Stores a new token of an existing user ([`StoreError::NotFound`] otherwise).
    async fn put_user_token(&self, token: UserToken) -> StoreResult<()>;
    /// The token with this digest (lower-case hex SHA-256).
    async fn user_token_by_digest(&self, digest: &str) -> StoreResult<Option<UserToken>>;
    /// The tokens of `user`, oldest first.
    async fn list_user_tokens(&self, user: &str) -> StoreResult<Vec<UserToken>>;
    /// Revokes `user`'s token `id`; `false` if it has no such token.
    async fn delete_user_token(&self, user: &str, id: &str) -> StoreResult<bool>;
    /// Appends an audit entry (its `seq` is assigned), dropping entries beyond
    /// [`AUDIT_KEPT`].
    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()>;
    /// Audit entries with `seq` below `before` (all when `None`), newest first, at most
    /// `limit`.
    async fn list_audit(&self, before: Option<i64>, limit: u64) -> StoreResult<Vec<AuditEntry>>;

    // ---- campaigns ----

    /// Creates or replaces a campaign (by id).
    async fn put_campaign(&self, campaign: Campaign) -> StoreResult<()>;
    /// One campaign.
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>>;
    /// Every campaign, newest first.
    async fn list_campaigns(&self) -> StoreResult<Vec<Campaign>>;
    /// Adds devices to a campaign (pending; one already there is left as it is).
    async fn add_campaign_targets(&self, targets: Vec<CampaignTarget>) -> StoreResult<()>;
    /// Devices of a campaign in `state`, canaries first, at most `limit`.
    async fn campaign_targets(
        &self,
        campaign: &str,
        state: TargetState,
        limit: u64,
    ) -> StoreResult<Vec<CampaignTarget>>;
    /// Records where one device of a campaign stands.
    async fn update_campaign_target(&self, target: CampaignTarget) -> StoreResult<()>;
    /// How many devices of a campaign stand where.
    async fn campaign_counts(&self, campaign: &str) -> StoreResult<CampaignCounts>;

    // ---- fleet figures (the console's overview) ----

    /// Devices, those online at `now`, and the firmware versions.
    async fn fleet_summary(&self, now: Timestamp) -> StoreResult<FleetSummary>;
    /// Records a sample (dropping those older than [`fleet::SAMPLES_KEPT`]).
    async fn put_fleet_sample(&self, sample: FleetSample) -> StoreResult<()>;
    /// Samples since `since`, oldest first.
    async fn fleet_samples(&self, since: Timestamp) -> StoreResult<Vec<FleetSample>>;

    // ---- lifecycle ----

    /// Flushes pending writes and closes the store; later calls fail with
    /// [`StoreError::Closed`].
    async fn close(&self);
}
