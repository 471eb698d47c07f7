//! [`Store`] for [`PgStore`]: each call takes a pooled connection; calls that write more
//! than one row (or read and then write) run in one transaction.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;

use super::conn::Db;
use super::inform::{self, Counted};
use super::rows::{self, CREDENTIAL_COLS, FILE_COLS, PRESET_COLS, TASK_COLS};
use super::{PRESETS_CHANNEL, PgStore, console, reads, writes};
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

/// Runs `$body` with `$db` bound to a transaction on a pooled connection and commits it;
/// an error (`?` in the body) drops the transaction, which rolls it back.
macro_rules! in_tx {
    ($self:ident, |$db:ident| $body:expr) => {{
        let mut client = $self.client().await?;
        let tx = client.transaction().await?;
        let out = {
            let $db = Db::Tx(&tx);
            $body
        };
        tx.commit().await?;
        Ok(out)
    }};
}

/// Runs `$body` with `$db` bound to a pooled connection, each statement on its own.
macro_rules! on_conn {
    ($self:ident, |$db:ident| $body:expr) => {{
        let client = $self.client().await?;
        let $db = Db::Client(&client);
        $body
    }};
}

#[async_trait]
impl Store for PgStore {
    async fn upsert_inform(&self, inform: InformUpdate) -> StoreResult<InformOutcome> {
        in_tx!(self, |db| inform::upsert_inform(db, inform, Counted::No)
            .await?)
    }

    async fn get_device(&self, id: &DeviceId) -> StoreResult<Option<Device>> {
        on_conn!(self, |db| reads::get_device(db, id).await)
    }

    async fn get_parameters(&self, id: &DeviceId, prefix: &str) -> StoreResult<Vec<Parameter>> {
        let mut client = self.client().await?;
        // One snapshot for the rows and the Inform's list.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let params = inform::parameters(Db::Tx(&tx), id, prefix).await?;
        tx.commit().await?;
        Ok(params)
    }

    async fn write_parameters(&self, id: &DeviceId, batch: ParamBatch) -> StoreResult<()> {
        in_tx!(self, |db| writes::write_parameters(db, id, &batch).await?)
    }

