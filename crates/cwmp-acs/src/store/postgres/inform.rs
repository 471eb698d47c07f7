//! An Inform's write and the parameter reads that depend on it, as the SQLite store does
//! them (see its `inform` module): the device row keeps the digest and the paths of its
//! last `ParameterList`, an unchanged list writes no parameter row, and a parameter on
//! the list reads as refreshed at the device's `last_inform_ms`.

use std::collections::HashSet;

use super::conn::{Arg, Db};
use super::rows::{self, get};
use crate::store::codec::{inform_digest, json, json_text};
use crate::store::{
    DeviceId, InformOutcome, InformUpdate, Parameter, StoreError, StoreResult, Timestamp,
};

/// Whether an Inform counts as a session of its device's history (see the SQLite store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counted {
    /// It begins a session, whose end writes the slot the count picks.
    AsSession,
    /// It is stored alone.
    No,
}

/// Parameters under a prefix: the bound `path >= $2` lets the primary key range-scan.
pub(crate) const PARAMS_UNDER: &str = "SELECT path, value, value_type, writable, \
    notification, access_list, updated_ms FROM parameters \
    WHERE device_id = $1 AND path >= $2 AND starts_with(path, $2) ORDER BY path";

/// The device's last Inform as stored.
struct LastInform {
    digest: Option<String>,
    paths: Option<String>,
    time: Option<i64>,
}

impl LastInform {
    /// Read with the row locked (`lock`), so that two writers of one device take turns.
    async fn read(db: Db<'_, '_>, id: &str, lock: bool) -> StoreResult<Option<LastInform>> {
        let sql = if lock {
            "SELECT inform_digest, inform_paths, last_inform_ms FROM devices WHERE id = $1 \
             FOR UPDATE"
        } else {
            "SELECT inform_digest, inform_paths, last_inform_ms FROM devices WHERE id = $1"
        };
        match db.query_opt(sql, &[&id]).await? {
            None => Ok(None),
            Some(r) => Ok(Some(LastInform {
                digest: get(&r, 0)?,
                paths: get(&r, 1)?,
                time: get(&r, 2)?,
            })),
        }
    }

    fn paths(&self) -> StoreResult<Vec<String>> {
        match &self.paths {
            Some(text) => json("inform_paths", text),
            None => Ok(Vec::new()),
        }
    }
}

/// Stores an Inform inside a transaction: the device row always, the parameters when the
/// list differs from the last Inform's (or something else wrote them since).
pub(crate) async fn upsert_inform(
    db: Db<'_, '_>,
    inf: InformUpdate,
    counted: Counted,
) -> StoreResult<InformOutcome> {
    let id = inf.identity.device_id();
    let digest = inform_digest(&inf.parameters);
    let before = LastInform::read(db, id.as_str(), true).await?;
    let unchanged = before
        .as_ref()
        .is_some_and(|b| b.digest.as_deref() == Some(digest.as_str()));
    let paths: Vec<&str> = inf.parameters.iter().map(|p| p.path.as_str()).collect();
    let paths_json = match &before {
        Some(b) if unchanged => b.paths.clone(),
        _ => Some(json_text(&paths)?),
    };
    let time = inf.time.as_millis();
    let events = json_text(&inf.events)?;
    let count = i64::from(counted == Counted::AsSession);
    // OUI, ProductClass and SerialNumber make the id, so they are not updated.
    db.execute(
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
            &events,
            &inf.ip,
            &inf.connection_request_url,
            &inf.udp_connection_request_address,
            &digest,
            &paths_json,
            &count,
        ],
    )
    .await?;
    let outcome = InformOutcome {
        created: before.is_none(),
    };
    if unchanged {
        return Ok(outcome);
    }
    // Paths the last Inform carried and this one does not keep the time it gave them.
    if let Some(before) = &before
        && let Some(last) = before.time
    {
        let now: HashSet<&str> = paths.iter().copied().collect();
        let gone: Vec<String> = before
            .paths()?
            .into_iter()
            .filter(|p| !now.contains(p.as_str()))
            .collect();
        if !gone.is_empty() {
            db.execute(
                "UPDATE parameters SET updated_ms = $3 \
                 WHERE device_id = $1 AND path = ANY($2) AND updated_ms < $3",
                &[&id.as_str(), &gone, &last],
            )
            .await?;
        }
    }
    // One statement for the whole list: arrays of paths, values and types unnested.
    // (A path listed twice keeps its last value, as the SQLite store's row-by-row upsert.)
    let mut last_of: std::collections::HashMap<&str, usize> = Default::default();
    for (i, p) in inf.parameters.iter().enumerate() {
        last_of.insert(p.path.as_str(), i);
    }
    let mut keep: Vec<usize> = last_of.into_values().collect();
    keep.sort_unstable();
    let (mut ps, mut vs, mut ts) = (Vec::new(), Vec::new(), Vec::new());
    for i in keep {
        let p = &inf.parameters[i];
        ps.push(p.path.as_str());
        vs.push(p.value.as_text().into_owned());
        ts.push(p.value.xsi_type());
    }
    if !ps.is_empty() {
        db.execute(
            "INSERT INTO parameters (device_id, path, value, value_type, updated_ms) \
             SELECT $1, p, v, t, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS u(p, v, t) \
             ON CONFLICT (device_id, path) DO UPDATE SET value = excluded.value, \
             value_type = excluded.value_type, updated_ms = excluded.updated_ms",
            &[&id.as_str(), &ps, &vs, &ts, &time],
        )
        .await?;
    }
    Ok(outcome)
}

/// The parameters of device `id` under `prefix`, in path order, each with its time (see
/// the module doc). `db` should be a repeatable-read transaction, so that rows and list
/// come from the same Inform.
pub(crate) async fn parameters(
    db: Db<'_, '_>,
    id: &DeviceId,
    prefix: &str,
) -> StoreResult<Vec<Parameter>> {
    let id_text = id.as_str();
    let args: [Arg<'_>; 2] = [&id_text, &prefix];
    let (rows, last) = tokio::try_join!(
        db.rows(PARAMS_UNDER, &args, rows::parameter),
        LastInform::read(db, id.as_str(), false)
    )?;
    let mut params = rows;
    if let Some(last) = last
        && let Some(time) = last.time
    {
        let listed: HashSet<String> = last.paths()?.into_iter().collect();
        for p in params.iter_mut().filter(|p| listed.contains(&p.path)) {
            p.updated = p.updated.max(Timestamp(time));
        }
    }
    Ok(params)
}

/// Drops the digest of device `id` before its parameters are written other than by an
/// Inform; [`StoreError::NotFound`] if there is no such device. Locks the device row.
pub(crate) async fn forget_digest(db: Db<'_, '_>, id: &str) -> StoreResult<()> {
    let n = db
        .execute(
            "UPDATE devices SET inform_digest = NULL WHERE id = $1",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("device {id}")));
    }
    Ok(())
}
