//! [`Store`] for [`SqliteStore`]: writes go to the group-commit writer, reads to the pool.

use std::time::Duration;

use async_trait::async_trait;

use super::preset_state;
use super::reads::{self, fetch};
use super::writes::{self, exec_args};
use super::{SqliteStore, rows};
use crate::store::{
    ConnectionRequestResult, Device, DeviceCredentials, DeviceId, DeviceQuery, FaultInfo,
    FaultRecord, FileMeta, FirmwareOutcome, InformOutcome, InformUpdate, NewFault, NewTask,
    ParamBatch, Parameter, Preset, PresetState, RetryPolicy, SessionRecord, Store, StoreResult,
    Task, TaskFilter, TaskStatus, Timestamp,
};

/// Runs a fixed statement with text binds through the writer (one statement: no savepoint);
/// `true` if a row changed.
macro_rules! write_changed {
    ($self:ident, $sql:expr, $($arg:expr),+) => {{
        let args: Vec<String> = vec![$($arg.to_string()),+];
        $self
            .writer
            .write_statement(move |c| {
                Box::pin(async move {
                    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                    Ok(exec_args(c, $sql, &refs).await? > 0)
                })
            })
            .await
    }};
}

fn first<T>(mut v: Vec<T>) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        Some(v.swap_remove(0))
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn upsert_inform(&self, inform: InformUpdate) -> StoreResult<InformOutcome> {
        self.writer
            .write(move |c| Box::pin(writes::upsert_inform(c, inform)))
            .await
    }

    async fn get_device(&self, id: &DeviceId) -> StoreResult<Option<Device>> {
        reads::get_device(&self.reads, id).await
    }

    async fn get_parameters(&self, id: &DeviceId, prefix: &str) -> StoreResult<Vec<Parameter>> {
        fetch(
            &self.reads,
            "SELECT path, value, value_type, writable, notification, access_list, updated_ms \
             FROM parameters WHERE device_id = $1 AND substr(path, 1, length($2)) = $2 \
             ORDER BY path",
            &[id.as_str(), prefix],
            rows::parameter,
        )
        .await
    }

    async fn write_parameters(&self, id: &DeviceId, batch: ParamBatch) -> StoreResult<()> {
        let id = id.clone();
        self.writer
            .write(move |c| Box::pin(writes::write_parameters(c, id, batch)))
            .await
    }

    async fn delete_device(&self, id: &DeviceId) -> StoreResult<bool> {
        write_changed!(self, "DELETE FROM devices WHERE id = $1", id)
    }

    async fn find_devices(&self, query: &DeviceQuery) -> StoreResult<Vec<Device>> {
        reads::find_devices(&self.reads, query).await
    }

    async fn count_devices(&self, query: &DeviceQuery) -> StoreResult<u64> {
        reads::count_devices(&self.reads, query).await
    }

    async fn add_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        let (id, tag) = (id.clone(), tag.to_owned());
        self.writer
            .write(move |c| Box::pin(writes::add_tag(c, id, tag)))
            .await
    }

    async fn record_connection_request(
        &self,
        id: &DeviceId,
        result: ConnectionRequestResult,
    ) -> StoreResult<bool> {
        // The error is bound as text: an empty one is stored as NULL (success).
        write_changed!(
            self,
            "UPDATE devices SET cr_time_ms = $2, cr_error = NULLIF($3, '') WHERE id = $1",
            id,
            result.time.as_millis(),
            result.error.unwrap_or_default()
        )
    }

    async fn record_firmware(&self, id: &DeviceId, outcome: FirmwareOutcome) -> StoreResult<bool> {
        write_changed!(
            self,
            "UPDATE devices SET fw_target = $2, fw_status = $3, fw_time_ms = $4 WHERE id = $1",
            id,
            outcome.target,
            outcome.status.as_str(),
            outcome.time.as_millis()
        )
    }

    async fn remove_tag(&self, id: &DeviceId, tag: &str) -> StoreResult<bool> {
        write_changed!(
            self,
            "DELETE FROM device_tags WHERE device_id = $1 AND tag = $2",
            id,
            tag
        )
    }

    async fn create_task(&self, task: NewTask) -> StoreResult<Task> {
        self.writer
            .write(move |c| Box::pin(writes::create_task(c, task)))
            .await
    }

    async fn get_task(&self, id: &str) -> StoreResult<Option<Task>> {
        let sql = "SELECT id, device_id, name, payload, status, result, fault_code, \
                   fault_message, fault_detail, attempts, next_attempt_ms, expiry_ms, \
                   created_ms FROM tasks WHERE id = $1";
        Ok(first(fetch(&self.reads, sql, &[id], rows::task).await?))
    }

    async fn list_tasks(&self, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
        reads::list_tasks(&self.reads, filter).await
    }

    async fn due_tasks(&self, device: &DeviceId, now: Timestamp) -> StoreResult<Vec<Task>> {
        reads::due_tasks(&self.reads, device, now).await
    }

    async fn claim_task(&self, id: &str) -> StoreResult<bool> {
        write_changed!(
            self,
            "UPDATE tasks SET status = 'running' WHERE id = $1 AND (status = 'pending' \
             OR (status = 'fault' AND next_attempt_ms IS NOT NULL))",
            id
        )
    }

    async fn complete_task(&self, id: &str, result: serde_json::Value) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c| Box::pin(writes::complete_task(c, id, TaskStatus::Done, result)))
            .await
    }

    async fn mark_task_transferring(
        &self,
        id: &str,
        result: serde_json::Value,
    ) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c| {
                Box::pin(writes::complete_task(
                    c,
                    id,
                    TaskStatus::Transferring,
                    result,
                ))
            })
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
            .write(move |c| Box::pin(writes::fault_task(c, id, fault, policy)))
            .await
    }

    async fn retry_task(&self, id: &str) -> StoreResult<bool> {
        write_changed!(
            self,
            "UPDATE tasks SET status = 'pending', attempts = 0, next_attempt_ms = NULL, \
             fault_code = NULL, fault_message = NULL, fault_detail = NULL \
             WHERE id = $1 AND status = 'fault'",
            id
        )
    }

    async fn requeue_running_tasks(&self, device: &DeviceId) -> StoreResult<u64> {
        let device = device.clone();
        self.writer
            .write_statement(move |c| {
                Box::pin(async move {
                    exec_args(
                        c,
                        "UPDATE tasks SET status = 'pending' \
                         WHERE device_id = $1 AND status = 'running'",
                        &[device.as_str()],
                    )
                    .await
                })
            })
            .await
    }

    async fn delete_task(&self, id: &str) -> StoreResult<bool> {
        write_changed!(self, "DELETE FROM tasks WHERE id = $1", id)
    }

    async fn record_fault(&self, fault: NewFault) -> StoreResult<FaultRecord> {
        self.writer
            .write(move |c| Box::pin(writes::record_fault(c, fault)))
            .await
    }

    async fn list_faults(&self, device: Option<&DeviceId>) -> StoreResult<Vec<FaultRecord>> {
        match device {
            Some(d) => {
                let sql = "SELECT device_id, channel, code, message, detail, retries, \
                           timestamp_ms FROM faults WHERE device_id = $1 ORDER BY channel";
                fetch(&self.reads, sql, &[d.as_str()], rows::fault).await
            }
            None => {
                let sql = "SELECT device_id, channel, code, message, detail, retries, \
                           timestamp_ms FROM faults ORDER BY device_id, channel";
                fetch(&self.reads, sql, &[], rows::fault).await
            }
        }
    }

    async fn delete_fault(&self, device: &DeviceId, channel: &str) -> StoreResult<bool> {
        write_changed!(
            self,
            "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
            device,
            channel
        )
    }

    async fn put_preset(&self, preset: Preset) -> StoreResult<()> {
        self.writer
            .write(move |c| Box::pin(writes::put_preset(c, preset)))
            .await
    }

    async fn get_preset(&self, name: &str) -> StoreResult<Option<Preset>> {
        let sql = "SELECT name, weight, precondition, events, configuration FROM presets \
                   WHERE name = $1";
        Ok(first(fetch(&self.reads, sql, &[name], rows::preset).await?))
    }

    async fn list_presets(&self) -> StoreResult<Vec<Preset>> {
        let sql = "SELECT name, weight, precondition, events, configuration FROM presets \
                   ORDER BY weight, name";
        fetch(&self.reads, sql, &[], rows::preset).await
    }

    async fn delete_preset(&self, name: &str) -> StoreResult<bool> {
        write_changed!(self, "DELETE FROM presets WHERE name = $1", name)
    }

    async fn preset_states(&self, device: &DeviceId) -> StoreResult<Vec<PresetState>> {
        preset_state::read(&self.reads, device).await
    }

    async fn put_preset_states(
        &self,
        device: &DeviceId,
        states: Vec<PresetState>,
    ) -> StoreResult<()> {
        let device = device.clone();
        self.writer
            .write(move |c| Box::pin(preset_state::replace(c, device, states)))
            .await
    }

    async fn put_file(&self, file: FileMeta) -> StoreResult<()> {
        self.writer
            .write(move |c| Box::pin(writes::put_file(c, file)))
            .await
    }

    async fn get_file(&self, name: &str) -> StoreResult<Option<FileMeta>> {
        let sql = "SELECT name, file_type, oui, product_class, version, size, sha256, \
                   uploaded_ms FROM files WHERE name = $1";
        Ok(first(fetch(&self.reads, sql, &[name], rows::file).await?))
    }

    async fn list_files(&self) -> StoreResult<Vec<FileMeta>> {
        let sql = "SELECT name, file_type, oui, product_class, version, size, sha256, \
                   uploaded_ms FROM files ORDER BY name";
        fetch(&self.reads, sql, &[], rows::file).await
    }

    async fn delete_file(&self, name: &str) -> StoreResult<bool> {
        write_changed!(self, "DELETE FROM files WHERE name = $1", name)
    }

    async fn record_session(&self, session: SessionRecord) -> StoreResult<()> {
        self.writer
            .write_statement(move |c| Box::pin(writes::record_session(c, session)))
            .await
    }

    async fn list_sessions(
        &self,
        device: &DeviceId,
        limit: u64,
    ) -> StoreResult<Vec<SessionRecord>> {
        reads::list_sessions(&self.reads, device, limit).await
    }

    async fn put_credentials(&self, creds: DeviceCredentials) -> StoreResult<()> {
        self.writer
            .write(move |c| Box::pin(writes::put_credentials(c, creds)))
            .await
    }

    async fn get_credentials(&self, device: &DeviceId) -> StoreResult<Option<DeviceCredentials>> {
        let sql = "SELECT device_id, cr_username, cr_password, cpe_username, cpe_realm, \
                   cpe_ha1_md5, cpe_ha1_sha256 FROM credentials WHERE device_id = $1";
        Ok(first(
            fetch(&self.reads, sql, &[device.as_str()], rows::credentials).await?,
        ))
    }

    async fn credentials_by_cpe_username(
        &self,
        username: &str,
    ) -> StoreResult<Option<DeviceCredentials>> {
        let sql = "SELECT device_id, cr_username, cr_password, cpe_username, cpe_realm, \
                   cpe_ha1_md5, cpe_ha1_sha256 FROM credentials WHERE cpe_username = $1 \
                   ORDER BY device_id LIMIT 1";
        Ok(first(
            fetch(&self.reads, sql, &[username], rows::credentials).await?,
        ))
    }

    async fn delete_credentials(&self, device: &DeviceId) -> StoreResult<bool> {
        write_changed!(
            self,
            "DELETE FROM credentials WHERE device_id = $1",
            device.as_str()
        )
    }

    async fn try_acquire_lease(
        &self,
        device: &DeviceId,
        holder: &str,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let (device, holder) = (device.clone(), holder.to_owned());
        self.writer
            .write_statement(move |c| Box::pin(writes::try_acquire_lease(c, device, holder, ttl)))
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
            .write_statement(move |c| Box::pin(writes::renew_lease(c, device, holder, ttl)))
            .await
    }

    async fn release_lease(&self, device: &DeviceId, holder: &str) -> StoreResult<bool> {
        write_changed!(
            self,
            "DELETE FROM session_leases WHERE device_id = $1 AND holder = $2",
            device,
            holder
        )
    }

    async fn release_node_leases(&self, node: &str) -> StoreResult<u64> {
        // A prefix compare, not LIKE: a node name may contain `%` or `_`.
        let prefix = format!("{node}/");
        self.writer
            .write(move |c| {
                Box::pin(async move {
                    exec_args(
                        c,
                        "DELETE FROM session_leases WHERE substr(holder, 1, length($1)) = $1",
                        &[prefix.as_str()],
                    )
                    .await
                })
            })
            .await
    }

    async fn close(&self) {
        self.writer.shutdown().await;
        self.reads.close().await;
    }
}
