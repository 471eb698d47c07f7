//! The `preset_state` table: the preset engine's per-device bookkeeping.

use sqlx::{Row, SqliteConnection, SqlitePool};

use super::writes::device_exists;
use crate::store::{DeviceId, PresetState, StoreError, StoreResult, Timestamp};

pub(crate) async fn read(pool: &SqlitePool, device: &DeviceId) -> StoreResult<Vec<PresetState>> {
    let found = sqlx::query(
        "SELECT preset, streak, next_attempt_ms, download FROM preset_state \
         WHERE device_id = $1 ORDER BY preset",
    )
    .bind(device.as_str().to_owned())
    .fetch_all(pool)
    .await?;
    found
        .iter()
        .map(|r| {
            let streak: i64 = r.try_get(1)?;
            Ok(PresetState {
                preset: r.try_get(0)?,
                streak: u32::try_from(streak)
                    .map_err(|e| StoreError::Corrupt(format!("preset streak: {e}")))?,
                next_attempt: r.try_get::<Option<i64>, _>(2)?.map(Timestamp),
                download: r.try_get(3)?,
            })
        })
        .collect()
}

pub(crate) async fn replace(
    conn: &mut SqliteConnection,
    device: DeviceId,
    states: Vec<PresetState>,
) -> StoreResult<()> {
    device_exists(conn, device.as_str()).await?;
    sqlx::query("DELETE FROM preset_state WHERE device_id = $1")
        .bind(device.as_str())
        .execute(&mut *conn)
        .await?;
    for s in states {
        sqlx::query(
            "INSERT INTO preset_state (device_id, preset, streak, next_attempt_ms, download) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(device.as_str())
        .bind(&s.preset)
        .bind(i64::from(s.streak))
        .bind(s.next_attempt.map(Timestamp::as_millis))
        .bind(&s.download)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
