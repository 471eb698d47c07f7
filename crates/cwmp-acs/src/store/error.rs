//! Store errors.

use std::sync::Arc;

/// What can go wrong in the store. Cheap to clone, because one failed group commit is
/// reported to every request of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The referenced device (or other record) does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored row could not be decoded (bad JSON, unknown status, …).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[source] Arc<rusqlite::Error>),
    /// PostgreSQL reported an error, or the connection to it failed.
    #[error("database error: {0}")]
    Postgres(#[source] Arc<tokio_postgres::Error>),
    /// No PostgreSQL connection could be had (server down, pool timed out).
    #[error("database connection: {0}")]
    Pool(String),
    /// Applying a migration failed, or the database is newer than this program.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// Opening the data directory failed.
    #[error("data directory: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// The store was closed (or its writer stopped).
    #[error("store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Arc::new(e))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // A row referring to a device deleted meanwhile: the same answer as SQLite's
        // existence check gives before the write.
        if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
            return StoreError::NotFound(format!("referenced record: {e}"));
        }
        StoreError::Postgres(Arc::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::Pool(other.to_string()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}

/// Result with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;