    async fn delete_device(&self, id: &DeviceId) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute("DELETE FROM devices WHERE id = $1", &[&id.as_str()])
            .await?
            > 0))
    }

    async fn find_devices(&self, query: &DeviceQuery) -> StoreResult<Vec<Device>> {
        // Devices and their tags from one snapshot.
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let devices = reads::find_devices(Db::Tx(&tx), query).await?;
        tx.commit().await?;
        Ok(devices)
    }

    async fn count_devices(&self, query: &DeviceQuery) -> StoreResult<u64> {
        on_conn!(self, |db| reads::count_devices(db, query).await)
    }

    async fn record_connection_request(
        &self,
        id: &DeviceId,
        result: ConnectionRequestResult,
    ) -> StoreResult<bool> {
        // An empty error is success, stored as NULL.
        let error = result.error.filter(|e| !e.is_empty());
        on_conn!(self, |db| Ok(db
            .execute(
                "UPDATE devices SET cr_time_ms = $2, cr_error = $3 WHERE id = $1",
                &[&id.as_str(), &result.time.as_millis(), &error],
            )
            .await?
            > 0))
    }

    async fn record_firmware(&self, id: &DeviceId, outcome: FirmwareOutcome) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "UPDATE devices SET fw_target = $2, fw_status = $3, fw_time_ms = $4 \
                 WHERE id = $1",
                &[
                    &id.as_str(),
                    &outcome.target,
                    &outcome.status.as_str(),
                    &outcome.time.as_millis(),
                ],
            )
            .await?
            > 0))
    }

    async fn add_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        in_tx!(self, |db| writes::add_tag(db, id, tag).await?)
    }

    async fn remove_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "DELETE FROM device_tags WHERE device_id = $1 AND tag = $2",
                &[&id.as_str(), &tag],
            )
            .await?
            > 0))
    }

    async fn create_task(&self, task: NewTask) -> StoreResult<Task> {
        on_conn!(self, |db| writes::create_task(db, &task).await)
    }

    async fn get_task(&self, id: &str) -> StoreResult<Option<Task>> {
        let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1");
        on_conn!(self, |db| db
            .query_opt(&sql, &[&id])
            .await?
            .as_ref()
            .map(rows::task)
            .transpose())
    }

    async fn list_tasks(&self, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
        on_conn!(self, |db| reads::list_tasks(db, filter).await)
    }

    async fn due_tasks(&self, device: &DeviceId, now: Timestamp) -> StoreResult<Vec<Task>> {
        on_conn!(self, |db| reads::due_tasks(db, device, now).await)
    }

    async fn claim_task(&self, id: &str) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "UPDATE tasks SET status = 'running' WHERE id = $1 AND (status = 'pending' \
                 OR (status = 'fault' AND next_attempt_ms IS NOT NULL))",
                &[&id],
            )
            .await?
            > 0))
    }

    async fn complete_task(&self, id: &str) -> StoreResult<bool> {
        in_tx!(self, |db| writes::delete_task(db, id).await?)
    }

    async fn mark_task_transferring(
        &self,
        id: &str,
        result: serde_json::Value,
    ) -> StoreResult<bool> {
        on_conn!(self, |db| writes::mark_task_transferring(db, id, &result)
            .await)
    }

    async fn fault_task(
        &self,
        id: &str,
        fault: FaultInfo,
        policy: RetryPolicy,
    ) -> StoreResult<Option<Timestamp>> {
        in_tx!(self, |db| writes::fault_task(db, id, &fault, policy)
            .await?)
    }

    async fn retry_task(&self, id: &str) -> StoreResult<bool> {
        in_tx!(self, |db| writes::retry_task(db, id).await?)
    }

    async fn requeue_running_tasks(&self, device: &DeviceId) -> StoreResult<u64> {
        on_conn!(self, |db| db
            .execute(
                "UPDATE tasks SET status = 'pending', interrupted = interrupted + 1 \
                 WHERE device_id = $1 AND status = 'running'",
                &[&device.as_str()],
            )
            .await)
    }

    async fn delete_task(&self, id: &str) -> StoreResult<bool> {
        in_tx!(self, |db| writes::delete_task(db, id).await?)
    }

    async fn record_fault(&self, fault: NewFault) -> StoreResult<FaultRecord> {
        on_conn!(self, |db| writes::record_fault(db, &fault).await)
    }

    async fn list_faults(&self, device: Option<&DeviceId>) -> StoreResult<Vec<FaultRecord>> {
        on_conn!(self, |db| reads::list_faults(db, device).await)
    }

    async fn delete_fault(&self, device: &DeviceId, channel: &str) -> StoreResult<bool> {
        in_tx!(self, |db| writes::delete_fault(db, device, channel).await?)
    }

    async fn put_preset(&self, preset: Preset) -> StoreResult<()> {
        // The notice goes out when the write commits.
        let put: StoreResult<()> = in_tx!(self, |db| {
            writes::put_preset(db, &preset).await?;
            db.execute("SELECT pg_notify($1, '')", &[&PRESETS_CHANNEL])
                .await?;
        });
        self.presets_generation.fetch_add(1, Ordering::Release);
        put
    }

    async fn get_preset(&self, name: &str) -> StoreResult<Option<Preset>> {
        let sql = format!("SELECT {PRESET_COLS} FROM presets WHERE name = $1");
        on_conn!(self, |db| db
            .query_opt(&sql, &[&name])
            .await?
            .as_ref()
            .map(rows::preset)
            .transpose())
    }

    async fn list_presets(&self) -> StoreResult<Vec<Preset>> {
        let sql = format!("SELECT {PRESET_COLS} FROM presets ORDER BY weight, name");
        on_conn!(self, |db| db.rows(&sql, &[], rows::preset).await)
    }

    async fn delete_preset(&self, name: &str) -> StoreResult<bool> {
        let deleted: StoreResult<bool> = in_tx!(self, |db| {
            let n = db
                .execute("DELETE FROM presets WHERE name = $1", &[&name])
                .await?;
            db.execute("SELECT pg_notify($1, '')", &[&PRESETS_CHANNEL])
                .await?;
            n > 0
        });
        self.presets_generation.fetch_add(1, Ordering::Release);
        deleted
    }

    async fn put_preset_object(&self, object: PresetObject) -> StoreResult<()> {
        let document = object.to_document().to_string();
        let put: StoreResult<()> = in_tx!(self, |db| {
            db.execute(
                "INSERT INTO preset_objects (name, document, updated_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET document = excluded.document, \
                 updated_ms = excluded.updated_ms",
                &[&object.name, &document, &Timestamp::now().as_millis()],
            )
            .await?;
            db.execute("SELECT pg_notify($1, '')", &[&PRESETS_CHANNEL])
                .await?;
        });
        self.presets_generation.fetch_add(1, Ordering::Release);
        put
    }

    async fn list_preset_objects(&self) -> StoreResult<Vec<PresetObject>> {
        on_conn!(self, |db| db
            .rows(
                "SELECT name, document FROM preset_objects ORDER BY name",
                &[],
                rows::preset_object
            )
            .await)
    }

    async fn delete_preset_object(&self, name: &str) -> StoreResult<bool> {
        let deleted: StoreResult<bool> = in_tx!(self, |db| {
            let n = db
                .execute("DELETE FROM preset_objects WHERE name = $1", &[&name])
                .await?;
            db.execute("SELECT pg_notify($1, '')", &[&PRESETS_CHANNEL])
                .await?;
            n > 0
        });
        self.presets_generation.fetch_add(1, Ordering::Release);
        deleted
    }

    fn presets_generation(&self) -> u64 {
        self.presets_generation.load(Ordering::Acquire)
    }

    async fn put_script(&self, script: StoredScript) -> StoreResult<()> {
        in_tx!(self, |db| {
            db.execute(
                "INSERT INTO scripts (kind, name, script, updated_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, name) DO UPDATE SET script = excluded.script, \
                 updated_ms = excluded.updated_ms",
                &[
                    &script.kind.as_str(),
                    &script.name,
                    &script.script,
                    &script.updated.as_millis(),
                ],
            )
            .await?;
        })
    }

    async fn get_script(&self, kind: ScriptKind, name: &str) -> StoreResult<Option<StoredScript>> {
        on_conn!(self, |db| db
            .query_opt(
                "SELECT kind, name, script, updated_ms FROM scripts WHERE kind = $1 AND name = $2",
                &[&kind.as_str(), &name],
            )
            .await?
            .as_ref()
            .map(rows::script)
            .transpose())
    }

    async fn list_scripts(&self, kind: ScriptKind) -> StoreResult<Vec<StoredScript>> {
        on_conn!(self, |db| db
            .rows(
                "SELECT kind, name, script, updated_ms FROM scripts WHERE kind = $1 ORDER BY name",
                &[&kind.as_str()],
                rows::script
            )
            .await)
    }

    async fn delete_script(&self, kind: ScriptKind, name: &str) -> StoreResult<bool> {
        in_tx!(self, |db| {
            db.execute(
                "DELETE FROM scripts WHERE kind = $1 AND name = $2",
                &[&kind.as_str(), &name],
            )
            .await?
                > 0
        })
    }

    async fn preset_states(&self, device: &DeviceId) -> StoreResult<Vec<PresetState>> {
        on_conn!(self, |db| reads::preset_states(db, device).await)
    }

    async fn put_preset_states(
        &self,
        device: &DeviceId,
        states: Vec<PresetState>,
    ) -> StoreResult<()> {
        in_tx!(self, |db| writes::replace_preset_states(
            db, device, &states
        )
        .await?)
    }

    async fn put_file(&self, file: FileMeta) -> StoreResult<()> {
        on_conn!(self, |db| writes::put_file(db, &file).await)
    }

    async fn get_file(&self, name: &str) -> StoreResult<Option<FileMeta>> {
        let sql = format!("SELECT {FILE_COLS} FROM files WHERE name = $1");
        on_conn!(self, |db| db
            .query_opt(&sql, &[&name])
            .await?
            .as_ref()
            .map(rows::file)
            .transpose())
    }

    async fn list_files(&self) -> StoreResult<Vec<FileMeta>> {
        let sql = format!("SELECT {FILE_COLS} FROM files ORDER BY name");
        on_conn!(self, |db| db.rows(&sql, &[], rows::file).await)
    }

    async fn delete_file(&self, name: &str) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute("DELETE FROM files WHERE name = $1", &[&name])
            .await?
            > 0))
    }

    async fn record_session(&self, session: SessionRecord) -> StoreResult<()> {
        in_tx!(self, |db| writes::record_session(db, &session).await?)
    }

    async fn list_sessions(
        &self,
        device: &DeviceId,
        limit: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        on_conn!(self, |db| reads::list_sessions(db, device, limit).await)
    }

    async fn put_credentials(&self, creds: DeviceCredentials) -> StoreResult<()> {
        on_conn!(self, |db| writes::put_credentials(db, &creds).await)
    }

    async fn get_credentials(&self, device: &DeviceId) -> StoreResult<Option<DeviceCredentials>> {
        let sql = format!("SELECT {CREDENTIAL_COLS} FROM credentials WHERE device_id = $1");
        on_conn!(self, |db| db
            .query_opt(&sql, &[&device.as_str()])
            .await?
            .as_ref()
            .map(rows::credentials)
            .transpose())
    }

    async fn credentials_by_cpe_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<DeviceCredentials>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLS} FROM credentials WHERE cpe_username = $1 \
             ORDER BY device_id LIMIT 1"
        );
        on_conn!(self, |db| db
            .query_opt(&sql, &[&username])
            .await?
            .as_ref()
            .map(rows::credentials)
            .transpose())
    }

    async fn delete_credentials(&self, device: &DeviceId) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "DELETE FROM credentials WHERE device_id = $1",
                &[&device.as_str()]
            )
            .await?
            > 0))
    }

    async fn begin_session(&self, start: SessionStart) -> StoreResult<Option<SessionBegun>> {
        let device = start.inform.identity.device_id();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let db = Db::Tx(&tx);
        if !writes::try_acquire_lease(db, &device, &start.holder, start.lease_ttl).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        let requeued = db
            .execute(
                "UPDATE tasks SET status = 'pending', interrupted = interrupted + 1 \
                 WHERE device_id = $1 AND status = 'running'",
                &[&device.as_str()],
            )
            .await?;
        let now = start.inform.time;
        let inform = inform::upsert_inform(db, start.inform, Counted::AsSession).await?;
        // A new device has no tasks, states or faults; for a known one the three reads go
        // out together on the connection.
        let (due, preset_states, faults) = if inform.created {
            Default::default()
        } else {
            tokio::try_join!(
                reads::due_tasks(db, &device, now),
                reads::preset_states(db, &device),
                reads::list_faults(db, Some(&device)),
            )?
        };
        tx.commit().await?;
        Ok(Some(SessionBegun {
            inform,
            requeued,
            due,
            preset_states,
            faults,
        }))
    }

    async fn end_session(&self, holder: &str, record: SessionRecord) -> StoreResult<()> {
        in_tx!(self, |db| {
            writes::write_session_slot(db, &record).await?;
            db.execute(
                "DELETE FROM session_leases WHERE device_id = $1 AND holder = $2",
                &[&record.device.as_str(), &holder],
            )
            .await?;
        })
    }

    async fn try_acquire_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        on_conn!(self, |db| writes::try_acquire_lease(
            db, device, holder, ttl
        )
        .await)
    }

    async fn renew_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        on_conn!(self, |db| writes::renew_lease(db, device, holder, ttl)
            .await)
    }

    async fn release_lease(&self, device: &DeviceId, holder: &str) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "DELETE FROM session_leases WHERE device_id = $1 AND holder = $2",
                &[&device.as_str(), &holder],
            )
            .await?
            > 0))
    }

    async fn release_node_leases(&self, node: &str) -> StoreResult<u64> {
        // A prefix compare, not LIKE: a node name may contain `%` or `_`.
        let prefix = format!("{node}/");
        on_conn!(self, |db| db
            .execute(
                "DELETE FROM session_leases WHERE holder >= $1 AND starts_with(holder, $1)",
                &[&prefix],
            )
            .await)
    }

    async fn put_user(&self, user: User) -> StoreResult<()> {
        on_conn!(self, |db| console::put_user(db, &user).await)
    }

    async fn get_user(&self, name: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE name = $1", console::USER_COLS);
        on_conn!(self, |db| Ok(db
            .rows(&sql, &[&name], console::user)
            .await?
            .into_iter()
            .next()))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {} FROM users ORDER BY name", console::USER_COLS);
        on_conn!(self, |db| db.rows(&sql, &[], console::user).await)
    }

    async fn delete_user(&self, name: &str) -> StoreResult<bool> {
        in_tx!(self, |db| {
            db.execute("DELETE FROM user_tokens WHERE user_name = $1", &[&name])
                .await?;
            db.execute("DELETE FROM users WHERE name = $1", &[&name])
                .await?
                > 0
        })
    }

    async fn put_user_token(&self, token: UserToken) -> StoreResult<()> {
        on_conn!(self, |db| console::put_token(db, &token).await)
    }

    async fn user_token_by_digest(&self, digest: &str) -> StoreResult<Option<UserToken>> {
        let sql = format!(
            "SELECT {} FROM user_tokens WHERE digest = $1",
            console::TOKEN_COLS
        );
        on_conn!(self, |db| Ok(db
            .rows(&sql, &[&digest], console::token)
            .await?
            .into_iter()
            .next()))
    }

    async fn list_user_tokens(&self, user: &str) -> StoreResult<Vec<UserToken>> {
        let sql = format!(
            "SELECT {} FROM user_tokens WHERE user_name = $1 ORDER BY created_ms, id",
            console::TOKEN_COLS
        );
        on_conn!(self, |db| db.rows(&sql, &[&user], console::token).await)
    }

    async fn delete_user_token(&self, user: &str, id: &str) -> StoreResult<bool> {
        on_conn!(self, |db| Ok(db
            .execute(
                "DELETE FROM user_tokens WHERE user_name = $1 AND id = $2",
                &[&user, &id]
            )
            .await?
            > 0))
    }

    async fn append_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        on_conn!(self, |db| console::append_audit(db, &entry).await)
    }

    async fn list_audit(&self, before: Option<i64>, limit: u64) -> StoreResult<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {} FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
            console::AUDIT_COLS
        );
        let before = before.unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        on_conn!(self, |db| db
            .rows(&sql, &[&before, &limit], console::audit)
            .await)
    }

    async fn put_campaign(&self, campaign: Campaign) -> StoreResult<()> {
        on_conn!(self, |db| console::put_campaign(db, &campaign).await)
    }

    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        let sql = format!(
            "SELECT {} FROM campaigns WHERE id = $1",
            console::CAMPAIGN_COLS
        );
        on_conn!(self, |db| Ok(db
            .rows(&sql, &[&id], console::campaign)
            .await?
            .into_iter()
            .next()))
    }

    async fn list_campaigns(&self) -> StoreResult<Vec<Campaign>> {
        let sql = format!(
            "SELECT {} FROM campaigns ORDER BY created_ms DESC, id",
            console::CAMPAIGN_COLS
        );
        on_conn!(self, |db| db.rows(&sql, &[], console::campaign).await)
    }

    async fn add_campaign_targets(&self, targets: Vec<CampaignTarget>) -> StoreResult<()> {
        in_tx!(self, |db| console::add_targets(db, &targets).await?)
    }

    async fn campaign_targets(
        &self,
        campaign: &str,
        state: TargetState,
        limit: u64,
    ) -> StoreResult<Vec<CampaignTarget>> {
        let sql = format!(
            "SELECT {} FROM campaign_devices WHERE campaign_id = $1 AND state = $2 \
             ORDER BY canary DESC, device_id LIMIT $3",
            console::TARGET_COLS
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        on_conn!(self, |db| db
            .rows(&sql, &[&campaign, &state.as_str(), &limit], console::target)
            .await)
    }

    async fn update_campaign_target(&self, target: CampaignTarget) -> StoreResult<()> {
        on_conn!(self, |db| console::update_target(db, &target).await)
    }

    async fn campaign_counts(&self, campaign: &str) -> StoreResult<CampaignCounts> {
        on_conn!(self, |db| console::counts(db, campaign).await)
    }

    async fn fleet_summary(&self, now: Timestamp) -> StoreResult<FleetSummary> {
        on_conn!(self, |db| console::fleet_summary(db, now).await)
    }

    async fn put_fleet_sample(&self, sample: FleetSample) -> StoreResult<()> {
        on_conn!(self, |db| console::put_fleet_sample(db, &sample).await)
    }

    async fn fleet_samples(&self, since: Timestamp) -> StoreResult<Vec<FleetSample>> {
        on_conn!(self, |db| db
            .rows(
                "SELECT time_ms, total, online FROM fleet_samples WHERE time_ms >= $1 \
                 ORDER BY time_ms",
                &[&since.as_millis()],
                console::sample,
            )
            .await)
    }

    async fn close(&self) {
        self.stop_listeners();
        self.pool.close();
    }
}
