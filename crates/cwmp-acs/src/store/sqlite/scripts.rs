//! SQLite statements of the `scripts` table (provisions and virtual parameters).

use rusqlite::{Connection, Row};

use super::conn::execute;
use crate::store::{ScriptKind, StoreError, StoreResult, StoredScript, Timestamp};

pub(crate) fn kind(s: &str) -> StoreResult<ScriptKind> {
    ScriptKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("script kind {s:?}")))
}

pub(crate) fn script(r: &Row<'_>) -> StoreResult<StoredScript> {
    Ok(StoredScript {
        kind: kind(&r.get::<_, String>(0)?)?,
        name: r.get(1)?,
        script: r.get(2)?,
        updated: Timestamp(r.get(3)?),
    })
}

pub(crate) fn put(conn: &Connection, s: &StoredScript) -> StoreResult<()> {
    execute(
        conn,
        "INSERT INTO scripts (kind, name, script, updated_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, name) DO UPDATE SET script = excluded.script, \
         updated_ms = excluded.updated_ms",
        &[&s.kind.as_str(), &s.name, &s.script, &s.updated.as_millis()],
    )?;
    Ok(())
}
