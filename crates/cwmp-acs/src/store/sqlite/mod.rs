//! Embedded SQLite implementation of [`Store`](super::Store).
//!
//! One file `acs.sqlite3` in a data directory, WAL journal, `synchronous=NORMAL` (a
//! committed transaction survives a process crash; a power loss may lose the last few),
//! busy timeout, foreign keys on. All writes go through one writer thread that applies a
//! batch of queued requests in one transaction (group commit, one fsync per batch), each in
//! its own savepoint so a failing request does not undo its neighbours; reads go to threads
//! owning read-only connections, which WAL lets run beside the writer. Every store call is
//! one closure handed to one of those threads, whatever number of statements it runs.

mod conn;
mod inform;
mod migrations;
mod preset_state;
mod readers;
mod reads;
mod rows;
mod sessions;
mod store_impl;
mod writer;
mod writes;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::StoreResult;
use readers::Readers;
use writer::Writer;

/// Settings of the embedded store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// Directory holding `acs.sqlite3` (created if missing).
    pub data_dir: PathBuf,
    /// Read connections (one thread each).
    pub read_connections: u32,
    /// Most write requests applied in one transaction.
    pub max_batch: usize,
    /// Write requests (and reads) that may wait for a connection before callers are held
    /// back.
    pub queue_depth: usize,
    /// How long a connection waits on a locked database.
    pub busy_timeout: Duration,
    /// Page cache of the write connection (MiB); the read connections keep SQLite's default.
    pub write_cache_mib: u32,
}

impl SqliteConfig {
    /// Default page cache of the write connection (MiB): room for a 10,000-device store.
    pub const DEFAULT_WRITE_CACHE_MIB: u32 = 64;

    /// Defaults for `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> SqliteConfig {
        SqliteConfig {
            data_dir: data_dir.into(),
            read_connections: 4,
            max_batch: 512,
            queue_depth: 8192,
            busy_timeout: Duration::from_secs(5),
            write_cache_mib: Self::DEFAULT_WRITE_CACHE_MIB,
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
    readers: Readers,
    path: PathBuf,
    presets_generation: AtomicU64,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the store in `config.data_dir`.
    pub async fn open(config: SqliteConfig) -> StoreResult<SqliteStore> {
        std::fs::create_dir_all(&config.data_dir)?;
        let path = config.db_path();
        let opened = path.clone();
        // Opening and migrating touch the disk: off the async threads.
        let (writer, readers) = tokio::task::spawn_blocking(move || {
            let mut write = conn::open(&opened, true, false, config.busy_timeout)?;
            conn::set_cache_mib(&write, config.write_cache_mib)?;
            migrations::run(&mut write)?;
            let reads = (0..config.read_connections.max(1))
                .map(|_| conn::open(&opened, false, true, config.busy_timeout))
                .collect::<StoreResult<Vec<_>>>()?;
            let depth = config.queue_depth.max(1);
            Ok::<_, super::StoreError>((
                Writer::spawn(write, config.max_batch.max(1), depth)?,
                Readers::spawn(reads, depth)?,
            ))
        })
        .await
        .map_err(|e| super::StoreError::Corrupt(format!("opening the store: {e}")))??;
        Ok(SqliteStore {
            writer,
            readers,
            path,
            presets_generation: AtomicU64::new(0),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
