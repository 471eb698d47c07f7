//! Embedded SQLite implementation of [`Store`](super::Store).
//!
//! One file `acs.sqlite3` in a data directory, WAL journal, `synchronous=NORMAL` (a
//! committed transaction survives a process crash; a power loss may lose the last few),
//! busy timeout, foreign keys on. All writes go through one writer task that applies a batch
//! of queued requests in one transaction (group commit, one fsync per batch), each in its own
//! savepoint so a failing request does not undo its neighbours; reads use a pool of
//! read-only connections, which WAL lets run beside the writer.

mod migrations;
mod preset_state;
mod query_sql;
mod reads;
mod rows;
mod store_impl;
mod writer;
mod writes;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

use super::{StoreError, StoreResult};
use writer::Writer;

/// Settings of the embedded store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// Directory holding `acs.sqlite3` (created if missing).
    pub data_dir: PathBuf,
    /// Read connections.
    pub read_connections: u32,
    /// Most write requests applied in one transaction.
    pub max_batch: usize,
    /// Write requests that may wait for the writer before callers are held back.
    pub queue_depth: usize,
    /// How long a connection waits on a locked database.
    pub busy_timeout: Duration,
}

impl SqliteConfig {
    /// Defaults for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> SqliteConfig {
        SqliteConfig {
            data_dir: data_dir.into(),
            read_connections: 4,
            max_batch: 512,
            queue_depth: 8192,
            busy_timeout: Duration::from_secs(5),
        }
    }

    /// Path of the database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("acs.sqlite3")
    }
}

/// The SQLite store. Cheap to share behind an `Arc`.
pub struct SqliteStore {
    writer: Writer,
    reads: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store in `config.data_dir`.
    pub async fn open(config: SqliteConfig) -> StoreResult<SqliteStore> {
        std::fs::create_dir_all(&config.data_dir)?;
        let path = config.db_path();
        let base = connect_options(&path, config.busy_timeout)?;
        let mut conn = base.clone().create_if_missing(true).connect().await?;
        migrations::migrator().run(&mut conn).await?;
        let reads = SqlitePoolOptions::new()
            .max_connections(config.read_connections.max(1))
            .connect_with(base.read_only(true))
            .await?;
        let writer = Writer::spawn(conn, config.max_batch.max(1), config.queue_depth.max(1));
        Ok(SqliteStore {
            writer,
            reads,
            path,
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn connect_options(path: &Path, busy_timeout: Duration) -> StoreResult<SqliteConnectOptions> {
    let url = format!("sqlite://{}", path.display());
    let opts = SqliteConnectOptions::from_str(&url)
        .map_err(StoreError::from)?
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(busy_timeout)
        .foreign_keys(true)
        .with_regexp()
        .statement_cache_capacity(256);
    Ok(opts)
}
