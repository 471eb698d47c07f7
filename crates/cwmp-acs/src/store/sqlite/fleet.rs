//! Fleet figures in SQLite (migration 14). Both queries walk the devices and look each
//! one's parameters up by primary key, never scanning the parameter table.

use rusqlite::Connection;

use super::conn::{execute, query};
use crate::store::fleet::{DEFAULT_INFORM_INTERVAL_SECS, FIRMWARE_SHOWN, SAMPLES_KEPT};
use crate::store::{FleetSample, FleetSummary, StoreResult, Timestamp};

pub(crate) const SELECT_SAMPLES: &str =
    "SELECT time_ms, total, online FROM fleet_samples WHERE time_ms >= $1 ORDER BY time_ms";

pub(crate) fn sample(r: &rusqlite::Row<'_>) -> StoreResult<FleetSample> {
    Ok(FleetSample {
        time: Timestamp(r.get(0)?),
        total: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        online: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
    })
}

pub(crate) fn summary(conn: &Connection, now: Timestamp) -> StoreResult<FleetSummary> {
    let counts = query(
        conn,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN d.last_inform_ms >= $1 - \
         (COALESCE(CAST(COALESCE(a.value, b.value) AS INTEGER), $2) * 1500 + 60000) \
         THEN 1 ELSE 0 END), 0) FROM devices d \
         LEFT JOIN parameters a ON a.device_id = d.id \
           AND a.path = 'Device.ManagementServer.PeriodicInformInterval' \
         LEFT JOIN parameters b ON b.device_id = d.id \
           AND b.path = 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval'",
        &[&now.as_millis(), &DEFAULT_INFORM_INTERVAL_SECS],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    let (total, online) = counts.first().copied().unwrap_or((0, 0));
    let firmware = query(
        conn,
        "SELECT COALESCE(a.value, b.value, '') AS v, COUNT(*) FROM devices d \
         LEFT JOIN parameters a ON a.device_id = d.id \
           AND a.path = 'Device.DeviceInfo.SoftwareVersion' \
         LEFT JOIN parameters b ON b.device_id = d.id \
           AND b.path = 'InternetGatewayDevice.DeviceInfo.SoftwareVersion' \
         GROUP BY v ORDER BY 2 DESC, 1 LIMIT $1",
        &[&(FIRMWARE_SHOWN as i64)],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            ))
        },
    )?;
    Ok(FleetSummary {
        total: u64::try_from(total).unwrap_or(0),
        online: u64::try_from(online).unwrap_or(0),
        firmware,
    })
}

pub(crate) fn put_sample(conn: &Connection, s: &FleetSample) -> StoreResult<()> {
    execute(
        conn,
        "INSERT INTO fleet_samples (time_ms, total, online) VALUES ($1, $2, $3) \
         ON CONFLICT (time_ms) DO UPDATE SET total = excluded.total, online = excluded.online",
        &[
            &s.time.as_millis(),
            &i64::try_from(s.total).unwrap_or(i64::MAX),
            &i64::try_from(s.online).unwrap_or(i64::MAX),
        ],
    )?;
    let oldest = s.time.as_millis() - i64::try_from(SAMPLES_KEPT.as_millis()).unwrap_or(0);
    execute(
        conn,
        "DELETE FROM fleet_samples WHERE time_ms < $1",
        &[&oldest],
    )?;
    Ok(())
}
