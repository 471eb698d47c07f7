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

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}

/// Result with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;
