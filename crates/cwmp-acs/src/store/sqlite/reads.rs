//! Read operations, run on a read connection.

use std::sync::LazyLock;

use rusqlite::{Connection, ToSql};

use super::conn::{query, query_opt};
use super::rows::{self, DEVICE_COLS, TASK_COLS};
use crate::store::query_sql::{Arg, Dialect, SqlBuf, device_where};
use crate::store::{
    Device, DeviceId, DeviceQuery, FaultRecord, SessionRecord, StoreResult, Task, TaskFilter,
    Timestamp,
};

/// Attaches tags to devices (one query for all of them).
fn with_tags(conn: &Connection, mut devices: Vec<Device>) -> StoreResult<Vec<Device>> {
    if devices.is_empty() {
        return Ok(devices);
    }
    let marks: Vec<String> = (1..=devices.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT device_id, tag FROM device_tags WHERE device_id IN ({}) ORDER BY tag",
        marks.join(", ")
    );
    let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
    let args: Vec<&dyn ToSql> = ids.iter().map(|id| id as &dyn ToSql).collect();
    let tags = query(conn, &sql, &args, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for (dev, tag) in tags {
        if let Some(d) = devices.iter_mut().find(|d| d.id.as_str() == dev) {
            d.tags.push(tag);
        }
    }
    Ok(devices)
}

pub(crate) fn get_device(conn: &Connection, id: &DeviceId) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.id = $1");
    match query_opt(conn, &sql, &[&id.as_str()], rows::device)? {
        None => Ok(None),
        Some(d) => Ok(with_tags(conn, vec![d])?.pop()),
    }
}

/// The arguments of `buf`, for [`query`].
fn arg_refs(buf: &SqlBuf) -> Vec<&dyn ToSql> {
    buf.args
        .iter()
        .map(|a| match a {
            Arg::Text(t) => t as &dyn ToSql,
            Arg::Real(r) => r as &dyn ToSql,
        })
        .collect()
}

pub(crate) fn find_devices(conn: &Connection, q: &DeviceQuery) -> StoreResult<Vec<Device>> {
    let mut buf = SqlBuf::new(Dialect::Sqlite);
    let clause = device_where(q, &mut buf);
    let order = buf.order_by(&q.sort);
    let limit = q
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let skip = i64::try_from(q.skip).unwrap_or(i64::MAX);
    let n = buf.args.len();
    let sql = format!(
        "SELECT {DEVICE_COLS} FROM devices d{clause} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut args = arg_refs(&buf);
    args.push(&limit);
    args.push(&skip);
    let devices = query(conn, &sql, &args, rows::device)?;
    with_tags(conn, devices)
}

pub(crate) fn count_devices(conn: &Connection, q: &DeviceQuery) -> StoreResult<u64> {
    let mut buf = SqlBuf::new(Dialect::Sqlite);
    let clause = device_where(q, &mut buf);
    let sql = format!("SELECT COUNT(*) FROM devices d{clause}");
    let n = query_opt(conn, &sql, &arg_refs(&buf), |r| Ok(r.get::<_, i64>(0)?))?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

pub(crate) fn list_tasks(conn: &Connection, f: &TaskFilter) -> StoreResult<Vec<Task>> {
    // By device through its index; `$1 IS NULL OR device_id = $1` would scan every task.
    let by_device = if f.device.is_some() {
        "device_id = $1"
    } else {
        "$1 IS NULL"
    };
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE {by_device} \
         AND ($2 IS NULL OR status = $2) ORDER BY created_ms, id LIMIT $3 OFFSET $4"
    );
    let limit = f
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let device = f.device.as_ref().map(DeviceId::as_str);
    let status = f.status.map(|s| s.as_str());
    let skip = i64::try_from(f.skip).unwrap_or(i64::MAX);
    query(conn, &sql, &[&device, &status, &limit, &skip], rows::task)
}

pub(crate) fn due_tasks(
    conn: &Connection,
    device: &DeviceId,
    now: Timestamp,
) -> StoreResult<Vec<Task>> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {TASK_COLS} FROM tasks WHERE device_id = $1 \
             AND (status = 'pending' OR (status = 'fault' AND next_attempt_ms IS NOT NULL)) \
             AND (next_attempt_ms IS NULL OR next_attempt_ms <= $2) \
             AND (expiry_ms IS NULL OR expiry_ms > $2) ORDER BY created_ms, id"
        )
    });
    query(
        conn,
        &SQL,
        &[&device.as_str(), &now.as_millis()],
        rows::task,
    )
}

pub(crate) fn list_sessions(
    conn: &Connection,
    device: &DeviceId,
    limit: u64,
) -> StoreResult<Vec<SessionRecord>> {
    query(
        conn,
        "SELECT device_id, started_ms, ended_ms, events, rpc_count, outcome FROM sessions \
         WHERE device_id = $1 ORDER BY started_ms DESC, id DESC LIMIT $2",
        &[&device.as_str(), &i64::try_from(limit).unwrap_or(i64::MAX)],
        rows::session,
    )
}

/// Open faults, of one device or all, by device and channel.
pub(crate) fn list_faults(
    conn: &Connection,
    device: Option<&DeviceId>,
) -> StoreResult<Vec<FaultRecord>> {
    // Two statements rather than `$1 IS NULL OR device_id = $1`, which no index serves.
    match device {
        Some(d) => query(
            conn,
            "SELECT device_id, channel, code, message, detail, retries, timestamp_ms \
             FROM faults WHERE device_id = $1 ORDER BY channel",
            &[&d.as_str()],
            rows::fault,
        ),
        None => query(
            conn,
            "SELECT device_id, channel, code, message, detail, retries, timestamp_ms \
             FROM faults ORDER BY device_id, channel",
            &[],
            rows::fault,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::Limits;
    use crate::store::DeviceFilter;

    /// The plan of the device listing for the GenieACS query `json`.
    fn plan(json: &str) -> String {
        let mut conn = Connection::open_in_memory().expect("db");
        super::super::migrations::run(&mut conn).expect("migrate");
        let parsed = crate::query::parse_text(json, &Limits::default()).expect("query");
        let q = DeviceQuery {
            filters: vec![DeviceFilter::Matches(parsed)],
            limit: Some(10),
            ..DeviceQuery::default()
        };
        let mut buf = SqlBuf::new(Dialect::Sqlite);
        let clause = device_where(&q, &mut buf);
        let order = buf.order_by(&q.sort);
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT {DEVICE_COLS} FROM devices d{clause} ORDER BY {order} LIMIT 10"
        );
        query(&conn, &sql, &arg_refs(&buf), |r| Ok(r.get::<_, String>(3)?))
            .expect("plan")
            .join("\n")
    }

    #[test]
    fn a_query_on_a_parameter_value_uses_the_path_value_index() {
        let p = plan(r#"{"Device.DeviceInfo.SoftwareVersion": "1.0"}"#);
        assert!(p.contains("parameters_path_value"), "{p}");
        assert!(!p.contains("SCAN d"), "no scan of every device: {p}");
        let p = plan(r#"{"Device.DeviceInfo.SoftwareVersion": {"$in": ["1.0", "2.0"]}}"#);
        assert!(p.contains("parameters_path_value"), "{p}");
    }
}
