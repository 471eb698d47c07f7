//! `cwmp-acs migrate`: copies a whole SQLite store into a PostgreSQL one, table by table,
//! in batches, resumably.
//!
//! The source is opened as a [`SqliteStore`] first (so it is at this build's schema) and
//! the target as a [`PgStore`] (so it is at its own); the tables then have the same
//! columns. Rows are read in `rowid` order and each batch is inserted with `ON CONFLICT
//! DO NOTHING` in one transaction that also records the last `rowid` copied in
//! `store_migration_progress`, keyed by source and table: a run that stops (killed,
//! connection lost, `max_batches` reached) is continued by the next run from where its
//! last committed batch ended, and a row copied twice is not duplicated. Session leases
//! are not copied: no session survives a move. The source must not be written meanwhile
//! (stop the ACS first).

use std::path::Path;

use rusqlite::types::Value as SqlValue;
use tokio_postgres::types::ToSql;

use super::{PgConfig, PgStore, SqliteConfig, SqliteStore, Store, StoreError, StoreResult};

/// Column kinds, as the PostgreSQL schema declares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Int8,
    Int4,
    Bool,
}

use Kind::{Bool, Int4, Int8, Text};

/// The tables copied, parents before children, with their columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "devices",
        &[
            ("id", Text),
            ("manufacturer", Text),
            ("oui", Text),
            ("product_class", Text),
            ("serial_number", Text),
            ("created_ms", Int8),
            ("last_inform_ms", Int8),
            ("last_events", Text),
            ("ip", Text),
            ("connection_request_url", Text),
            ("udp_connection_request_address", Text),
            ("cr_time_ms", Int8),
            ("cr_error", Text),
            ("fw_target", Text),
            ("fw_status", Text),
            ("fw_time_ms", Int8),
            ("session_count", Int8),
            ("inform_digest", Text),
            ("inform_paths", Text),
        ],
    ),
    ("device_tags", &[("device_id", Text), ("tag", Text)]),
    (
        "parameters",
        &[
            ("device_id", Text),
            ("path", Text),
            ("value", Text),
            ("value_type", Text),
            ("writable", Bool),
            ("notification", Int8),
            ("access_list", Text),
            ("updated_ms", Int8),
        ],
    ),
    (
        "tasks",
        &[
            ("id", Text),
            ("device_id", Text),
            ("name", Text),
            ("payload", Text),
            ("status", Text),
            ("result", Text),
            ("fault_code", Text),
            ("fault_message", Text),
            ("fault_detail", Text),
            ("attempts", Int8),
            ("next_attempt_ms", Int8),
            ("expiry_ms", Int8),
            ("created_ms", Int8),
            ("interrupted", Int8),
        ],
    ),
    (
        "faults",
        &[
            ("device_id", Text),
            ("channel", Text),
            ("code", Text),
            ("message", Text),
            ("detail", Text),
            ("retries", Int8),
            ("timestamp_ms", Int8),
        ],
    ),
    (
        "presets",
        &[
            ("name", Text),
            ("weight", Int4),
            ("precondition", Text),
            ("events", Text),
            ("configuration", Text),
            ("updated_ms", Int8),
            ("channel", Text),
            ("schedule", Text),
        ],
    ),
    (
        "preset_objects",
        &[("name", Text), ("document", Text), ("updated_ms", Int8)],
    ),
    (
        "scripts",
        &[
            ("kind", Text),
            ("name", Text),
            ("script", Text),
            ("updated_ms", Int8),
        ],
    ),
    (
        "files",
        &[
            ("name", Text),
            ("file_type", Text),
            ("oui", Text),
            ("product_class", Text),
            ("version", Text),
            ("size", Int8),
            ("sha256", Text),
            ("uploaded_ms", Int8),
        ],
    ),
    (
        "sessions",
        &[
            ("device_id", Text),
            ("slot", Int8),
            ("id", Text),
            ("started_ms", Int8),
            ("ended_ms", Int8),
            ("events", Text),
            ("rpc_count", Int8),
            ("outcome", Text),
        ],
    ),
    (
        "credentials",
        &[
            ("device_id", Text),
            ("cr_username", Text),
            ("cr_password", Text),
            ("cpe_username", Text),
            ("cpe_realm", Text),
            ("cpe_ha1_md5", Text),
            ("cpe_ha1_sha256", Text),
        ],
    ),
    (
        "preset_state",
        &[
            ("device_id", Text),
            ("preset", Text),
            ("streak", Int8),
            ("next_attempt_ms", Int8),
            ("download", Text),
        ],
    ),
    (
        "users",
        &[
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_ms", Int8),
        ],
    ),
    (
        "user_tokens",
        &[
            ("id", Text),
            ("user_name", Text),
            ("label", Text),
            ("digest", Text),
            ("scope", Text),
            ("created_ms", Int8),
        ],
    ),
    (
        "audit_log",
        &[
            ("seq", Int8),
            ("time_ms", Int8),
            ("actor", Text),
            ("method", Text),
            ("path", Text),
            ("status", Int4),
        ],
    ),
    (
        "campaigns",
        &[
            ("id", Text),
            ("name", Text),
            ("query", Text),
            ("task", Text),
            ("rate_per_minute", Int4),
            ("canary_percent", Int4),
            ("failure_percent", Int4),
            ("state", Text),
            ("canary_phase", Bool),
            ("resolved", Bool),
            ("next_queue_ms", Int8),
            ("reason", Text),
            ("created_by", Text),
            ("created_ms", Int8),
            ("updated_ms", Int8),
        ],
    ),
    (
        "campaign_devices",
        &[
            ("campaign_id", Text),
            ("device_id", Text),
            ("canary", Bool),
            ("state", Text),
            ("task_id", Text),
            ("detail", Text),
            ("updated_ms", Int8),
        ],
    ),
    (
        "fleet_samples",
        &[("time_ms", Int8), ("total", Int8), ("online", Int8)],
    ),
];

