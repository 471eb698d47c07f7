//! An Inform's write: the device row and the parameters of its `ParameterList`.
//!
//! A periodic Inform mostly repeats the last one word for word, so the device row keeps a
//! digest of its last `ParameterList` (`inform_digest`) and the list's paths
//! (`inform_paths`). When the digest matches, no parameter row is written; a parameter on
//! the list reads as refreshed at the device's `last_inform_ms` if that is later than its
//! row's time ([`parameters`]). Any other write of a device's parameters drops the digest
//! ([`forget_digest`]), so the next Inform writes its whole list again: a value read by
//! other means never hides the one the CPE reports next.

use std::collections::HashSet;

use rusqlite::Connection;

use super::conn::{execute, query, query_opt, run};
use super::rows::{self, json, json_text};
use crate::store::codec::inform_digest as digest;
use crate::store::{
    DeviceId, InformOutcome, InformUpdate, Parameter, StoreError, StoreResult, Timestamp,
};

/// Inserts or updates a parameter of an Inform: a value, nothing else.
const UPSERT_INFORM_PARAM: &str = "INSERT INTO parameters (device_id, path, value, value_type, \
    updated_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, path) DO UPDATE SET \
    value = excluded.value, value_type = excluded.value_type, updated_ms = excluded.updated_ms";

/// The device's last Inform as stored: digest, paths (JSON, parsed only when needed) and time.
struct LastInform {
    digest: Option<String>,
    paths: Option<String>,
    time: Option<i64>,
}

impl LastInform {
    fn read(conn: &Connection, id: &str) -> StoreResult<Option<LastInform>> {
        query_opt(
            conn,
            "SELECT inform_digest, inform_paths, last_inform_ms FROM devices WHERE id = $1",
            &[&id],
            |r| {
                Ok(LastInform {
                    digest: r.get(0)?,
                    paths: r.get(1)?,
                    time: r.get(2)?,
                })
            },
        )
    }

    fn paths(&self) -> StoreResult<Vec<String>> {
        match &self.paths {
            Some(text) => json("inform_paths", text),
            None => Ok(Vec::new()),
        }
    }
}

/// Whether an Inform counts as a session of its device's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    /// It begins a session, whose end writes the slot the count picks
    /// ([`write_session_slot`](super::writes::write_session_slot)): the device row is
    /// written here anyway, not again at the end.
    AsSession,
    /// It is stored alone.
    No,
}

/// Stores an Inform: the device row always, the parameters when the list differs from the
/// last Inform's (or something else wrote them since).
pub(crate) fn upsert_inform(
    conn: &Connection,
    inf: InformUpdate,
    counted: Counted,
) -> StoreResult<InformOutcome> {
    let id = inf.identity.device_id();
    let digest = digest(&inf.parameters);
    let before = LastInform::read(conn, id.as_str())?;
    let unchanged = before
        .as_ref()
        .is_some_and(|b| b.digest.as_deref() == Some(digest.as_str()));
    let paths: Vec<&str> = inf.parameters.iter().map(|p| p.path.as_str()).collect();
    // The same list has the same paths: their stored text is kept as it is.
    let paths_json = match &before {
        Some(b) if unchanged => b.paths.clone(),
        _ => Some(json_text(&paths)?),
    };
    let time = inf.time.as_millis();
    // OUI, ProductClass and SerialNumber make the id, so they are not updated (nor the
    // serial-number index with them).
    execute(
        conn,
        "INSERT INTO devices (id, manufacturer, oui, product_class, serial_number, created_ms, \
         last_inform_ms, last_events, ip, connection_request_url, \
         udp_connection_request_address, inform_digest, inform_paths, session_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET manufacturer = excluded.manufacturer, \
         last_inform_ms = excluded.last_inform_ms, \
         last_events = excluded.last_events, ip = excluded.ip, \
         connection_request_url = COALESCE(excluded.connection_request_url, \
             devices.connection_request_url), \
         udp_connection_request_address = COALESCE(excluded.udp_connection_request_address, \
             devices.udp_connection_request_address), \
         inform_digest = excluded.inform_digest, inform_paths = excluded.inform_paths, \
         session_count = devices.session_count + excluded.session_count",
        &[
            &id.as_str(),
            &inf.identity.manufacturer,
            &inf.identity.oui,
            &inf.identity.product_class,
            &inf.identity.serial_number,
            &time,
            &json_text(&inf.events)?,
            &inf.ip,
            &inf.connection_request_url,
            &inf.udp_connection_request_address,
            &digest,
            &paths_json,
            &i64::from(counted == Counted::AsSession),
        ],
    )?;
    let outcome = InformOutcome {
        created: before.is_none(),
    };
    if unchanged {
        return Ok(outcome);
    }
    // Paths the last Inform carried and this one does not: their rows keep the time that
    // Inform gave them, now that the device row no longer lists them.
    if let Some(before) = &before
        && let Some(last) = before.time
    {
        let now: HashSet<&str> = paths.iter().copied().collect();
        for gone in before.paths()?.iter().filter(|p| !now.contains(p.as_str())) {
            execute(
                conn,
                "UPDATE parameters SET updated_ms = $3 \
                 WHERE device_id = $1 AND path = $2 AND updated_ms < $3",
                &[&id.as_str(), gone, &last],
            )?;
        }
    }
    let mut stmt = conn.prepare_cached(UPSERT_INFORM_PARAM)?;
    for p in &inf.parameters {
        let text = p.value.as_text();
        run(
            &mut stmt,
            &[
                &id.as_str(),
                &p.path,
                &text.as_ref(),
                &p.value.xsi_type(),
                &time,
            ],
        )?;
    }
    Ok(outcome)
}

/// The parameters of device `id` under `prefix`, in path order, each with its time: a
/// parameter the last Inform listed was refreshed then, if not written since. One read
/// transaction, so that rows and list come from the same Inform.
pub(crate) fn parameters(
    conn: &Connection,
    id: &DeviceId,
    prefix: &str,
) -> StoreResult<Vec<Parameter>> {
    let snapshot = conn.unchecked_transaction()?;
    let mut params = query(
        conn,
        "SELECT path, value, value_type, writable, notification, access_list, updated_ms \
         FROM parameters WHERE device_id = $1 AND substr(path, 1, length($2)) = $2 \
         ORDER BY path",
        &[&id.as_str(), &prefix],
        rows::parameter,
    )?;
    if let Some(last) = LastInform::read(conn, id.as_str())?
        && let Some(time) = last.time
    {
        let listed: HashSet<String> = last.paths()?.into_iter().collect();
        for p in params.iter_mut().filter(|p| listed.contains(&p.path)) {
            p.updated = p.updated.max(Timestamp(time));
        }
    }
    snapshot.finish()?;
    Ok(params)
}

/// Drops the digest of the device `id` before its parameters are written other than by an
/// Inform (read first: a session's later writes find it gone and write nothing);
/// [`StoreError::NotFound`] if there is no such device.
pub(crate) fn forget_digest(conn: &Connection, id: &str) -> StoreResult<()> {
    let has_digest = query_opt(
        conn,
        "SELECT inform_digest IS NOT NULL FROM devices WHERE id = $1",
        &[&id],
        |r| Ok(r.get::<_, bool>(0)?),
    )?;
    match has_digest {
        None => Err(StoreError::NotFound(format!("device {id}"))),
        Some(false) => Ok(()),
        Some(true) => {
            execute(
                conn,
                "UPDATE devices SET inform_digest = NULL WHERE id = $1",
                &[&id],
            )?;
            Ok(())
        }
    }
}
