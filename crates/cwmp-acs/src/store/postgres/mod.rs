//! PostgreSQL implementation of [`Store`](super::Store), for several ACS nodes sharing one
//! database.
//!
//! tokio-postgres behind a small deadpool pool: statements are prepared once per
//! connection and cached; the statements of one call that do not depend on each other are
//! sent together (tokio-postgres pipelines the queries issued on one connection at once).
//! Every call that writes more than one row runs in one transaction. The URL may name
//! several hosts with `target_session_attrs=read-write`: a connection that breaks (the
//! primary died) is dropped from the pool and the next one goes to whichever host is the
//! primary then. Durability is the server's: `synchronous_commit` on the primary, and
//! `synchronous_standby_names` for a standby that must have every acknowledged commit.

mod conn;
mod inform;
mod listen;
mod migrations;
mod reads;
mod rows;
mod store_impl;
mod writes;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

pub use listen::Notice;

use super::{StoreError, StoreResult};

/// Settings of the PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://user:password@host[:port][,host2[:port]]/db?target_session_attrs=read-write`
    /// or the key-value form.
    pub url: String,
    /// Most connections this node holds.
    pub max_connections: usize,
    /// How long a call waits for a free connection, or for a new one to open.
    pub connect_timeout: Duration,
}

impl PgConfig {
    /// Defaults for `url`.
    pub fn new(url: impl Into<String>) -> PgConfig {
        PgConfig {
            url: url.into(),
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// The PostgreSQL store. Cheap to share behind an `Arc`.
pub struct PgStore {
    pool: Pool,
    /// Bumped by this node's preset writes and by every notice on [`PRESETS_CHANNEL`]
    /// (another node's writes) or reconnection of its listener.
    presets_generation: Arc<AtomicU64>,
    /// Connection settings, for listeners.
    pg: tokio_postgres::Config,
    /// Listener tasks, stopped at close.
    listeners: Mutex<Vec<JoinHandle<()>>>,
}

/// The channel on which preset changes are announced (preset caches reload).
pub const PRESETS_CHANNEL: &str = "cwmp_presets";

impl PgStore {
    /// Connects to `config.url`, applies the migrations this database lacks (refusing one
    /// made by a newer build), and keeps a pool of connections.
    pub async fn open(config: PgConfig) -> StoreResult<PgStore> {
        let pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|e| StoreError::Pool(format!("store URL: {e}")))?;
        let manager = Manager::from_config(
            pg.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(config.connect_timeout))
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(config.connect_timeout))
            .build()
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        let mut client = pool.get().await?;
        migrations::run(&mut client).await?;
        let store = PgStore {
            pool,
            presets_generation: Arc::new(AtomicU64::new(0)),
            pg,
            listeners: Mutex::new(Vec::new()),
        };
        // Another node's preset change (or a gap in the notices) invalidates the caches.
        let mut presets = store.listen(&[PRESETS_CHANNEL], 64);
        let generation = Arc::clone(&store.presets_generation);
        let task = tokio::spawn(async move {
            while presets.recv().await.is_some() {
                generation.fetch_add(1, Ordering::Release);
            }
        });
        store.keep(task);
        Ok(store)
    }

    /// Notices on `channels` (LISTEN on a connection of its own, reconnecting), at most
    /// `capacity` waiting to be read.
    pub fn listen(&self, channels: &[&str], capacity: usize) -> mpsc::Receiver<Notice> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let channels = channels.iter().map(|c| (*c).to_owned()).collect();
        self.keep(listen::spawn(self.pg.clone(), channels, tx));
        rx
    }

    /// Sends `payload` (at most 8,000 bytes, PostgreSQL's limit) on `channel` to every
    /// node listening.
    pub async fn notify(&self, channel: &str, payload: &str) -> StoreResult<()> {
        let client = self.client().await?;
        client
            .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
            .await?;
        Ok(())
    }

    /// A pooled connection, for callers that run their own statements (the cluster's
    /// event relay).
    pub async fn connection(&self) -> StoreResult<deadpool_postgres::Client> {
        self.client().await
    }

    fn keep(&self, task: JoinHandle<()>) {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
    }

    /// Stops the listeners.
    fn stop_listeners(&self) {
        for task in self
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }

    /// A connection from the pool.
    async fn client(&self) -> StoreResult<deadpool_postgres::Client> {
        if self.pool.is_closed() {
            return Err(StoreError::Closed);
        }
        Ok(self.pool.get().await?)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop_listeners();
    }
}

/// Whether `url` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
