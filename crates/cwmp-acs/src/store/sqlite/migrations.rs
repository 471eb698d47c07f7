//! Migrations embedded from `migrations/` (the same SQL is meant for PostgreSQL).
//!
//! They are listed here with `include_str!` rather than through `sqlx::migrate!` so that
//! sqlx's proc-macro crate (and a second build of SQLite for the host) is not needed; a test
//! checks that every file in the directory is listed.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// `(version, description, sql)` of every migration, in order.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../../migrations/0001_init.sql")),
    (
        2,
        "preset_state",
        include_str!("../../../migrations/0002_preset_state.sql"),
    ),
    (
        3,
        "connection_request",
        include_str!("../../../migrations/0003_connection_request.sql"),
    ),
    (
        4,
        "task_transferring",
        include_str!("../../../migrations/0004_task_transferring.sql"),
    ),
    (
        5,
        "firmware_outcome",
        include_str!("../../../migrations/0005_firmware_outcome.sql"),
    ),
];

/// The migrator for [`MIGRATIONS`].
pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn every_migration_file_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v:04}_{d}.sql"))
            .collect();
        assert_eq!(files, listed);
    }
}
