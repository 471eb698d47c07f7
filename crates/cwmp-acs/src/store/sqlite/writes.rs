//! Write operations, each run by the writer inside its own savepoint.

use std::time::Duration;

use rusqlite::Connection;

use super::conn::{execute, query_opt, run};
use super::inform;
use super::rows::{self, TASK_COLS, json_text, value_cols};
use crate::store::{
    DeviceCredentials, DeviceId, FaultInfo, FaultRecord, FileMeta, NewFault, NewTask, ParamBatch,
    ParamUpdate, Preset, RetryPolicy, SESSIONS_KEPT, SessionRecord, StoreError, StoreResult,
    TASK_CHANNEL_PREFIX, Task, Timestamp, new_object_id, task_fault_channel,
};

/// Inserts or updates one parameter: absent fields keep their stored value.
const UPSERT_PARAM: &str = "INSERT INTO parameters (device_id, path, value, value_type, \
    writable, notification, access_list, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
    ON CONFLICT (device_id, path) DO UPDATE SET \
    value = COALESCE(excluded.value, parameters.value), \
    value_type = CASE WHEN excluded.value IS NULL THEN parameters.value_type \
        ELSE excluded.value_type END, \
    writable = COALESCE(excluded.writable, parameters.writable), \
    notification = COALESCE(excluded.notification, parameters.notification), \
    access_list = COALESCE(excluded.access_list, parameters.access_list), \
    updated_ms = excluded.updated_ms";

pub(crate) fn device_exists(conn: &Connection, id: &str) -> StoreResult<()> {
    match query_opt(conn, "SELECT 1 FROM devices WHERE id = $1", &[&id], |_| {
        Ok(())
    })? {
        Some(()) => Ok(()),
        None => Err(StoreError::NotFound(format!("device {id}"))),
    }
}

