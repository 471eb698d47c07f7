//! Migrations embedded from `migrations/` (the same SQL is meant for PostgreSQL), applied
//! in order at start-up, each in its own transaction with its version recorded in the
//! `schema_migrations` table; a test checks that every file in the directory is listed.

use rusqlite::Connection;

use super::conn;
use crate::store::{StoreError, StoreResult, Timestamp};

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
    (
        6,
        "session_key",
        include_str!("../../../migrations/0006_session_key.sql"),
    ),
    (
        7,
        "session_slots",
        include_str!("../../../migrations/0007_session_slots.sql"),
    ),
    (
        8,
        "inform_digest",
        include_str!("../../../migrations/0008_inform_digest.sql"),
    ),
    (
        9,
        "task_faults",
        include_str!("../../../migrations/0009_task_faults.sql"),
    ),
    (
        10,
        "preset_fields",
        include_str!("../../../migrations/0010_preset_fields.sql"),
    ),
    (
        11,
        "preset_objects",
        include_str!("../../../migrations/0011_preset_objects.sql"),
    ),
    (
        12,
        "scripts",
        include_str!("../../../migrations/0012_scripts.sql"),
    ),
    (
        13,
        "users",
        include_str!("../../../migrations/0013_users.sql"),
    ),
    (
        14,
        "campaigns",
        include_str!("../../../migrations/0014_campaigns.sql"),
    ),
    (
        15,
        "fleet_samples",
        include_str!("../../../migrations/0015_fleet_samples.sql"),
    ),
    (
        16,
        "task_interrupted",
        include_str!("../../../migrations/0016_task_interrupted.sql"),
    ),
    (
        17,
        "parameters_path_value",
        include_str!("../../../migrations/0017_parameters_path_value.sql"),
    ),
];

/// The table of applied versions. Data directories made by earlier builds kept them in
/// `_sqlx_migrations`; those versions are taken over on first start.
const TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_ms BIGINT NOT NULL)";

/// Applies the migrations `conn` does not have yet. A database with a version this build
/// does not know (made by a newer one) is refused rather than guessed at.
pub(crate) fn run(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(TABLE)?;
    adopt_sqlx_history(conn)?;
    let applied = conn::query(conn, "SELECT version FROM schema_migrations", &[], |r| {
        Ok(r.get::<_, i64>(0)?)
    })?;
    let known = |v: i64| MIGRATIONS.iter().any(|m| m.0 == v);
    if let Some(v) = applied.iter().find(|&&v| !known(v)) {
        return Err(StoreError::Migrate(format!(
            "the database has migration {v}, unknown to this version of cwmp-acs"
        )));
    }
    for &(version, description, sql) in MIGRATIONS {
        if applied.contains(&version) {
            continue;
        }
        let fail =
            |e: rusqlite::Error| StoreError::Migrate(format!("{version:04}_{description}: {e}"));
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        conn::execute(
            &tx,
            "INSERT INTO schema_migrations (version, description, applied_ms) VALUES ($1, $2, $3)",
            &[&version, &description, &Timestamp::now().as_millis()],
        )?;
        tx.commit().map_err(fail)?;
        tracing::info!(version, description, "store migration applied");
    }
    Ok(())
}

