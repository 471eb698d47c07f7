//! Campaigns and their devices in SQLite (migration 14).

use rusqlite::{Connection, Row};

use super::conn::{execute, query};
use crate::store::{
    Campaign, CampaignCounts, CampaignState, CampaignTarget, DeviceId, StoreError, StoreResult,
    TargetState, Timestamp,
};

const COLUMNS: &str = "id, name, query, task, rate_per_minute, canary_percent, \
     failure_percent, state, canary_phase, resolved, next_queue_ms, reason, created_by, \
     created_ms, updated_ms";

pub(crate) const SELECT_ONE: &str = "SELECT id, name, query, task, rate_per_minute, \
     canary_percent, failure_percent, state, canary_phase, resolved, next_queue_ms, reason, \
     created_by, created_ms, updated_ms FROM campaigns WHERE id = $1";
pub(crate) const SELECT_ALL: &str = "SELECT id, name, query, task, rate_per_minute, \
     canary_percent, failure_percent, state, canary_phase, resolved, next_queue_ms, reason, \
     created_by, created_ms, updated_ms FROM campaigns ORDER BY created_ms DESC, id";
pub(crate) const SELECT_TARGETS: &str = "SELECT campaign_id, device_id, canary, state, \
     task_id, detail, updated_ms FROM campaign_devices WHERE campaign_id = $1 AND state = $2 \
     ORDER BY canary DESC, device_id LIMIT $3";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("campaign {what} {v:?}"))
}

pub(crate) fn campaign(r: &Row<'_>) -> StoreResult<Campaign> {
    let state: String = r.get(7)?;
    let task: String = r.get(3)?;
    Ok(Campaign {
        id: r.get(0)?,
        name: r.get(1)?,
        query: r.get(2)?,
        task: serde_json::from_str(&task).map_err(|_| corrupt("task", &task))?,
        rate_per_minute: r.get(4)?,
        canary_percent: r.get(5)?,
        failure_percent: r.get(6)?,
        state: CampaignState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        canary_phase: r.get(8)?,
        resolved: r.get(9)?,
        next_queue: Timestamp(r.get(10)?),
        reason: r.get(11)?,
        created_by: r.get(12)?,
        created: Timestamp(r.get(13)?),
        updated: Timestamp(r.get(14)?),
    })
}

pub(crate) fn target(r: &Row<'_>) -> StoreResult<CampaignTarget> {
    let state: String = r.get(3)?;
    Ok(CampaignTarget {
        campaign: r.get(0)?,
        device: DeviceId::from_escaped(r.get::<_, String>(1)?),
        canary: r.get(2)?,
        state: TargetState::parse(&state).ok_or_else(|| corrupt("device state", &state))?,
        task: r.get(4)?,
        detail: r.get(5)?,
        updated: Timestamp(r.get(6)?),
    })
}

pub(crate) fn put_campaign(conn: &Connection, c: &Campaign) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO campaigns ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         state = excluded.state, canary_phase = excluded.canary_phase, \
         resolved = excluded.resolved, next_queue_ms = excluded.next_queue_ms, \
         reason = excluded.reason, updated_ms = excluded.updated_ms"
    );
    execute(
        conn,
        &sql,
        &[
            &c.id,
            &c.name,
            &c.query,
            &c.task.to_string(),
            &c.rate_per_minute,
            &c.canary_percent,
            &c.failure_percent,
            &c.state.as_str(),
            &c.canary_phase,
            &c.resolved,
            &c.next_queue.as_millis(),
            &c.reason,
            &c.created_by,
            &c.created.as_millis(),
            &c.updated.as_millis(),
        ],
    )?;
    Ok(())
}

pub(crate) fn add_targets(conn: &Connection, targets: &[CampaignTarget]) -> StoreResult<()> {
    for t in targets {
        execute(
            conn,
            "INSERT INTO campaign_devices (campaign_id, device_id, canary, state, task_id, \
             detail, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (campaign_id, device_id) DO NOTHING",
            &[
                &t.campaign,
                &t.device.as_str(),
                &t.canary,
                &t.state.as_str(),
                &t.task,
                &t.detail,
                &t.updated.as_millis(),
            ],
        )?;
    }
    Ok(())
}

pub(crate) fn update_target(conn: &Connection, t: &CampaignTarget) -> StoreResult<()> {
    execute(
        conn,
        "UPDATE campaign_devices SET state = $3, task_id = $4, detail = $5, updated_ms = $6 \
         WHERE campaign_id = $1 AND device_id = $2",
        &[
            &t.campaign,
            &t.device.as_str(),
            &t.state.as_str(),
            &t.task,
            &t.detail,
            &t.updated.as_millis(),
        ],
    )?;
    Ok(())
}

pub(crate) fn counts(conn: &Connection, campaign: &str) -> StoreResult<CampaignCounts> {
    let rows = query(
        conn,
        "SELECT state, canary, COUNT(*) FROM campaign_devices WHERE campaign_id = $1 \
         GROUP BY state, canary",
        &[&campaign],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    )?;
    let mut c = CampaignCounts::default();
    for (state, canary, n) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match TargetState::parse(&state) {
            Some(TargetState::Pending) => c.pending += n,
            Some(TargetState::Queued) => c.queued += n,
            Some(TargetState::Done) => c.done += n,
            Some(TargetState::Failed) => c.failed += n,
            None => return Err(corrupt("device state", &state)),
        }
        if canary && matches!(state.as_str(), "pending" | "queued") {
            c.canary_open += n;
        }
    }
    Ok(c)
}
