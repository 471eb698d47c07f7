//! Read operations.

use tokio_postgres::types::ToSql;

use super::conn::{Arg, Db};
use super::rows::{self, DEVICE_COLS, FAULT_COLS, TASK_COLS, get};
use crate::store::query_sql::{self, Dialect, SqlBuf};
use crate::store::{
    Device, DeviceId, DeviceQuery, FaultRecord, PresetState, SessionRecord, StoreResult, Task,
    TaskFilter, Timestamp,
};

/// Attaches tags to devices (one query for all of them).
async fn with_tags(db: Db<'_, '_>, mut devices: Vec<Device>) -> StoreResult<Vec<Device>> {
    if devices.is_empty() {
        return Ok(devices);
    }
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let tags = db
        .query(
            "SELECT device_id, tag FROM device_tags WHERE device_id = ANY($1) ORDER BY tag",
            &[&ids],
        )
        .await?;
    let index: std::collections::HashMap<String, usize> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str().to_owned(), i))
        .collect();
    for r in &tags {
        let (dev, tag): (String, String) = (get(r, 0)?, get(r, 1)?);
        if let Some(&i) = index.get(&dev) {
            devices[i].tags.push(tag);
        }
    }
    Ok(devices)
}

pub(crate) async fn get_device(db: Db<'_, '_>, id: &DeviceId) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.id = $1");
    match db.query_opt(&sql, &[&id.as_str()]).await? {
        None => Ok(None),
        Some(r) => Ok(with_tags(db, vec![rows::device(&r)?]).await?.pop()),
    }
}

/// The arguments of `buf`.
fn args(buf: &SqlBuf) -> Vec<Arg<'_>> {
    buf.args
        .iter()
        .map(|a| match a {
            query_sql::Arg::Text(t) => t as &(dyn ToSql + Sync),
            query_sql::Arg::Real(r) => r as &(dyn ToSql + Sync),
        })
        .collect()
}

pub(crate) async fn find_devices(db: Db<'_, '_>, q: &DeviceQuery) -> StoreResult<Vec<Device>> {
    let mut buf = SqlBuf::new(Dialect::Postgres);
    let clause = query_sql::device_where(q, &mut buf);
    let order = buf.order_by(&q.sort);
    let limit = q
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let skip = i64::try_from(q.skip).unwrap_or(i64::MAX);
    let n = buf.args.len();
    let sql = format!(
        "SELECT {DEVICE_COLS} FROM devices d{clause} ORDER BY {order} LIMIT ${}::int8 \
         OFFSET ${}::int8",
        n + 1,
        n + 2
    );
    let mut a = args(&buf);
    a.push(&limit);
    a.push(&skip);
    let devices = db
        .query_once(&sql, &a)
        .await?
        .iter()
        .map(rows::device)
        .collect::<StoreResult<Vec<_>>>()?;
    with_tags(db, devices).await
}

pub(crate) async fn count_devices(db: Db<'_, '_>, q: &DeviceQuery) -> StoreResult<u64> {
    let mut buf = SqlBuf::new(Dialect::Postgres);
    let clause = query_sql::device_where(q, &mut buf);
    let sql = format!("SELECT COUNT(*) FROM devices d{clause}");
    let n: i64 = match db.query_once(&sql, &args(&buf)).await?.first() {
        Some(r) => get(r, 0)?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn list_tasks(db: Db<'_, '_>, f: &TaskFilter) -> StoreResult<Vec<Task>> {
    // By device through its index; `$1 IS NULL OR device_id = $1` would scan every task.
    let by_device = if f.device.is_some() {
        "device_id = $1::text"
    } else {
        "$1::text IS NULL"
    };
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE {by_device} \
         AND ($2::text IS NULL OR status = $2::text) ORDER BY created_ms, id \
         LIMIT $3::int8 OFFSET $4::int8"
    );
    let limit = f
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let device = f.device.as_ref().map(DeviceId::as_str);
    let status = f.status.map(|s| s.as_str());
    let skip = i64::try_from(f.skip).unwrap_or(i64::MAX);
    db.rows(&sql, &[&device, &status, &limit, &skip], rows::task)
        .await
}

pub(crate) async fn due_tasks(
    db: Db<'_, '_>,
    device: &DeviceId,
    now: Timestamp,
) -> StoreResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE device_id = $1 \
         AND (status = 'pending' OR (status = 'fault' AND next_attempt_ms IS NOT NULL)) \
         AND (next_attempt_ms IS NULL OR next_attempt_ms <= $2) \
         AND (expiry_ms IS NULL OR expiry_ms > $2) ORDER BY created_ms, id"
    );
    db.rows(&sql, &[&device.as_str(), &now.as_millis()], rows::task)
        .await
}

pub(crate) async fn list_sessions(
    db: Db<'_, '_>,
    device: &DeviceId,
    limit: u64,
) -> StoreResult<Vec<SessionRecord>> {
    db.rows(
        "SELECT device_id, started_ms, ended_ms, events, rpc_count, outcome FROM sessions \
         WHERE device_id = $1 ORDER BY started_ms DESC, id DESC LIMIT $2",
        &[&device.as_str(), &i64::try_from(limit).unwrap_or(i64::MAX)],
        rows::session,
    )
    .await
}

pub(crate) async fn list_faults(
    db: Db<'_, '_>,
    device: Option<&DeviceId>,
) -> StoreResult<Vec<FaultRecord>> {
    match device {
        Some(d) => {
            let sql =
                format!("SELECT {FAULT_COLS} FROM faults WHERE device_id = $1 ORDER BY channel");
            db.rows(&sql, &[&d.as_str()], rows::fault).await
        }
        None => {
            let sql = format!("SELECT {FAULT_COLS} FROM faults ORDER BY device_id, channel");
            db.rows(&sql, &[], rows::fault).await
        }
    }
}

pub(crate) async fn preset_states(
    db: Db<'_, '_>,
    device: &DeviceId,
) -> StoreResult<Vec<PresetState>> {
    db.rows(
        "SELECT preset, streak, next_attempt_ms, download FROM preset_state \
         WHERE device_id = $1 ORDER BY preset",
        &[&device.as_str()],
        rows::preset_state,
    )
    .await
}
