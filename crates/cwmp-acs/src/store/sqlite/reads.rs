//! Read operations on the read pool.

use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, SqlitePool};

use super::query_sql::{Arg, SqlBuf};
use super::rows::{self, DEVICE_COLS, TASK_COLS};
use crate::store::{
    Device, DeviceFilter, DeviceId, DeviceQuery, SessionRecord, StoreResult, Task, TaskFilter,
    Timestamp,
};

/// Attaches tags to devices (one query for all of them).
async fn with_tags(pool: &SqlitePool, mut devices: Vec<Device>) -> StoreResult<Vec<Device>> {
    if devices.is_empty() {
        return Ok(devices);
    }
    let marks: Vec<String> = (1..=devices.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT device_id, tag FROM device_tags WHERE device_id IN ({}) ORDER BY tag",
        marks.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for d in &devices {
        q = q.bind(d.id.as_str().to_owned());
    }
    let tags = q.fetch_all(pool).await?;
    for r in tags {
        let dev: String = r.try_get(0)?;
        let tag: String = r.try_get(1)?;
        if let Some(d) = devices.iter_mut().find(|d| d.id.as_str() == dev) {
            d.tags.push(tag);
        }
    }
    Ok(devices)
}

pub(crate) async fn get_device(pool: &SqlitePool, id: &DeviceId) -> StoreResult<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLS} FROM devices d WHERE d.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id.as_str().to_owned())
        .fetch_optional(pool)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(with_tags(pool, vec![rows::device(&r)?]).await?.pop()),
    }
}

/// `WHERE` clause of a device query, its arguments collected in `buf`.
fn where_clause(q: &DeviceQuery, buf: &mut SqlBuf) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    let next = |v: &str, buf: &mut SqlBuf| {
        buf.args.push(Arg::Text(v.to_owned()));
        format!("${}", buf.args.len())
    };
    for f in &q.filters {
        match f {
            DeviceFilter::Id(id) => {
                let m = next(id.as_str(), buf);
                sql.push_str(&format!(" AND d.id = {m}"));
            }
            DeviceFilter::Tag(t) | DeviceFilter::NotTag(t) => {
                let m = next(t, buf);
                let not = if matches!(f, DeviceFilter::NotTag(_)) {
                    "NOT "
                } else {
                    ""
                };
                sql.push_str(&format!(
                    " AND {not}EXISTS (SELECT 1 FROM device_tags t \
                     WHERE t.device_id = d.id AND t.tag = {m})"
                ));
            }
            DeviceFilter::Matches(query) => {
                let c = buf.condition(query);
                sql.push_str(&format!(" AND ({c})"));
            }
            DeviceFilter::ParamEquals { path, value } => {
                let p = next(path, buf);
                let v = next(value, buf);
                sql.push_str(&format!(
                    " AND EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id \
                     AND p.path = {p} AND p.value = {v})"
                ));
            }
        }
    }
    sql
}

/// Binds `args` in order.
fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for a in args {
        query = match a {
            Arg::Text(t) => query.bind(t),
            Arg::Real(r) => query.bind(r),
        };
    }
    query
}

pub(crate) async fn find_devices(pool: &SqlitePool, q: &DeviceQuery) -> StoreResult<Vec<Device>> {
    let mut buf = SqlBuf::default();
    let clause = where_clause(q, &mut buf);
    let order = buf.order_by(&q.sort);
    let n = buf.args.len();
    let sql = format!(
        "SELECT {DEVICE_COLS} FROM devices d{clause} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let query = bind_all(sqlx::query(AssertSqlSafe(sql)), buf.args);
    let limit = q
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let skip = i64::try_from(q.skip).unwrap_or(i64::MAX);
    let found = query.bind(limit).bind(skip).fetch_all(pool).await?;
    let devices = found
        .iter()
        .map(rows::device)
        .collect::<StoreResult<Vec<_>>>()?;
    with_tags(pool, devices).await
}

pub(crate) async fn count_devices(pool: &SqlitePool, q: &DeviceQuery) -> StoreResult<u64> {
    let mut buf = SqlBuf::default();
    let clause = where_clause(q, &mut buf);
    let sql = format!("SELECT COUNT(*) FROM devices d{clause}");
    let query = bind_all(sqlx::query(AssertSqlSafe(sql)), buf.args);
    let n: i64 = query.fetch_one(pool).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn list_tasks(pool: &SqlitePool, f: &TaskFilter) -> StoreResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE ($1 IS NULL OR device_id = $1) \
         AND ($2 IS NULL OR status = $2) ORDER BY created_ms, id LIMIT $3 OFFSET $4"
    );
    let limit = f
        .limit
        .map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(f.device.as_ref().map(|d| d.as_str().to_owned()))
        .bind(f.status.map(|s| s.as_str()))
        .bind(limit)
        .bind(i64::try_from(f.skip).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await?;
    found.iter().map(rows::task).collect()
}

pub(crate) async fn due_tasks(
    pool: &SqlitePool,
    device: &DeviceId,
    now: Timestamp,
) -> StoreResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE device_id = $1 \
         AND (status = 'pending' OR (status = 'fault' AND next_attempt_ms IS NOT NULL)) \
         AND (next_attempt_ms IS NULL OR next_attempt_ms <= $2) \
         AND (expiry_ms IS NULL OR expiry_ms > $2) ORDER BY created_ms, id"
    );
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(device.as_str().to_owned())
        .bind(now.as_millis())
        .fetch_all(pool)
        .await?;
    found.iter().map(rows::task).collect()
}

/// Fetches rows of a fixed query with text binds and decodes them.
pub(crate) async fn fetch<T>(
    pool: &SqlitePool,
    sql: &'static str,
    args: &[&str],
    decode: fn(&SqliteRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = q.bind(a.to_string());
    }
    q.fetch_all(pool).await?.iter().map(decode).collect()
}

pub(crate) async fn list_sessions(
    pool: &SqlitePool,
    device: &DeviceId,
    limit: u64,
) -> StoreResult<Vec<SessionRecord>> {
    let found = sqlx::query(
        "SELECT device_id, started_ms, ended_ms, events, rpc_count, outcome FROM sessions \
         WHERE device_id = $1 ORDER BY started_ms DESC, id DESC LIMIT $2",
    )
    .bind(device.as_str().to_owned())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    found.iter().map(rows::session).collect()
}
