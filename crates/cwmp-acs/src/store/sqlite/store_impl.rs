//! [`Store`] for [`SqliteStore`]: writes go to the group-commit writer, reads to the read
//! threads; each call is one closure run there.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::ToSql;
use rusqlite::types::Value;

use super::conn::{execute, query};
use super::{
    SqliteStore, campaigns, fleet, inform, preset_state, reads, rows, scripts, sessions, users,
    writes,
};
use crate::store::{
    AuditEntry, Campaign, CampaignCounts, CampaignTarget, FleetSample, FleetSummary, TargetState,
    User, UserToken,
};
use crate::store::{
    ConnectionRequestResult, Device, DeviceCredentials, DeviceId, DeviceQuery, FaultInfo,
    FaultRecord, FileMeta, FirmwareOutcome, InformOutcome, InformUpdate, NewFault, NewTask,
    ParamBatch, Parameter, Preset, PresetObject, PresetState, RetryPolicy, ScriptKind,
    SessionBegun, SessionRecord, SessionStart, Store, StoreResult, StoredScript, Task, TaskFilter,
    Timestamp,
};

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

impl SqliteStore {
    /// Runs one fixed statement through the writer; `true` if a row changed.
    async fn changed(&self, sql: &'static str, args: Vec<Value>) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                let refs: Vec<&dyn ToSql> = args.iter().map(|a| a as &dyn ToSql).collect();
                Ok(execute(c, sql, &refs)? > 0)
            })
            .await
    }

    /// Reads the rows of one fixed query.
    async fn rows<T: Send + 'static>(
        &self,
        sql: &'static str,
        args: Vec<Value>,
        decode: fn(&rusqlite::Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.readers
            .read(move |c| {
                let refs: Vec<&dyn ToSql> = args.iter().map(|a| a as &dyn ToSql).collect();
                query(c, sql, &refs, decode)
            })
            .await
    }

    /// Reads the row of one fixed query by key (the first, if several).
    async fn row<T: Send + 'static>(
        &self,
        sql: &'static str,
        args: Vec<Value>,
        decode: fn(&rusqlite::Row<'_>) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        Ok(self.rows(sql, args, decode).await?.into_iter().next())
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_inform(&self, inform: InformUpdate) -> StoreResult<InformOutcome> {
        self.writer
            .write(move |c| inform::upsert_inform(c, inform, inform::Counted::No))
            .await
    }

    async fn get_device(&self, id: &DeviceId) -> StoreResult<Option<Device>> {
        let id = id.clone();
        self.readers.read(move |c| reads::get_device(c, &id)).await
    }

    async fn get_parameters(&self, id: &DeviceId, prefix: &str) -> StoreResult<Vec<Parameter>> {
        let (id, prefix) = (id.clone(), prefix.to_owned());
        self.readers
            .read(move |c| inform::parameters(c, &id, &prefix))
            .await
    }

    async fn write_parameters(&self, id: &DeviceId, batch: ParamBatch) -> StoreResult<()> {
        let id = id.clone();
        self.writer
            .write(move |c| writes::write_parameters(c, &id, &batch))
            .await
    }

    async fn delete_device(&self, id: &DeviceId) -> StoreResult<bool> {
        self.changed("DELETE FROM devices WHERE id = $1", vec![text(id.as_str())])
            .await
    }

    async fn find_devices(&self, query: &DeviceQuery) -> StoreResult<Vec<Device>> {
        let query = query.clone();
        self.readers
            .read(move |c| reads::find_devices(c, &query))
            .await
    }

    async fn count_devices(&self, query: &DeviceQuery) -> StoreResult<u64> {
        let query = query.clone();
        self.readers
            .read(move |c| reads::count_devices(c, &query))
            .await
    }

    async fn record_connection_request(
        &self,
        id: &DeviceId,
        result: ConnectionRequestResult,
    ) -> StoreResult<bool> {
        self.changed(
            "UPDATE devices SET cr_time_ms = $2, cr_error = $3 WHERE id = $1",
            vec![
                text(id.as_str()),
                result.time.as_millis().into(),
                // An empty error is success, stored as NULL.
                result.error.filter(|e| !e.is_empty()).into(),
            ],
        )
        .await
    }

    async fn record_firmware(&self, id: &DeviceId, outcome: FirmwareOutcome) -> StoreResult<bool> {
        self.changed(
            "UPDATE devices SET fw_target = $2, fw_status = $3, fw_time_ms = $4 WHERE id = $1",
            vec![
                text(id.as_str()),
                outcome.target.into(),
                text(outcome.status.as_str()),
                outcome.time.as_millis().into(),
            ],
        )
        .await
    }

    async fn add_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        let (id, tag) = (id.clone(), tag.to_owned());
        self.writer
            .write(move |c| writes::add_tag(c, &id, &tag))
            .await
    }

    async fn remove_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        self.changed(
            "DELETE FROM device_tags WHERE device_id = $1 AND tag = $2",
            vec![text(id.as_str()), text(tag)],
        )
        .await
    }

    async fn create_task(&self, task: NewTask) -> StoreResult<Task> {
        self.writer
            .write(move |c| writes::create_task(c, &task))
            .await
    }

    async fn get_task(&self, id: &str) -> StoreResult<Option<Task>> {
        self.row(
            "SELECT id, device_id, name, payload, status, result, fault_code, fault_message, \
             fault_detail, attempts, next_attempt_ms, expiry_ms, created_ms, interrupted \
             FROM tasks WHERE id = $1",
            vec![text(id)],
            rows::task,
        )
        .await
    }

    async fn list_tasks(&self, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
        let filter = filter.clone();
        self.readers
            .read(move |c| reads::list_tasks(c, &filter))
            .await
    }

    async fn due_tasks(&self, device: &DeviceId, now: Timestamp) -> StoreResult<Vec<Task>> {
        let device = device.clone();
        self.readers
            .read(move |c| reads::due_tasks(c, &device, now))
            .await
    }

    async fn claim_task(&self, id: &str) -> StoreResult<bool> {
        self.changed(
            "UPDATE tasks SET status = 'running' WHERE id = $1 AND (status = 'pending' \
             OR (status = 'fault' AND next_attempt_ms IS NOT NULL))",
            vec![text(id)],
        )
        .await
    }

    async fn complete_task(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c| writes::delete_task(c, &id))
            .await
    }

    async fn mark_task_transferring(
        &self,
        id: &str,
        result: serde_json::Value,
    ) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c| writes::mark_task_transferring(c, &id, &result))
            .await
    }

    async fn fault_task(
        &self,
        id: &str,
        fault: FaultInfo,
        policy: RetryPolicy,
    ) -> StoreResult<Option<Timestamp>> {
        let id = id.to_owned();
        self.writer
            .write(move |c| writes::fault_task(c, &id, &fault, policy))
            .await
    }

    async fn retry_task(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer.write(move |c| writes::retry_task(c, &id)).await
    }

    async fn requeue_running_tasks(&self, device: &DeviceId) -> StoreResult<u64> {
        let device = device.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "UPDATE tasks SET status = 'pending', interrupted = interrupted + 1 \
                     WHERE device_id = $1 AND status = 'running'",
                    &[&device.as_str()],
                )
            })
            .await
    }

    async fn delete_task(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c| writes::delete_task(c, &id))
            .await
    }

    async fn record_fault(&self, fault: NewFault) -> StoreResult<FaultRecord> {
        self.writer
            .write(move |c| writes::record_fault(c, &fault))
            .await
    }

    async fn list_faults(&self, device: Option<&DeviceId>) -> StoreResult<Vec<FaultRecord>> {
        let device = device.cloned();
        self.readers
            .read(move |c| reads::list_faults(c, device.as_ref()))
            .await
    }

    async fn delete_fault(&self, device: &DeviceId, channel: &str) -> StoreResult<bool> {
        let (device, channel) = (device.clone(), channel.to_owned());
        self.writer
            .write(move |c| writes::delete_fault(c, &device, &channel))
            .await
    }

    async fn put_preset(&self, preset: Preset) -> StoreResult<()> {
        let put = self
            .writer
            .write(move |c| writes::put_preset(c, &preset))
            .await;
        self.presets_generation.fetch_add(1, Ordering::Release);
        put
    }

    async fn get_preset(&self, name: &str) -> StoreResult<Option<Preset>> {
        self.row(
            "SELECT name, weight, precondition, events, configuration, channel, schedule FROM presets \
             WHERE name = $1",
            vec![text(name)],
            rows::preset,
        )
        .await
    }

    async fn list_presets(&self) -> StoreResult<Vec<Preset>> {
        self.rows(
            "SELECT name, weight, precondition, events, configuration, channel, schedule FROM presets \
             ORDER BY weight, name",
            Vec::new(),
            rows::preset,
        )
        .await
    }

    async fn delete_preset(&self, name: &str) -> StoreResult<bool> {
        let deleted = self
            .changed("DELETE FROM presets WHERE name = $1", vec![text(name)])
            .await;
        self.presets_generation.fetch_add(1, Ordering::Release);
        deleted
    }

    fn presets_generation(&self) -> u64 {
        self.presets_generation.load(Ordering::Acquire)
    }

    async fn put_preset_object(&self, object: PresetObject) -> StoreResult<()> {
        let document = object.to_document().to_string();
        let put = self
            .changed(
                "INSERT INTO preset_objects (name, document, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET document = excluded.document, \
                 updated_ms = excluded.updated_ms",
                vec![
                    text(&object.name),
                    Value::Text(document),
                    Value::Integer(Timestamp::now().as_millis()),
                ],
            )
            .await;
        self.presets_generation.fetch_add(1, Ordering::Release);
        put.map(|_| ())
    }

    async fn list_preset_objects(&self) -> StoreResult<Vec<PresetObject>> {
        self.rows(
            "SELECT name, document FROM preset_objects ORDER BY name",
            Vec::new(),
            rows::preset_object,
        )
        .await
    }

    async fn delete_preset_object(&self, name: &str) -> StoreResult<bool> {
        let deleted = self
            .changed(
                "DELETE FROM preset_objects WHERE name = $1",
                vec![text(name)],
            )
            .await;
        self.presets_generation.fetch_add(1, Ordering::Release);
        deleted
    }

    async fn preset_states(&self, device: &DeviceId) -> StoreResult<Vec<PresetState>> {
        let device = device.clone();
        self.readers
            .read(move |c| preset_state::read(c, &device))
            .await
    }

    async fn put_preset_states(
        &self,
        device: &DeviceId,
        states: Vec<PresetState>,
    ) -> StoreResult<()> {
        let device = device.clone();
        self.writer
            .write(move |c| preset_state::replace(c, &device, &states))
            .await
    }

    async fn put_file(&self, file: FileMeta) -> StoreResult<()> {
        self.writer.write(move |c| writes::put_file(c, &file)).await
    }

    async fn get_file(&self, name: &str) -> StoreResult<Option<FileMeta>> {
        self.row(
            "SELECT name, file_type, oui, product_class, version, size, sha256, uploaded_ms \
             FROM files WHERE name = $1",
            vec![text(name)],
            rows::file,
        )
        .await
    }

    async fn list_files(&self) -> StoreResult<Vec<FileMeta>> {
        self.rows(
            "SELECT name, file_type, oui, product_class, version, size, sha256, uploaded_ms \
             FROM files ORDER BY name",
            Vec::new(),
            rows::file,
        )
        .await
    }

    async fn delete_file(&self, name: &str) -> StoreResult<bool> {
        self.changed("DELETE FROM files WHERE name = $1", vec![text(name)])
            .await
    }

    async fn record_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.writer
            .write(move |c| writes::record_session(c, &session))
            .await
    }

    async fn list_sessions(
        &self,
        device: &DeviceId,
        limit: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        let device = device.clone();
        self.readers
            .read(move |c| reads::list_sessions(c, &device, limit))
            .await
    }

    async fn put_credentials(&self, creds: DeviceCredentials) -> StoreResult<()> {
        self.writer
            .write(move |c| writes::put_credentials(c, &creds))
            .await
    }

    async fn get_credentials(&self, device: &DeviceId) -> StoreResult<Option<DeviceCredentials>> {
        self.row(
            "SELECT device_id, cr_username, cr_password, cpe_username, cpe_realm, cpe_ha1_md5, \
             cpe_ha1_sha256 FROM credentials WHERE device_id = $1",
            vec![text(device.as_str())],
            rows::credentials,
        )
        .await
    }

    async fn credentials_by_cpe_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<DeviceCredentials>> {
        self.row(
            "SELECT device_id, cr_username, cr_password, cpe_username, cpe_realm, cpe_ha1_md5, \
             cpe_ha1_sha256 FROM credentials WHERE cpe_username = $1 ORDER BY device_id LIMIT 1",
            vec![text(username)],
            rows::credentials,
        )
        .await
    }

    async fn delete_credentials(&self, device: &DeviceId) -> StoreResult<bool> {
        self.changed(
            "DELETE FROM credentials WHERE device_id = $1",
            vec![text(device.as_str())],
        )
        .await
    }

    async fn begin_session(&self, start: SessionStart) -> StoreResult<Option<SessionBegun>> {
        self.writer.write(move |c| sessions::begin(c, start)).await
    }

    async fn end_session(&self, holder: &str, record: SessionRecord) -> StoreResult<()> {
        let holder = holder.to_owned();
        self.writer
            .write(move |c| sessions::end(c, &holder, &record))
            .await
    }

    async fn try_acquire_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let (device, holder) = (device.clone(), holder.to_owned());
        self.writer
            .write(move |c| writes::try_acquire_lease(c, &device, &holder, ttl))
            .await
    }

    async fn renew_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let (device, holder) = (device.clone(), holder.to_owned());
        self.writer
            .write(move |c| writes::renew_lease(c, &device, &holder, ttl))
            .await
    }

    async fn release_lease(&self, device: &DeviceId, holder: &str) -> StoreResult<bool> {
        self.changed(
            "DELETE FROM session_leases WHERE device_id = $1 AND holder = $2",
            vec![text(device.as_str()), text(holder)],
        )
        .await
    }

    async fn release_node_leases(&self, node: &str) -> StoreResult<u64> {
        // A prefix compare, not LIKE: a node name may contain `%` or `_`.
        let prefix = format!("{node}/");
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "DELETE FROM session_leases WHERE substr(holder, 1, length($1)) = $1",
                    &[&prefix],
                )
            })
            .await
    }

    async fn put_script(&self, script: StoredScript) -> StoreResult<()> {
        self.writer.write(move |c| scripts::put(c, &script)).await
    }

    async fn get_script(&self, kind: ScriptKind, name: &str) -> StoreResult<Option<StoredScript>> {
        self.row(
            "SELECT kind, name, script, updated_ms FROM scripts WHERE kind = $1 AND name = $2",
            vec![text(kind.as_str()), text(name)],
            scripts::script,
        )
        .await
    }

    async fn list_scripts(&self, kind: ScriptKind) -> StoreResult<Vec<StoredScript>> {
        self.rows(
            "SELECT kind, name, script, updated_ms FROM scripts WHERE kind = $1 ORDER BY name",
            vec![text(kind.as_str())],
            scripts::script,
        )
        .await
    }

    async fn delete_script(&self, kind: ScriptKind, name: &str) -> StoreResult<bool> {
        self.changed(
            "DELETE FROM scripts WHERE kind = $1 AND name = $2",
            vec![text(kind.as_str()), text(name)],
        )
        .await
    }

    async fn put_user(&self, user: User) -> StoreResult<()> {
        self.writer.write(move |c| users::put_user(c, &user)).await
    }

    async fn get_user(&self, name: &str) -> StoreResult<Option<User>> {
        self.row(users::SELECT_USER, vec![text(name)], users::user)
            .await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.rows(users::SELECT_USERS, vec![], users::user).await
    }

    async fn delete_user(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.writer
            .write(move |c| users::delete_user(c, &name))
            .await
    }

    async fn put_user_token(&self, token: UserToken) -> StoreResult<()> {
        self.writer
            .write(move |c| users::put_token(c, &token))
            .await
    }

    async fn user_token_by_digest(&self, digest: &str) -> StoreResult<Option<UserToken>> {
        self.row(
            users::SELECT_TOKEN_BY_DIGEST,
            vec![text(digest)],
            users::token,
        )
        .await
    }

    async fn list_user_tokens(&self, user: &str) -> StoreResult<Vec<UserToken>> {
        self.rows(users::SELECT_TOKENS_OF, vec![text(user)], users::token)
            .await
    }

    async fn delete_user_token(&self, user: &str, id: &str) -> StoreResult<bool> {
        self.changed(
            "DELETE FROM user_tokens WHERE user_name = $1 AND id = $2",
            vec![text(user), text(id)],
        )
        .await
    }

    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer
            .write(move |c| users::append_audit(c, &entry))
            .await
    }

    async fn list_audit(&self, before: Option<i64>, limit: u64) -> StoreResult<Vec<AuditEntry>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(
            users::SELECT_AUDIT,
            vec![
                Value::Integer(before.unwrap_or(i64::MAX)),
                Value::Integer(limit),
            ],
            users::audit,
        )
        .await
    }

    async fn put_campaign(&self, campaign: Campaign) -> StoreResult<()> {
        self.writer
            .write(move |c| campaigns::put_campaign(c, &campaign))
            .await
    }

    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        self.row(campaigns::SELECT_ONE, vec![text(id)], campaigns::campaign)
            .await
    }

    async fn list_campaigns(&self) -> StoreResult<Vec<Campaign>> {
        self.rows(campaigns::SELECT_ALL, vec![], campaigns::campaign)
            .await
    }

    async fn add_campaign_targets(&self, targets: Vec<CampaignTarget>) -> StoreResult<()> {
        self.writer
            .write(move |c| campaigns::add_targets(c, &targets))
            .await
    }

    async fn campaign_targets(
        &self,
        campaign: &str,
        state: TargetState,
        limit: u64,
    ) -> StoreResult<Vec<CampaignTarget>> {
        self.rows(
            campaigns::SELECT_TARGETS,
            vec![
                text(campaign),
                text(state.as_str()),
                Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
            campaigns::target,
        )
        .await
    }

    async fn update_campaign_target(&self, target: CampaignTarget) -> StoreResult<()> {
        self.writer
            .write(move |c| campaigns::update_target(c, &target))
            .await
    }

    async fn campaign_counts(&self, campaign: &str) -> StoreResult<CampaignCounts> {
        let campaign = campaign.to_owned();
        self.readers
            .read(move |c| campaigns::counts(c, &campaign))
            .await
    }

    async fn fleet_summary(&self, now: Timestamp) -> StoreResult<FleetSummary> {
        self.readers.read(move |c| fleet::summary(c, now)).await
    }

    async fn put_fleet_sample(&self, sample: FleetSample) -> StoreResult<()> {
        self.writer
            .write(move |c| fleet::put_sample(c, &sample))
            .await
    }

    async fn fleet_samples(&self, since: Timestamp) -> StoreResult<Vec<FleetSample>> {
        self.rows(
            fleet::SELECT_SAMPLES,
            vec![Value::Integer(since.as_millis())],
            fleet::sample,
        )
        .await
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.readers.close();
    }
}