/// How a migration runs.
#[derive(Debug, Clone)]
pub struct MigrateOptions {
    /// Rows per batch (one transaction each).
    pub batch_rows: usize,
    /// Stop after this many batches (`None`: run to the end); a later run continues.
    pub max_batches: Option<u64>,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            batch_rows: 1000,
            max_batches: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    /// Rows read from the source and sent, by table (a resumed run counts only its own).
    pub rows: Vec<(String, u64)>,
    /// Batches committed.
    pub batches: u64,
    /// Every table was copied to its end.
    pub complete: bool,
}

/// One row as read from SQLite: its rowid and its columns.
type SourceRow = (i64, Vec<SqlValue>);

/// A column value for PostgreSQL, typed as the target column.
fn pg_value(
    v: &SqlValue,
    kind: Kind,
    table: &str,
    col: &str,
) -> StoreResult<Box<dyn ToSql + Sync + Send>> {
    let bad = || StoreError::Corrupt(format!("{table}.{col}: {v:?} is not a {kind:?}"));
    Ok(match (kind, v) {
        (Text, SqlValue::Null) => Box::new(None::<String>),
        (Text, SqlValue::Text(t)) => Box::new(Some(t.clone())),
        (Text, SqlValue::Integer(i)) => Box::new(Some(i.to_string())),
        (Text, SqlValue::Real(r)) => Box::new(Some(r.to_string())),
        (Text, SqlValue::Blob(b)) => {
            Box::new(Some(String::from_utf8(b.clone()).map_err(|_| bad())?))
        }
        (Int8, SqlValue::Null) => Box::new(None::<i64>),
        (Int8, SqlValue::Integer(i)) => Box::new(Some(*i)),
        (Int4, SqlValue::Null) => Box::new(None::<i32>),
        (Int4, SqlValue::Integer(i)) => Box::new(Some(i32::try_from(*i).map_err(|_| bad())?)),
        (Bool, SqlValue::Null) => Box::new(None::<bool>),
        (Bool, SqlValue::Integer(i)) => Box::new(Some(*i != 0)),
        _ => return Err(bad()),
    })
}