/// Copies the successful versions of an earlier build's `_sqlx_migrations` table.
fn adopt_sqlx_history(conn: &Connection) -> StoreResult<()> {
    let has_old = conn::query_opt(
        conn,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        &[],
        |_| Ok(()),
    )?
    .is_some();
    if has_old {
        conn::execute(
            conn,
            "INSERT INTO schema_migrations (version, description, applied_ms) \
             SELECT version, description, $1 FROM _sqlx_migrations WHERE success \
             ON CONFLICT (version) DO NOTHING",
            &[&Timestamp::now().as_millis()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n as usize, MIGRATIONS.len());
        conn.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'future', 0)",
            [],
        )
        .unwrap();
        let err = run(&mut conn).unwrap_err();
        assert!(err.to_string().contains("9999"), "{err}");
    }

    #[test]
    fn versions_of_an_earlier_sqlx_build_are_taken_over() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT, \
             success BOOLEAN); INSERT INTO _sqlx_migrations VALUES (1, 'init', 1);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0].2).unwrap();
        // Migration 1 is not run again (its CREATE TABLEs would fail).
        run(&mut conn).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n as usize, MIGRATIONS.len());
    }

    /// A database as a build that knew the first `n` migrations left it.
    fn at_version(n: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        conn.execute_batch(TABLE).unwrap();
        for &(version, _, sql) in &MIGRATIONS[..n] {
            conn.execute_batch(sql).unwrap();
            conn::execute(
                &conn,
                "INSERT INTO schema_migrations VALUES ($1, '', 0)",
                &[&version],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn session_history_is_carried_into_the_device_keyed_table() {
        let mut conn = at_version(5);
        conn.execute_batch(
            "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, \
             created_ms) VALUES ('D', 'M', 'O', 'P', 'S', 0); \
             INSERT INTO sessions VALUES ('b', 'D', 20, 21, '[]', 2, 'ok'), \
             ('a', 'D', 10, 11, '[\"1 BOOT\"]', 1, 'ok');",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let rows = conn::query(
            &conn,
            "SELECT id, started_ms, events FROM sessions WHERE device_id = 'D' \
             ORDER BY started_ms",
            &[],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .unwrap();
        assert_eq!(
            rows,
            [
                ("a".to_string(), 10, r#"["1 BOOT"]"#.to_string()),
                ("b".to_string(), 20, "[]".to_string())
            ]
        );
        // A deleted device takes its history with it, as before.
        conn.execute_batch("DELETE FROM devices WHERE id = 'D'")
            .unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn session_history_is_numbered_into_slots_oldest_first() {
        let mut conn = at_version(6);
        conn.execute_batch(
            "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, \
             created_ms) VALUES ('D', 'M', 'O', 'P', 'S', 0), ('E', 'M', 'O', 'P', 'T', 0); \
             INSERT INTO sessions VALUES ('D', 30, 'c', 31, '[]', 1, 'ok'), \
             ('D', 10, 'a', 11, '[]', 1, 'ok'), ('D', 20, 'b', 21, '[]', 1, 'fault');",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let rows = conn::query(
            &conn,
            "SELECT slot, id, outcome FROM sessions WHERE device_id = 'D' ORDER BY slot",
            &[],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .unwrap();
        let row = |slot, id: &str, outcome: &str| (slot, id.to_owned(), outcome.to_owned());
        assert_eq!(
            rows,
            [row(0, "a", "ok"), row(1, "b", "fault"), row(2, "c", "ok")]
        );
        let counts = conn::query(
            &conn,
            "SELECT id, session_count FROM devices ORDER BY id",
            &[],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap();
        assert_eq!(counts, [("D".to_owned(), 3), ("E".to_owned(), 0)]);
    }

    #[test]
    fn after_the_inform_digest_migration_the_first_inform_writes_its_whole_list() {
        use super::super::inform::{Counted, upsert_inform};
        use crate::store::{DeviceIdentity, InformUpdate, ParamValue};
        let mut conn = at_version(7);
        let identity = DeviceIdentity {
            manufacturer: "M".into(),
            oui: "O".into(),
            product_class: "P".into(),
            serial_number: "S".into(),
        };
        let id = identity.device_id();
        for sql in [
            "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, \
             created_ms, last_inform_ms) VALUES ($1, 'M', 'O', 'P', 'S', 0, 5)",
            "INSERT INTO parameters (device_id, path, value, updated_ms) \
             VALUES ($1, 'Device.X', 'old', 5)",
        ] {
            conn::execute(&conn, sql, &[&id.as_str()]).unwrap();
        }
        run(&mut conn).unwrap();
        let inform = InformUpdate {
            identity,
            time: Timestamp(9),
            events: Vec::new(),
            ip: None,
            connection_request_url: None,
            udp_connection_request_address: None,
            parameters: vec![ParamValue {
                path: "Device.X".into(),
                value: cwmp::Value::String("new".into()),
            }],
        };
        upsert_inform(&conn, inform, Counted::No).unwrap();
        let row = conn
            .query_row(
                "SELECT value, updated_ms FROM parameters WHERE path = 'Device.X'",
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
            )
            .unwrap();
        assert_eq!(row, ("new".to_owned(), 9));
    }

    #[test]
    fn done_tasks_go_faulted_ones_get_their_fault_and_event_lists_become_maps() {
        let mut conn = at_version(8);
        conn.execute_batch(
            "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, \
             created_ms) VALUES ('D', 'M', 'O', 'P', 'S', 0); \
             INSERT INTO tasks (id, device_id, name, payload, status, fault_code, \
             fault_message, attempts, created_ms) VALUES \
             ('t1', 'D', 'reboot', '{}', 'done', NULL, NULL, 0, 1), \
             ('t2', 'D', 'reboot', '{}', 'fault', 'cwmp.9002', 'Internal', 3, 2), \
             ('t3', 'D', 'reboot', '{}', 'pending', NULL, NULL, 0, 3); \
             INSERT INTO presets (name, weight, precondition, events, configuration, \
             updated_ms) VALUES ('a', 0, '{}', '[\"0 BOOTSTRAP\",\"1 BOOT\"]', '{}', 0), \
             ('b', 0, '{}', '[]', '{}', 0);",
        )
        .unwrap();
        run(&mut conn).unwrap();
        let tasks = conn::query(&conn, "SELECT id FROM tasks ORDER BY id", &[], |r| {
            Ok(r.get::<_, String>(0)?)
        })
        .unwrap();
        assert_eq!(tasks, ["t2", "t3"]);
        let fault = conn
            .query_row(
                "SELECT channel, code, message, retries FROM faults",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .unwrap();
        assert_eq!(
            fault,
            ("task_t2".into(), "cwmp.9002".into(), "Internal".into(), 2)
        );
        let presets = conn::query(
            &conn,
            "SELECT name, events, channel FROM presets ORDER BY name",
            &[],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .unwrap();
        let events: serde_json::Value = serde_json::from_str(&presets[0].1).unwrap();
        assert_eq!(
            events,
            serde_json::json!({"0 BOOTSTRAP": true, "1 BOOT": true})
        );
        assert_eq!(presets[1].1, "{}");
        assert_eq!(presets[0].2, "default");
    }

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
