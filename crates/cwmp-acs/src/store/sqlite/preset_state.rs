//! The `preset_state` table: the preset engine's per-device bookkeeping.

use rusqlite::Connection;

use super::conn::{execute, query};
use super::writes::device_exists;
use crate::store::{DeviceId, PresetState, StoreError, StoreResult, Timestamp};

pub(crate) fn read(conn: &Connection, device: &DeviceId) -> StoreResult<Vec<PresetState>> {
    query(
        conn,
        "SELECT preset, streak, next_attempt_ms, download FROM preset_state \
         WHERE device_id = $1 ORDER BY preset",
        &[&device.as_str()],
        |r| {
            let streak: i64 = r.get(1)?;
            Ok(PresetState {
                preset: r.get(0)?,
                streak: u32::try_from(streak)
                    .map_err(|e| StoreError::Corrupt(format!("preset streak: {e}")))?,
                next_attempt: r.get::<_, Option<i64>>(2)?.map(Timestamp),
                download: r.get(3)?,
            })
        },
    )
}

pub(crate) fn replace(
    conn: &Connection,
    device: &DeviceId,
    states: &[PresetState],
) -> StoreResult<()> {
    device_exists(conn, device.as_str())?;
    execute(
        conn,
        "DELETE FROM preset_state WHERE device_id = $1",
        &[&device.as_str()],
    )?;
    for s in states {
        execute(
            conn,
            "INSERT INTO preset_state (device_id, preset, streak, next_attempt_ms, download) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &device.as_str(),
                &s.preset,
                &i64::from(s.streak),
                &s.next_attempt.map(Timestamp::as_millis),
                &s.download,
            ],
        )?;
    }
    Ok(())
}
