//! Write operations, each given the transaction it runs in.

use std::collections::HashMap;
use std::time::Duration;

use super::conn::Db;
use super::inform;
use super::rows::{self, FAULT_COLS, TASK_COLS, get};
use crate::store::codec::{json_text, value_cols};
use crate::store::{
    DeviceCredentials, DeviceId, FaultInfo, FaultRecord, FileMeta, NewFault, NewTask, ParamBatch,
    ParamUpdate, Preset, PresetState, RetryPolicy, SESSIONS_KEPT, SessionRecord, StoreError,
    StoreResult, TASK_CHANNEL_PREFIX, Task, Timestamp, new_object_id, task_fault_channel,
};

/// The database's clock in Unix milliseconds: leases are compared on one clock for every
/// node, whatever their own clocks say.
pub(crate) const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// [`StoreError::NotFound`] unless the device exists; locks its row against deletion
/// until the transaction ends.
pub(crate) async fn device_exists(db: Db<'_, '_>, id: &str) -> StoreResult<()> {
    match db
        .query_opt("SELECT 1 FROM devices WHERE id = $1 FOR KEY SHARE", &[&id])
        .await?
    {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("device {id}"))),
    }
}

/// `updates` with each path once, as applying them in order would leave it: a later
/// field replaces an earlier one, an absent field keeps it.
fn merged(updates: &[ParamUpdate]) -> Vec<ParamUpdate> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<ParamUpdate> = Vec::new();
    for u in updates {
        match index.get(u.path.as_str()) {
            Some(&i) => {
                let m = &mut out[i];
                if u.value.is_some() {
                    m.value.clone_from(&u.value);
                }
                if u.writable.is_some() {
                    m.writable = u.writable;
                }
                if u.notification.is_some() {
                    m.notification = u.notification;
                }
                if u.access_list.is_some() {
                    m.access_list.clone_from(&u.access_list);
                }
            }
            None => {
                index.insert(&u.path, out.len());
                out.push(u.clone());
            }
        }
    }
    out
}

