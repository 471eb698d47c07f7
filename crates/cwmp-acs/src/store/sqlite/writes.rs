//! Write operations, each run by the writer inside its own savepoint; those of a single
//! statement (leases, `record_session`) need none.

use std::time::Duration;

use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::rows::{self, TASK_COLS, json_text, value_cols};
use crate::store::{
    DeviceCredentials, DeviceId, FaultInfo, FaultRecord, FileMeta, InformOutcome, InformUpdate,
    NewFault, NewTask, ParamBatch, ParamUpdate, Preset, RetryPolicy, SessionRecord, StoreError,
    StoreResult, Task, TaskStatus, Timestamp, new_object_id,
};

/// Head of the multi-row parameter upsert; `VALUES (…), (…)` and [`UPSERT_PARAMS_TAIL`]
/// follow.
const UPSERT_PARAMS_HEAD: &str = "INSERT INTO parameters (device_id, path, value, value_type, \
    writable, notification, access_list, updated_ms) ";

/// What a parameter upsert does to an existing row: absent fields keep their value.
const UPSERT_PARAMS_TAIL: &str = " ON CONFLICT (device_id, path) DO UPDATE SET \
    value = COALESCE(excluded.value, parameters.value), \
    value_type = CASE WHEN excluded.value IS NULL THEN parameters.value_type \
        ELSE excluded.value_type END, \
    writable = COALESCE(excluded.writable, parameters.writable), \
    notification = COALESCE(excluded.notification, parameters.notification), \
    access_list = COALESCE(excluded.access_list, parameters.access_list), \
    updated_ms = excluded.updated_ms";

/// Rows per upsert statement: 8 bound values each, far below SQLite's 32,766 variables.
/// One statement per chunk instead of one per parameter saves a round trip to SQLite's
/// worker thread per parameter (the most frequent write: every Inform's parameters).
const PARAM_ROWS_PER_STATEMENT: usize = 64;

pub(crate) async fn device_exists(conn: &mut SqliteConnection, id: &str) -> StoreResult<()> {
    let found = sqlx::query("SELECT 1 FROM devices WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("device {id}"))),
    }
}