/// Copies the SQLite store at `sqlite_dir` into the PostgreSQL database at `pg_url`.
pub async fn sqlite_to_postgres(
    sqlite_dir: &Path,
    pg_url: &str,
    options: &MigrateOptions,
) -> StoreResult<MigrateReport> {
    // Both opened as stores first: each is brought to this build's schema.
    let source = SqliteStore::open(SqliteConfig::new(sqlite_dir)).await?;
    let db_path = source.path().to_owned();
    source.close().await;
    let target = PgStore::open(PgConfig::new(pg_url)).await?;
    target.close().await;

    let source_key = std::fs::canonicalize(&db_path)
        .unwrap_or(db_path.clone())
        .display()
        .to_string();
    let (mut client, conn) = tokio_postgres::connect(pg_url, tokio_postgres::NoTls).await?;
    let conn_task = tokio::spawn(conn);
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS store_migration_progress (source TEXT NOT NULL, \
             table_name TEXT NOT NULL, last_rowid BIGINT NOT NULL, \
             PRIMARY KEY (source, table_name))",
        )
        .await?;
    let sqlite = rusqlite::Connection::open_with_flags(
        &db_path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let batch = options.batch_rows.max(1);
    let mut report = MigrateReport::default();
    let result = async {
        for &(table, cols) in TABLES {
            let mut copied = 0u64;
            let mut last: i64 = client
                .query_opt(
                    "SELECT last_rowid FROM store_migration_progress \
                     WHERE source = $1 AND table_name = $2",
                    &[&source_key, &table],
                )
                .await?
                .map_or(0, |r| r.get(0));
            // PostgreSQL takes at most 65,535 arguments per statement.
            let batch = batch.min(usize::from(u16::MAX) / cols.len());
            loop {
                if options.max_batches.is_some_and(|m| report.batches >= m) {
                    report.rows.push((table.to_owned(), copied));
                    return Ok(false);
                }
                let rows = read_batch(&sqlite, table, cols, last, batch)?;
                let Some(&(end, _)) = rows.last() else { break };
                write_batch(&mut client, &source_key, table, cols, &rows, end).await?;
                copied += rows.len() as u64;
                report.batches += 1;
                last = end;
                if rows.len() < batch {
                    break;
                }
            }
            report.rows.push((table.to_owned(), copied));
        }
        Ok::<bool, StoreError>(true)
    }
    .await;
    drop(client);
    let _ = conn_task.await;
    report.complete = result?;
    Ok(report)
}

/// Up to `limit` rows of `table` after `rowid` `after`, in rowid order.
fn read_batch(
    sqlite: &rusqlite::Connection,
    table: &str,
    cols: &[(&str, Kind)],
    after: i64,
    limit: usize,
) -> StoreResult<Vec<SourceRow>> {
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let sql = format!(
        "SELECT rowid, {} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        names.join(", ")
    );
    let mut stmt = sqlite.prepare_cached(&sql)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(rusqlite::params![after, limit], |r| {
        let mut values = Vec::with_capacity(cols.len());
        for i in 0..cols.len() {
            values.push(r.get::<_, SqlValue>(i + 1)?);
        }
        Ok((r.get::<_, i64>(0)?, values))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Inserts `rows` into `table` and records `end` as copied, in one transaction.
async fn write_batch(
    client: &mut tokio_postgres::Client,
    source: &str,
    table: &str,
    cols: &[(&str, Kind)],
    rows: &[SourceRow],
    end: i64,
) -> StoreResult<()> {
    let mut values: Vec<Box<dyn ToSql + Sync + Send>> = Vec::with_capacity(rows.len() * cols.len());
    let mut tuples = Vec::with_capacity(rows.len());
    for (_, row) in rows {
        let mut marks = Vec::with_capacity(cols.len());
        for (v, &(col, kind)) in row.iter().zip(cols) {
            values.push(pg_value(v, kind, table, col)?);
            marks.push(format!("${}", values.len()));
        }
        tuples.push(format!("({})", marks.join(", ")));
    }
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {} ON CONFLICT DO NOTHING",
        names.join(", "),
        tuples.join(", ")
    );
    let args: Vec<&(dyn ToSql + Sync)> =
        values.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
    let tx = client.transaction().await?;
    tx.execute(&sql, &args).await?;
    tx.execute(
        "INSERT INTO store_migration_progress (source, table_name, last_rowid) \
         VALUES ($1, $2, $3) ON CONFLICT (source, table_name) \
         DO UPDATE SET last_rowid = excluded.last_rowid",
        &[&source, &table, &end],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column of every SQLite table is copied (a migration adding one must add it
    /// here and to the PostgreSQL schema), and nothing but the leases is left out.
    #[tokio::test]
    async fn the_copied_columns_are_the_sqlite_schemas() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open");
        let path = store.path().to_owned();
        store.close().await;
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        tables.retain(|t| t != "schema_migrations" && t != "session_leases");
        let mut copied: Vec<String> = TABLES.iter().map(|t| t.0.to_owned()).collect();
        copied.sort();
        assert_eq!(tables, copied);
        for &(table, cols) in TABLES {
            let mut have: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .expect("prepare")
                .query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            have.sort();
            let mut listed: Vec<String> = cols.iter().map(|c| c.0.to_owned()).collect();
            listed.sort();
            assert_eq!(have, listed, "columns of {table}");
        }
    }
}