/// Inserts or updates parameter rows in one statement: absent fields keep what is stored.
async fn upsert_params(
    db: Db<'_, '_>,
    device: &str,
    updates: &[ParamUpdate],
    time: Timestamp,
) -> StoreResult<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let updates = merged(updates);
    let n = updates.len();
    let (mut paths, mut values, mut types) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut writable, mut notification, mut access) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for u in &updates {
        let (value, ty) = value_cols(u.value.as_ref());
        paths.push(u.path.as_str());
        values.push(value);
        types.push(ty);
        writable.push(u.writable);
        notification.push(u.notification.map(i64::from));
        access.push(u.access_list.as_ref().map(json_text).transpose()?);
    }
    db.execute(
        "INSERT INTO parameters (device_id, path, value, value_type, writable, notification, \
         access_list, updated_ms) \
         SELECT $1, p, v, t, w, n, a, $8 FROM unnest($2::text[], $3::text[], $4::text[], \
         $5::bool[], $6::int8[], $7::text[]) AS u(p, v, t, w, n, a) \
         ON CONFLICT (device_id, path) DO UPDATE SET \
         value = COALESCE(excluded.value, parameters.value), \
         value_type = CASE WHEN excluded.value IS NULL THEN parameters.value_type \
             ELSE excluded.value_type END, \
         writable = COALESCE(excluded.writable, parameters.writable), \
         notification = COALESCE(excluded.notification, parameters.notification), \
         access_list = COALESCE(excluded.access_list, parameters.access_list), \
         updated_ms = excluded.updated_ms",
        &[
            &device,
            &paths,
            &values,
            &types,
            &writable,
            &notification,
            &access,
            &time.as_millis(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn write_parameters(
    db: Db<'_, '_>,
    id: &DeviceId,
    batch: &ParamBatch,
) -> StoreResult<()> {
    inform::forget_digest(db, id.as_str()).await?;
    if !batch.delete_prefixes.is_empty() {
        db.execute(
            "DELETE FROM parameters WHERE device_id = $1 \
             AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS pre(x) WHERE starts_with(path, x))",
            &[&id.as_str(), &batch.delete_prefixes],
        )
        .await?;
    }
    if !batch.delete_paths.is_empty() {
        db.execute(
            "DELETE FROM parameters WHERE device_id = $1 AND path = ANY($2)",
            &[&id.as_str(), &batch.delete_paths],
        )
        .await?;
    }
    upsert_params(db, id.as_str(), &batch.updates, batch.time).await
}

pub(crate) async fn add_tag(db: Db<'_, '_>, id: &DeviceId, tag: &str) -> StoreResult<bool> {
    device_exists(db, id.as_str()).await?;
    let n = db
        .execute(
            "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&id.as_str(), &tag],
        )
        .await?;
    Ok(n > 0)
}

pub(crate) async fn create_task(db: Db<'_, '_>, t: &NewTask) -> StoreResult<Task> {
    let sql = format!(
        "INSERT INTO tasks (id, device_id, name, payload, status, attempts, expiry_ms, \
         created_ms) SELECT $1, id, $3, $4, 'pending', 0, $5, $6 FROM devices WHERE id = $2 \
         RETURNING {TASK_COLS}"
    );
    let row = db
        .query_opt(
            &sql,
            &[
                &new_object_id(),
                &t.device.as_str(),
                &t.spec.name(),
                &json_text(&t.spec.to_json())?,
                &t.expiry.map(Timestamp::as_millis),
                &Timestamp::now().as_millis(),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("device {}", t.device)))?;
    rows::task(&row)
}

pub(crate) async fn mark_task_transferring(
    db: Db<'_, '_>,
    id: &str,
    result: &serde_json::Value,
) -> StoreResult<bool> {
    let n = db
        .execute(
            "UPDATE tasks SET status = 'transferring', result = $2, next_attempt_ms = NULL \
             WHERE id = $1",
            &[&id, &json_text(result)?],
        )
        .await?;
    Ok(n > 0)
}

/// Deletes a task (completed, or deleted through the API) with its open fault.
pub(crate) async fn delete_task(db: Db<'_, '_>, id: &str) -> StoreResult<bool> {
    let Some(row) = db
        .query_opt(
            "DELETE FROM tasks WHERE id = $1 RETURNING device_id",
            &[&id],
        )
        .await?
    else {
        return Ok(false);
    };
    let device: String = get(&row, 0)?;
    db.execute(
        "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
        &[&device, &task_fault_channel(id)],
    )
    .await?;
    Ok(true)
}

/// Makes a faulted task pending again at once and closes its fault.
pub(crate) async fn retry_task(db: Db<'_, '_>, id: &str) -> StoreResult<bool> {
    let Some(row) = db
        .query_opt(
            "UPDATE tasks SET status = 'pending', attempts = 0, interrupted = 0, next_attempt_ms = NULL, \
             fault_code = NULL, fault_message = NULL, fault_detail = NULL \
             WHERE id = $1 AND status = 'fault' RETURNING device_id",
            &[&id],
        )
        .await?
    else {
        return Ok(false);
    };
    let device: String = get(&row, 0)?;
    db.execute(
        "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
        &[&device, &task_fault_channel(id)],
    )
    .await?;
    Ok(true)
}

/// Deletes a fault; the fault of a task (`task_<id>`) makes the task pending again.
pub(crate) async fn delete_fault(
    db: Db<'_, '_>,
    device: &DeviceId,
    channel: &str,
) -> StoreResult<bool> {
    let n = db
        .execute(
            "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
            &[&device.as_str(), &channel],
        )
        .await?;
    if let Some(task) = channel.strip_prefix(TASK_CHANNEL_PREFIX) {
        db.execute(
            "DELETE FROM tasks WHERE id = $1 AND device_id = $2",
            &[&task, &device.as_str()],
        )
        .await?;
    }
    Ok(n > 0)
}

pub(crate) async fn fault_task(
    db: Db<'_, '_>,
    id: &str,
    fault: &FaultInfo,
    policy: RetryPolicy,
) -> StoreResult<Option<Timestamp>> {
    let row = db
        .query_opt(
            "SELECT device_id, attempts FROM tasks WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?;
    let device: String = get(&row, 0)?;
    let attempts: i64 = get(&row, 1)?;
    let attempts = u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX);
    let next = policy.delay(attempts).map(|d| Timestamp::now().plus(d));
    let detail = fault.detail.as_ref().map(json_text).transpose()?;
    db.execute(
        "UPDATE tasks SET status = 'fault', fault_code = $2, fault_message = $3, \
         fault_detail = $4, attempts = $5, next_attempt_ms = $6 WHERE id = $1",
        &[
            &id,
            &fault.code,
            &fault.message,
            &detail,
            &i64::from(attempts),
            &next.map(Timestamp::as_millis),
        ],
    )
    .await?;
    record_fault(
        db,
        &NewFault {
            device: DeviceId::from_escaped(device),
            channel: task_fault_channel(id),
            fault: fault.clone(),
        },
    )
    .await?;
    Ok(next)
}

pub(crate) async fn record_fault(db: Db<'_, '_>, f: &NewFault) -> StoreResult<FaultRecord> {
    let detail = f.fault.detail.as_ref().map(json_text).transpose()?;
    let sql = format!(
        "INSERT INTO faults (device_id, channel, code, message, detail, retries, timestamp_ms) \
         SELECT id, $2, $3, $4, $5, 0, $6 FROM devices WHERE id = $1 \
         ON CONFLICT (device_id, channel) DO UPDATE SET \
         code = excluded.code, message = excluded.message, detail = excluded.detail, \
         retries = faults.retries + 1, timestamp_ms = excluded.timestamp_ms \
         RETURNING {FAULT_COLS}"
    );
    let row = db
        .query_opt(
            &sql,
            &[
                &f.device.as_str(),
                &f.channel,
                &f.fault.code,
                &f.fault.message,
                &detail,
                &Timestamp::now().as_millis(),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("device {}", f.device)))?;
    rows::fault(&row)
}

pub(crate) async fn put_preset(db: Db<'_, '_>, p: &Preset) -> StoreResult<()> {
    db.execute(
        "INSERT INTO presets (name, weight, precondition, events, configuration, updated_ms, \
         channel, schedule) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (name) DO UPDATE SET \
         weight = excluded.weight, precondition = excluded.precondition, \
         events = excluded.events, configuration = excluded.configuration, \
         updated_ms = excluded.updated_ms, channel = excluded.channel, \
         schedule = excluded.schedule",
        &[
            &p.name,
            &p.weight,
            &json_text(&p.precondition)?,
            &json_text(&p.events)?,
            &json_text(&p.configuration)?,
            &Timestamp::now().as_millis(),
            &p.channel,
            &p.schedule,
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn put_file(db: Db<'_, '_>, f: &FileMeta) -> StoreResult<()> {
    let size = i64::try_from(f.size).map_err(|e| StoreError::Corrupt(format!("size: {e}")))?;
    db.execute(
        "INSERT INTO files (name, file_type, oui, product_class, version, size, sha256, \
         uploaded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET \
         file_type = excluded.file_type, oui = excluded.oui, \
         product_class = excluded.product_class, version = excluded.version, \
         size = excluded.size, sha256 = excluded.sha256, uploaded_ms = excluded.uploaded_ms",
        &[
            &f.name,
            &f.file_type,
            &f.oui,
            &f.product_class,
            &f.version,
            &size,
            &f.sha256,
            &f.uploaded.as_millis(),
        ],
    )
    .await?;
    Ok(())
}

/// Appends a finished session: counts it, then writes it into its slot.
pub(crate) async fn record_session(db: Db<'_, '_>, s: &SessionRecord) -> StoreResult<()> {
    let n = db
        .execute(
            "UPDATE devices SET session_count = session_count + 1 WHERE id = $1",
            &[&s.device.as_str()],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("device {}", s.device)));
    }
    write_session_slot(db, s).await
}

/// Writes a session already counted into its device's ring of [`SESSIONS_KEPT`] slots:
/// slot `(session_count - 1) % SESSIONS_KEPT`, overwritten in place.
pub(crate) async fn write_session_slot(db: Db<'_, '_>, s: &SessionRecord) -> StoreResult<()> {
    let written = db
        .execute(
            "INSERT INTO sessions (device_id, slot, id, started_ms, ended_ms, events, \
             rpc_count, outcome) SELECT id, (session_count + $8 - 1) % $8, $2, $3, $4, $5, $6, \
             $7 FROM devices WHERE id = $1 ON CONFLICT (device_id, slot) DO UPDATE SET \
             id = excluded.id, started_ms = excluded.started_ms, \
             ended_ms = excluded.ended_ms, events = excluded.events, \
             rpc_count = excluded.rpc_count, outcome = excluded.outcome",
            &[
                &s.device.as_str(),
                &new_object_id(),
                &s.started.as_millis(),
                &s.ended.as_millis(),
                &json_text(&s.events)?,
                &i64::from(s.rpc_count),
                &s.outcome,
                &i64::from(SESSIONS_KEPT),
            ],
        )
        .await?;
    match written {
        0 => Err(StoreError::NotFound(format!("device {}", s.device))),
        _ => Ok(()),
    }
}

pub(crate) async fn put_credentials(db: Db<'_, '_>, c: &DeviceCredentials) -> StoreResult<()> {
    let n = db
        .execute(
            "INSERT INTO credentials (device_id, cr_username, cr_password, cpe_username, \
             cpe_realm, cpe_ha1_md5, cpe_ha1_sha256) \
             SELECT id, $2, $3, $4, $5, $6, $7 FROM devices WHERE id = $1 \
             ON CONFLICT (device_id) DO UPDATE SET cr_username = excluded.cr_username, \
             cr_password = excluded.cr_password, cpe_username = excluded.cpe_username, \
             cpe_realm = excluded.cpe_realm, cpe_ha1_md5 = excluded.cpe_ha1_md5, \
             cpe_ha1_sha256 = excluded.cpe_ha1_sha256",
            &[
                &c.device.as_str(),
                &c.cr_username,
                &c.cr_password,
                &c.cpe_username,
                &c.cpe_realm,
                &c.cpe_ha1_md5,
                &c.cpe_ha1_sha256,
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("device {}", c.device)));
    }
    Ok(())
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Takes the lease when there is none or it expired, on the database's clock.
pub(crate) async fn try_acquire_lease(
    db: Db<'_, '_>,
    device: &DeviceId,
    holder: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    let sql = format!(
        "INSERT INTO session_leases (device_id, holder, expires_ms) VALUES ($1, $2, {DB_NOW_MS} + $3) \
         ON CONFLICT (device_id) DO UPDATE SET holder = excluded.holder, \
         expires_ms = excluded.expires_ms WHERE session_leases.expires_ms <= {DB_NOW_MS}"
    );
    let n = db
        .execute(&sql, &[&device.as_str(), &holder, &ttl_ms(ttl)])
        .await?;
    Ok(n > 0)
}

pub(crate) async fn renew_lease(
    db: Db<'_, '_>,
    device: &DeviceId,
    holder: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE session_leases SET expires_ms = {DB_NOW_MS} + $3 \
         WHERE device_id = $1 AND holder = $2"
    );
    let n = db
        .execute(&sql, &[&device.as_str(), &holder, &ttl_ms(ttl)])
        .await?;
    Ok(n > 0)
}

/// Replaces the device's preset bookkeeping.
pub(crate) async fn replace_preset_states(
    db: Db<'_, '_>,
    device: &DeviceId,
    states: &[PresetState],
) -> StoreResult<()> {
    device_exists(db, device.as_str()).await?;
    db.execute(
        "DELETE FROM preset_state WHERE device_id = $1",
        &[&device.as_str()],
    )
    .await?;
    if states.is_empty() {
        return Ok(());
    }
    let presets: Vec<&str> = states.iter().map(|s| s.preset.as_str()).collect();
    let streaks: Vec<i64> = states.iter().map(|s| i64::from(s.streak)).collect();
    let next: Vec<Option<i64>> = states
        .iter()
        .map(|s| s.next_attempt.map(Timestamp::as_millis))
        .collect();
    let downloads: Vec<Option<&str>> = states.iter().map(|s| s.download.as_deref()).collect();
    db.execute(
        "INSERT INTO preset_state (device_id, preset, streak, next_attempt_ms, download) \
         SELECT $1, p, s, n, d FROM unnest($2::text[], $3::int8[], $4::int8[], $5::text[]) \
         AS u(p, s, n, d)",
        &[&device.as_str(), &presets, &streaks, &next, &downloads],
    )
    .await?;
    Ok(())
}
