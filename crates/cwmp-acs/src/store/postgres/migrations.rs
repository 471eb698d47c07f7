//! Migrations of the PostgreSQL schema (`migrations/postgres/`), applied in order at
//! start-up, each in its own transaction with its version recorded in `schema_migrations`.
//! Nodes starting together take an advisory lock, so one applies them and the others
//! find them applied. A database with a version this build does not know is refused.

use deadpool_postgres::Client;

use crate::store::{StoreError, StoreResult, Timestamp};

/// `(version, description, sql)` of every migration, in order. The SQLite store has its
/// own list: version 1 here is the schema its migrations 1 to 10 arrive at, version 2 its
/// migration 11.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "preset_objects",
        include_str!("../../../migrations/postgres/0002_preset_objects.sql"),
    ),
    (
        3,
        "scripts",
        include_str!("../../../migrations/postgres/0003_scripts.sql"),
    ),
    (
        4,
        "console",
        include_str!("../../../migrations/postgres/0004_console.sql"),
    ),
    (
        5,
        "task_interrupted",
        include_str!("../../../migrations/postgres/0005_task_interrupted.sql"),
    ),
];

/// Key of the advisory lock held while migrating (any constant shared by all nodes).
const LOCK_KEY: i64 = 0x6377_6d70_5f61_6373; // "cwmp_acs"

const TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_ms BIGINT NOT NULL)";

/// Applies the migrations the database lacks.
pub(crate) async fn run(client: &mut Client) -> StoreResult<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(TABLE).await?;
    let applied: Vec<i64> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if let Some(v) = applied
        .iter()
        .find(|&&v| !MIGRATIONS.iter().any(|m| m.0 == v))
    {
        return Err(StoreError::Migrate(format!(
            "the database has migration {v}, unknown to this version of cwmp-acs"
        )));
    }
    for &(version, description, sql) in MIGRATIONS {
        if applied.contains(&version) {
            continue;
        }
        let fail = |e: tokio_postgres::Error| {
            StoreError::Migrate(format!("postgres {version:04}_{description}: {e}"))
        };
        tx.batch_execute(sql).await.map_err(fail)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_ms) \
             VALUES ($1, $2, $3)",
            &[&version, &description, &Timestamp::now().as_millis()],
        )
        .await
        .map_err(fail)?;
        tracing::info!(version, description, "postgres store migration applied");
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_postgres_migration_file_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
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