/// Inserts or updates `params` of `device`, in order (a path given twice ends with its
/// last values), with one prepared statement.
fn upsert_params(
    conn: &Connection,
    device: &str,
    params: &[ParamUpdate],
    time: Timestamp,
) -> StoreResult<()> {
    let time = time.as_millis();
    let mut stmt = conn.prepare_cached(UPSERT_PARAM)?;
    for p in params {
        let (value, ty) = value_cols(p.value.as_ref());
        let access = p.access_list.as_ref().map(json_text).transpose()?;
        run(
            &mut stmt,
            &[
                &device,
                &p.path,
                &value,
                &ty,
                &p.writable,
                &p.notification.map(i64::from),
                &access,
                &time,
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn write_parameters(
    conn: &Connection,
    id: &DeviceId,
    batch: &ParamBatch,
) -> StoreResult<()> {
    inform::forget_digest(conn, id.as_str())?;
    for prefix in &batch.delete_prefixes {
        execute(
            conn,
            "DELETE FROM parameters WHERE device_id = $1 AND substr(path, 1, length($2)) = $2",
            &[&id.as_str(), prefix],
        )?;
    }
    for path in &batch.delete_paths {
        execute(
            conn,
            "DELETE FROM parameters WHERE device_id = $1 AND path = $2",
            &[&id.as_str(), path],
        )?;
    }
    upsert_params(conn, id.as_str(), &batch.updates, batch.time)
}

pub(crate) fn add_tag(conn: &Connection, id: &DeviceId, tag: &str) -> StoreResult<bool> {
    device_exists(conn, id.as_str())?;
    let n = execute(
        conn,
        "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[&id.as_str(), &tag],
    )?;
    Ok(n > 0)
}

pub(crate) fn create_task(conn: &Connection, t: &NewTask) -> StoreResult<Task> {
    device_exists(conn, t.device.as_str())?;
    let sql = format!(
        "INSERT INTO tasks (id, device_id, name, payload, status, attempts, expiry_ms, \
         created_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) RETURNING {TASK_COLS}"
    );
    query_opt(
        conn,
        &sql,
        &[
            &new_object_id(),
            &t.device.as_str(),
            &t.spec.name(),
            &json_text(&t.spec.to_json())?,
            &t.expiry.map(Timestamp::as_millis),
            &Timestamp::now().as_millis(),
        ],
        rows::task,
    )?
    .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))
}

/// Marks a task as waiting for its TransferComplete, with its result so far.
pub(crate) fn mark_task_transferring(
    conn: &Connection,
    id: &str,
    result: &serde_json::Value,
) -> StoreResult<bool> {
    let n = execute(
        conn,
        "UPDATE tasks SET status = 'transferring', result = $2, next_attempt_ms = NULL \
         WHERE id = $1",
        &[&id, &json_text(result)?],
    )?;
    Ok(n > 0)
}

/// Removes the fault a task may have open on its device's `task_<id>` channel.
fn clear_task_fault(conn: &Connection, device: &str, id: &str) -> StoreResult<()> {
    execute(
        conn,
        "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
        &[&device, &task_fault_channel(id)],
    )?;
    Ok(())
}

/// The device of task `id`, if the task exists.
fn task_device(conn: &Connection, id: &str) -> StoreResult<Option<String>> {
    query_opt(
        conn,
        "SELECT device_id FROM tasks WHERE id = $1",
        &[&id],
        |r| Ok(r.get::<_, String>(0)?),
    )
}

/// Deletes a task (completed, or deleted through the API) with its open fault.
pub(crate) fn delete_task(conn: &Connection, id: &str) -> StoreResult<bool> {
    let Some(device) = task_device(conn, id)? else {
        return Ok(false);
    };
    clear_task_fault(conn, &device, id)?;
    execute(conn, "DELETE FROM tasks WHERE id = $1", &[&id])?;
    Ok(true)
}

/// Makes a faulted task pending again at once and closes its fault.
pub(crate) fn retry_task(conn: &Connection, id: &str) -> StoreResult<bool> {
    let n = execute(
        conn,
        "UPDATE tasks SET status = 'pending', attempts = 0, interrupted = 0, next_attempt_ms = NULL, \
         fault_code = NULL, fault_message = NULL, fault_detail = NULL \
         WHERE id = $1 AND status = 'fault'",
        &[&id],
    )?;
    if n > 0
        && let Some(device) = task_device(conn, id)?
    {
        clear_task_fault(conn, &device, id)?;
    }
    Ok(n > 0)
}

/// Deletes a fault; the fault of a task (`task_<id>`) makes the task pending again, as
/// GenieACS runs any task that has no fault.
pub(crate) fn delete_fault(
    conn: &Connection,
    device: &DeviceId,
    channel: &str,
) -> StoreResult<bool> {
    let n = execute(
        conn,
        "DELETE FROM faults WHERE device_id = $1 AND channel = $2",
        &[&device.as_str(), &channel],
    )?;
    if let Some(task) = channel.strip_prefix(TASK_CHANNEL_PREFIX) {
        execute(
            conn,
            "DELETE FROM tasks WHERE id = $1 AND device_id = $2",
            &[&task, &device.as_str()],
        )?;
    }
    Ok(n > 0)
}

pub(crate) fn fault_task(
    conn: &Connection,
    id: &str,
    fault: &FaultInfo,
    policy: RetryPolicy,
) -> StoreResult<Option<Timestamp>> {
    let (device, attempts) = query_opt(
        conn,
        "SELECT device_id, attempts FROM tasks WHERE id = $1",
        &[&id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?
    .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?;
    let attempts = u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX);
    let next = policy.delay(attempts).map(|d| Timestamp::now().plus(d));
    let detail = fault.detail.as_ref().map(json_text).transpose()?;
    execute(
        conn,
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
    )?;
    record_fault(
        conn,
        &NewFault {
            device: DeviceId::from_escaped(device),
            channel: task_fault_channel(id),
            fault: fault.clone(),
        },
    )?;
    Ok(next)
}

pub(crate) fn record_fault(conn: &Connection, f: &NewFault) -> StoreResult<FaultRecord> {
    device_exists(conn, f.device.as_str())?;
    let detail = f.fault.detail.as_ref().map(json_text).transpose()?;
    query_opt(
        conn,
        "INSERT INTO faults (device_id, channel, code, message, detail, retries, timestamp_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (device_id, channel) DO UPDATE SET \
         code = excluded.code, message = excluded.message, detail = excluded.detail, \
         retries = faults.retries + 1, timestamp_ms = excluded.timestamp_ms \
         RETURNING device_id, channel, code, message, detail, retries, timestamp_ms",
        &[
            &f.device.as_str(),
            &f.channel,
            &f.fault.code,
            &f.fault.message,
            &detail,
            &Timestamp::now().as_millis(),
        ],
        rows::fault,
    )?
    .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))
}

pub(crate) fn put_preset(conn: &Connection, p: &Preset) -> StoreResult<()> {
    execute(
        conn,
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
    )?;
    Ok(())
}

pub(crate) fn put_file(conn: &Connection, f: &FileMeta) -> StoreResult<()> {
    let size = i64::try_from(f.size).map_err(|e| StoreError::Corrupt(format!("size: {e}")))?;
    execute(
        conn,
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
    )?;
    Ok(())
}

/// Appends a finished session to its device's history: counts it, then writes it into its
/// slot ([`write_session_slot`]).
pub(crate) fn record_session(conn: &Connection, s: &SessionRecord) -> StoreResult<()> {
    let n = execute(
        conn,
        "UPDATE devices SET session_count = session_count + 1 WHERE id = $1",
        &[&s.device.as_str()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("device {}", s.device)));
    }
    write_session_slot(conn, s)
}