/// Inserts or updates `params` of `device`, in order (a path given twice ends with its
/// last values), with one statement per [`PARAM_ROWS_PER_STATEMENT`] rows.
async fn upsert_params(
    conn: &mut SqliteConnection,
    device: &str,
    params: &[ParamUpdate],
    time: Timestamp,
) -> StoreResult<()> {
    for chunk in params.chunks(PARAM_ROWS_PER_STATEMENT) {
        let mut rows = Vec::with_capacity(chunk.len());
        for p in chunk {
            let (value, ty) = value_cols(p.value.as_ref());
            let access = p.access_list.as_ref().map(json_text).transpose()?;
            rows.push((p, value, ty, access));
        }
        let mut q = QueryBuilder::<Sqlite>::new(UPSERT_PARAMS_HEAD);
        q.push_values(rows, |mut row, (p, value, ty, access)| {
            row.push_bind(device.to_owned())
                .push_bind(p.path.clone())
                .push_bind(value)
                .push_bind(ty)
                .push_bind(p.writable)
                .push_bind(p.notification.map(i64::from))
                .push_bind(access)
                .push_bind(time.as_millis());
        });
        q.push(UPSERT_PARAMS_TAIL);
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub(crate) async fn upsert_inform(
    conn: &mut SqliteConnection,
    inf: InformUpdate,
) -> StoreResult<InformOutcome> {
    let id = inf.identity.device_id();
    let existed = sqlx::query("SELECT 1 FROM devices WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    let time = inf.time.as_millis();
    sqlx::query(
        "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, created_ms, \
         last_inform_ms, last_events, ip, connection_request_url, \
         udp_connection_request_address) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET manufacturer = excluded.manufacturer, \
         oui = excluded.oui, product_class = excluded.product_class, \
         serial_number = excluded.serial_number, last_inform_ms = excluded.last_inform_ms, \
         last_events = excluded.last_events, ip = excluded.ip, \
         connection_request_url = COALESCE(excluded.connection_request_url, \
             devices.connection_request_url), \
         udp_connection_request_address = COALESCE(excluded.udp_connection_request_address, \
             devices.udp_connection_request_address)",
    )
    .bind(id.as_str())
    .bind(&inf.identity.manufacturer)
    .bind(&inf.identity.oui)
    .bind(&inf.identity.product_class)
    .bind(&inf.identity.serial_number)
    .bind(time)
    .bind(json_text(&inf.events)?)
    .bind(&inf.ip)
    .bind(&inf.connection_request_url)
    .bind(&inf.udp_connection_request_address)
    .execute(&mut *conn)
    .await?;
    let updates: Vec<ParamUpdate> = inf
        .parameters
        .into_iter()
        .map(|p| ParamUpdate {
            path: p.path,
            value: Some(p.value),
            ..ParamUpdate::default()
        })
        .collect();
    upsert_params(conn, id.as_str(), &updates, inf.time).await?;
    Ok(InformOutcome { created: !existed })
}

pub(crate) async fn write_parameters(
    conn: &mut SqliteConnection,
    id: DeviceId,
    batch: ParamBatch,
) -> StoreResult<()> {
    device_exists(conn, id.as_str()).await?;
    for prefix in &batch.delete_prefixes {
        sqlx::query(
            "DELETE FROM parameters WHERE device_id = $1 AND substr(path, 1, length($2)) = $2",
        )
        .bind(id.as_str())
        .bind(prefix)
        .execute(&mut *conn)
        .await?;
    }
    upsert_params(conn, id.as_str(), &batch.updates, batch.time).await?;
    Ok(())
}

/// Runs a statement with `$1..` bound to `args`; returns rows affected.
pub(crate) async fn exec_args(
    conn: &mut SqliteConnection,
    sql: &'static str,
    args: &[&str],
) -> StoreResult<u64> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(*a);
    }
    Ok(q.execute(&mut *conn).await?.rows_affected())
}

pub(crate) async fn add_tag(
    conn: &mut SqliteConnection,
    id: DeviceId,
    tag: String,
) -> StoreResult<bool> {
    device_exists(conn, id.as_str()).await?;
    let n = exec_args(
        conn,
        "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        &[id.as_str(), &tag],
    )
    .await?;
    Ok(n > 0)
}

pub(crate) async fn create_task(conn: &mut SqliteConnection, t: NewTask) -> StoreResult<Task> {
    device_exists(conn, t.device.as_str()).await?;
    let sql = format!(
        "INSERT INTO tasks (id, device_id, name, payload, status, attempts, expiry_ms, \
         created_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) RETURNING {TASK_COLS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(new_object_id())
        .bind(t.device.as_str())
        .bind(&t.name)
        .bind(json_text(&t.payload)?)
        .bind(t.expiry.map(Timestamp::as_millis))
        .bind(Timestamp::now().as_millis())
        .fetch_one(&mut *conn)
        .await?;
    rows::task(&row)
}

/// Sets a task's status (done, or transferring) with its result.
pub(crate) async fn complete_task(
    conn: &mut SqliteConnection,
    id: String,
    status: TaskStatus,
    result: serde_json::Value,
) -> StoreResult<bool> {
    let n = sqlx::query(
        "UPDATE tasks SET status = $2, result = $3, next_attempt_ms = NULL WHERE id = $1",
    )
    .bind(&id)
    .bind(status.as_str())
    .bind(json_text(&result)?)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

pub(crate) async fn fault_task(
    conn: &mut SqliteConnection,
    id: String,
    fault: FaultInfo,
    policy: RetryPolicy,
) -> StoreResult<Option<Timestamp>> {
    let row = sqlx::query("SELECT attempts FROM tasks WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("task {id}")))?;
    let attempts: i64 = row.try_get(0)?;
    let attempts = u32::try_from(attempts.saturating_add(1)).unwrap_or(u32::MAX);
    let next = policy.delay(attempts).map(|d| Timestamp::now().plus(d));
    let detail = fault.detail.as_ref().map(json_text).transpose()?;
    sqlx::query(
        "UPDATE tasks SET status = 'fault', fault_code = $2, fault_message = $3, \
         fault_detail = $4, attempts = $5, next_attempt_ms = $6 WHERE id = $1",
    )
    .bind(&id)
    .bind(&fault.code)
    .bind(&fault.message)
    .bind(detail)
    .bind(i64::from(attempts))
    .bind(next.map(Timestamp::as_millis))
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

pub(crate) async fn record_fault(
    conn: &mut SqliteConnection,
    f: NewFault,
) -> StoreResult<FaultRecord> {
    device_exists(conn, f.device.as_str()).await?;
    let detail = f.fault.detail.as_ref().map(json_text).transpose()?;
    let row = sqlx::query(
        "INSERT INTO faults (device_id, channel, code, message, detail, retries, timestamp_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (device_id, channel) DO UPDATE SET \
         code = excluded.code, message = excluded.message, detail = excluded.detail, \
         retries = faults.retries + 1, timestamp_ms = excluded.timestamp_ms \
         RETURNING device_id, channel, code, message, detail, retries, timestamp_ms",
    )
    .bind(f.device.as_str())
    .bind(&f.channel)
    .bind(&f.fault.code)
    .bind(&f.fault.message)
    .bind(detail)
    .bind(Timestamp::now().as_millis())
    .fetch_one(&mut *conn)
    .await?;
    rows::fault(&row)
}

pub(crate) async fn put_preset(conn: &mut SqliteConnection, p: Preset) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO presets (name, weight, precondition, events, configuration, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET \
         weight = excluded.weight, precondition = excluded.precondition, \
         events = excluded.events, configuration = excluded.configuration, \
         updated_ms = excluded.updated_ms",
    )
    .bind(&p.name)
    .bind(p.weight)
    .bind(json_text(&p.precondition)?)
    .bind(json_text(&p.events)?)
    .bind(json_text(&p.configuration)?)
    .bind(Timestamp::now().as_millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn put_file(conn: &mut SqliteConnection, f: FileMeta) -> StoreResult<()> {
    let size = i64::try_from(f.size).map_err(|e| StoreError::Corrupt(format!("size: {e}")))?;
    sqlx::query(
        "INSERT INTO files (name, file_type, oui, product_class, version, size, sha256, \
         uploaded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET \
         file_type = excluded.file_type, oui = excluded.oui, \
         product_class = excluded.product_class, version = excluded.version, \
         size = excluded.size, sha256 = excluded.sha256, uploaded_ms = excluded.uploaded_ms",
    )
    .bind(&f.name)
    .bind(&f.file_type)
    .bind(&f.oui)
    .bind(&f.product_class)
    .bind(&f.version)
    .bind(size)
    .bind(&f.sha256)
    .bind(f.uploaded.as_millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn record_session(
    conn: &mut SqliteConnection,
    s: SessionRecord,
) -> StoreResult<()> {
    // One statement (a round trip fewer at the end of every session): the row is inserted
    // only when the device exists.
    let inserted = sqlx::query(
        "INSERT INTO sessions (id, device_id, started_ms, ended_ms, events, rpc_count, outcome) \
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM devices WHERE id = $2)",
    )
    .bind(new_object_id())
    .bind(s.device.as_str())
    .bind(s.started.as_millis())
    .bind(s.ended.as_millis())
    .bind(json_text(&s.events)?)
    .bind(i64::from(s.rpc_count))
    .bind(&s.outcome)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(StoreError::NotFound(format!("device {}", s.device)));
    }
    Ok(())
}

pub(crate) async fn put_credentials(
    conn: &mut SqliteConnection,
    c: DeviceCredentials,
) -> StoreResult<()> {
    device_exists(conn, c.device.as_str()).await?;
    sqlx::query(
        "INSERT INTO credentials (device_id, cr_username, cr_password, cpe_username, cpe_realm, \
         cpe_ha1_md5, cpe_ha1_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (device_id) DO UPDATE SET cr_username = excluded.cr_username, \
         cr_password = excluded.cr_password, cpe_username = excluded.cpe_username, \
         cpe_realm = excluded.cpe_realm, cpe_ha1_md5 = excluded.cpe_ha1_md5, \
         cpe_ha1_sha256 = excluded.cpe_ha1_sha256",
    )
    .bind(c.device.as_str())
    .bind(&c.cr_username)
    .bind(&c.cr_password)
    .bind(&c.cpe_username)
    .bind(&c.cpe_realm)
    .bind(&c.cpe_ha1_md5)
    .bind(&c.cpe_ha1_sha256)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn ttl_ms(ttl: Duration) -> i64 {
    Timestamp::now().plus(ttl).as_millis()
}

pub(crate) async fn try_acquire_lease(
    conn: &mut SqliteConnection,
    device: DeviceId,
    holder: String,
    ttl: Duration,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "INSERT INTO session_leases (device_id, holder, expires_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id) DO UPDATE SET holder = excluded.holder, \
         expires_ms = excluded.expires_ms WHERE session_leases.expires_ms <= $4 \
         RETURNING holder",
    )
    .bind(device.as_str())
    .bind(&holder)
    .bind(ttl_ms(ttl))
    .bind(Timestamp::now().as_millis())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

pub(crate) async fn renew_lease(
    conn: &mut SqliteConnection,
    device: DeviceId,
    holder: String,
    ttl: Duration,
) -> StoreResult<bool> {
    let n = sqlx::query(
        "UPDATE session_leases SET expires_ms = $3 WHERE device_id = $1 AND holder = $2",
    )
    .bind(device.as_str())
    .bind(&holder)
    .bind(ttl_ms(ttl))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}