/// Writes a session already counted (by [`record_session`], or by the Inform that began
/// it) into its device's ring of [`SESSIONS_KEPT`] slots (migration 7): slot
/// `(session_count - 1) % SESSIONS_KEPT`, overwritten in place. Two sessions of one device
/// that overlapped (a lease expired under a live one) share a slot: the later end stays.
pub(crate) fn write_session_slot(conn: &Connection, s: &SessionRecord) -> StoreResult<()> {
    let written = execute(
        conn,
        "INSERT INTO sessions (device_id, slot, id, started_ms, ended_ms, events, rpc_count, \
         outcome) SELECT id, (session_count + $8 - 1) % $8, $2, $3, $4, $5, $6, $7 \
         FROM devices WHERE id = $1 ON CONFLICT (device_id, slot) DO UPDATE SET \
         id = excluded.id, started_ms = excluded.started_ms, ended_ms = excluded.ended_ms, \
         events = excluded.events, rpc_count = excluded.rpc_count, outcome = excluded.outcome",
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
    )?;
    match written {
        0 => Err(StoreError::NotFound(format!("device {}", s.device))),
        _ => Ok(()),
    }
}

pub(crate) fn put_credentials(conn: &Connection, c: &DeviceCredentials) -> StoreResult<()> {
    device_exists(conn, c.device.as_str())?;
    execute(
        conn,
        "INSERT INTO credentials (device_id, cr_username, cr_password, cpe_username, cpe_realm, \
         cpe_ha1_md5, cpe_ha1_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7) \
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
    )?;
    Ok(())
}

fn ttl_ms(ttl: Duration) -> i64 {
    Timestamp::now().plus(ttl).as_millis()
}

pub(crate) fn try_acquire_lease(
    conn: &Connection,
    device: &DeviceId,
    holder: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    // `changes()` rather than RETURNING, which would need a temporary table: the upsert
    // changes no row when a live lease of another holder stands.
    let n = execute(
        conn,
        "INSERT INTO session_leases (device_id, holder, expires_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id) DO UPDATE SET holder = excluded.holder, \
         expires_ms = excluded.expires_ms WHERE session_leases.expires_ms <= $4",
        &[
            &device.as_str(),
            &holder,
            &ttl_ms(ttl),
            &Timestamp::now().as_millis(),
        ],
    )?;
    Ok(n > 0)
}

pub(crate) fn renew_lease(
    conn: &Connection,
    device: &DeviceId,
    holder: &str,
    ttl: Duration,
) -> StoreResult<bool> {
    let n = execute(
        conn,
        "UPDATE session_leases SET expires_ms = $3 WHERE device_id = $1 AND holder = $2",
        &[&device.as_str(), &holder, &ttl_ms(ttl)],
    )?;
    Ok(n > 0)
}
