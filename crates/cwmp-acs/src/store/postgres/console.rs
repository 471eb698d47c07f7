//! The console's records in PostgreSQL (migration 4): users, their API tokens, the audit
//! log, campaigns with their devices, and fleet figures. Same statements as the SQLite
//! store's (`store/sqlite/{users,campaigns,fleet}.rs`) but for the column types.

use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::conn::Db;
use super::rows::get;
use crate::store::codec::corrupt;
use crate::store::fleet::{DEFAULT_INFORM_INTERVAL_SECS, FIRMWARE_SHOWN, SAMPLES_KEPT};
use crate::store::{
    AUDIT_KEPT, AuditEntry, Campaign, CampaignCounts, CampaignState, CampaignTarget, DeviceId,
    FleetSample, FleetSummary, Role, StoreError, StoreResult, TargetState, Timestamp, User,
    UserToken,
};

pub(crate) const USER_COLS: &str = "name, role, password_hash, created_ms";
pub(crate) const TOKEN_COLS: &str = "id, user_name, label, digest, scope, created_ms";
pub(crate) const AUDIT_COLS: &str = "seq, time_ms, actor, method, path, status";
pub(crate) const CAMPAIGN_COLS: &str = "id, name, query, task, rate_per_minute, \
     canary_percent, failure_percent, state, canary_phase, resolved, next_queue_ms, reason, \
     created_by, created_ms, updated_ms";
pub(crate) const TARGET_COLS: &str =
    "campaign_id, device_id, canary, state, task_id, detail, updated_ms";

fn role(text: &str) -> StoreResult<Role> {
    Role::parse(text).ok_or_else(|| corrupt("role", text))
}

fn small(n: i32) -> StoreResult<u8> {
    u8::try_from(n).map_err(|_| corrupt("percentage", n))
}

pub(crate) fn user(r: &Row) -> StoreResult<User> {
    Ok(User {
        name: get(r, 0)?,
        role: role(&get::<String>(r, 1)?)?,
        password_hash: get(r, 2)?,
        created: Timestamp(get(r, 3)?),
    })
}

pub(crate) fn token(r: &Row) -> StoreResult<UserToken> {
    Ok(UserToken {
        id: get(r, 0)?,
        user: get(r, 1)?,
        label: get(r, 2)?,
        digest: get(r, 3)?,
        scope: role(&get::<String>(r, 4)?)?,
        created: Timestamp(get(r, 5)?),
    })
}

pub(crate) fn audit(r: &Row) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: get(r, 0)?,
        time: Timestamp(get(r, 1)?),
        actor: get(r, 2)?,
        method: get(r, 3)?,
        path: get(r, 4)?,
        status: u16::try_from(get::<i32>(r, 5)?).map_err(|_| corrupt("status", "range"))?,
    })
}

pub(crate) fn campaign(r: &Row) -> StoreResult<Campaign> {
    let state: String = get(r, 7)?;
    let task: String = get(r, 3)?;
    Ok(Campaign {
        id: get(r, 0)?,
        name: get(r, 1)?,
        query: get(r, 2)?,
        task: serde_json::from_str(&task).map_err(|e| corrupt("campaign task", e))?,
        rate_per_minute: u32::try_from(get::<i32>(r, 4)?).map_err(|_| corrupt("rate", "range"))?,
        canary_percent: small(get(r, 5)?)?,
        failure_percent: small(get(r, 6)?)?,
        state: CampaignState::parse(&state).ok_or_else(|| corrupt("campaign state", &state))?,
        canary_phase: get(r, 8)?,
        resolved: get(r, 9)?,
        next_queue: Timestamp(get(r, 10)?),
        reason: get(r, 11)?,
        created_by: get(r, 12)?,
        created: Timestamp(get(r, 13)?),
        updated: Timestamp(get(r, 14)?),
    })
}

pub(crate) fn target(r: &Row) -> StoreResult<CampaignTarget> {
    let state: String = get(r, 3)?;
    Ok(CampaignTarget {
        campaign: get(r, 0)?,
        device: DeviceId::from_escaped(get::<String>(r, 1)?),
        canary: get(r, 2)?,
        state: TargetState::parse(&state).ok_or_else(|| corrupt("target state", &state))?,
        task: get(r, 4)?,
        detail: get(r, 5)?,
        updated: Timestamp(get(r, 6)?),
    })
}

pub(crate) async fn put_user(db: Db<'_, '_>, u: &User) -> StoreResult<()> {
    db.execute(
        "INSERT INTO users (name, role, password_hash, created_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, \
         password_hash = excluded.password_hash",
        &[
            &u.name,
            &u.role.as_str(),
            &u.password_hash,
            &u.created.as_millis(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn put_token(db: Db<'_, '_>, t: &UserToken) -> StoreResult<()> {
    let n = db
        .execute(
            "INSERT INTO user_tokens (id, user_name, label, digest, scope, created_ms) \
             SELECT $1, name, $3, $4, $5, $6 FROM users WHERE name = $2",
            &[
                &t.id,
                &t.user,
                &t.label,
                &t.digest,
                &t.scope.as_str(),
                &t.created.as_millis(),
            ],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {}", t.user)));
    }
    Ok(())
}

/// Appends an audit entry. Rows copied by `cwmp-acs migrate` keep their numbers without
/// moving the sequence: a collision moves it past them once and the insert is retried.
pub(crate) async fn append_audit(db: Db<'_, '_>, e: &AuditEntry) -> StoreResult<()> {
    let sql = "INSERT INTO audit_log (time_ms, actor, method, path, status) \
               VALUES ($1, $2, $3, $4, $5) RETURNING seq";
    let status = i32::from(e.status);
    let args: [super::conn::Arg<'_>; 5] =
        [&e.time.as_millis(), &e.actor, &e.method, &e.path, &status];
    let seq: i64 = match db.query_opt(sql, &args).await {
        Ok(row) => row.map(|r| get(&r, 0)).transpose()?.unwrap_or(0),
        Err(StoreError::Postgres(err)) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            db.execute(
                "SELECT setval('audit_log_seq', (SELECT MAX(seq) FROM audit_log))",
                &[],
            )
            .await?;
            let row = db.query_opt(sql, &args).await?;
            row.map(|r| get(&r, 0)).transpose()?.unwrap_or(0)
        }
        Err(other) => return Err(other),
    };
    if seq % 1000 == 0 {
        db.execute(
            "DELETE FROM audit_log WHERE seq <= $1",
            &[&(seq - AUDIT_KEPT)],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn put_campaign(db: Db<'_, '_>, c: &Campaign) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO campaigns ({CAMPAIGN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         state = excluded.state, canary_phase = excluded.canary_phase, \
         resolved = excluded.resolved, next_queue_ms = excluded.next_queue_ms, \
         reason = excluded.reason, updated_ms = excluded.updated_ms"
    );
    let rate = i32::try_from(c.rate_per_minute).unwrap_or(i32::MAX);
    let (canary, failure) = (i32::from(c.canary_percent), i32::from(c.failure_percent));
    db.execute(
        &sql,
        &[
            &c.id,
            &c.name,
            &c.query,
            &c.task.to_string(),
            &rate,
            &canary,
            &failure,
            &c.state.as_str(),
            &c.canary_phase,
            &c.resolved,
            &c.next_queue.as_millis(),
            &c.reason,
            &c.created_by,
            &c.created.as_millis(),
            &c.updated.as_millis(),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn add_targets(db: Db<'_, '_>, targets: &[CampaignTarget]) -> StoreResult<()> {
    for t in targets {
        db.execute(
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
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn update_target(db: Db<'_, '_>, t: &CampaignTarget) -> StoreResult<()> {
    db.execute(
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
    )
    .await?;
    Ok(())
}

pub(crate) async fn counts(db: Db<'_, '_>, campaign: &str) -> StoreResult<CampaignCounts> {
    let rows = db
        .query(
            "SELECT state, canary, COUNT(*) FROM campaign_devices WHERE campaign_id = $1 \
             GROUP BY state, canary",
            &[&campaign],
        )
        .await?;
    let mut c = CampaignCounts::default();
    for r in &rows {
        let state: String = get(r, 0)?;
        let canary: bool = get(r, 1)?;
        let n = u64::try_from(get::<i64>(r, 2)?).unwrap_or(0);
        match TargetState::parse(&state) {
            Some(TargetState::Pending) => c.pending += n,
            Some(TargetState::Queued) => c.queued += n,
            Some(TargetState::Done) => c.done += n,
            Some(TargetState::Failed) => c.failed += n,
            None => return Err(corrupt("target state", &state)),
        }
        if canary && matches!(state.as_str(), "pending" | "queued") {
            c.canary_open += n;
        }
    }
    Ok(c)
}

pub(crate) async fn fleet_summary(db: Db<'_, '_>, now: Timestamp) -> StoreResult<FleetSummary> {
    let row = db
        .query_opt(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE d.last_inform_ms >= $1 - \
             (COALESCE(CASE WHEN COALESCE(a.value, b.value) ~ '^[0-9]{1,9}$' \
             THEN COALESCE(a.value, b.value)::BIGINT END, $2) * 1500 + 60000)) \
             FROM devices d \
             LEFT JOIN parameters a ON a.device_id = d.id \
               AND a.path = 'Device.ManagementServer.PeriodicInformInterval' \
             LEFT JOIN parameters b ON b.device_id = d.id \
               AND b.path = 'InternetGatewayDevice.ManagementServer.PeriodicInformInterval'",
            &[&now.as_millis(), &DEFAULT_INFORM_INTERVAL_SECS],
        )
        .await?;
    let (total, online) = match row {
        Some(r) => (get::<i64>(&r, 0)?, get::<i64>(&r, 1)?),
        None => (0, 0),
    };
    let firmware = db
        .query(
            "SELECT COALESCE(a.value, b.value, '') AS v, COUNT(*) FROM devices d \
             LEFT JOIN parameters a ON a.device_id = d.id \
               AND a.path = 'Device.DeviceInfo.SoftwareVersion' \
             LEFT JOIN parameters b ON b.device_id = d.id \
               AND b.path = 'InternetGatewayDevice.DeviceInfo.SoftwareVersion' \
             GROUP BY v ORDER BY 2 DESC, 1 LIMIT $1",
            &[&(FIRMWARE_SHOWN as i64)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                get::<String>(r, 0)?,
                u64::try_from(get::<i64>(r, 1)?).unwrap_or(0),
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(FleetSummary {
        total: u64::try_from(total).unwrap_or(0),
        online: u64::try_from(online).unwrap_or(0),
        firmware,
    })
}

pub(crate) async fn put_fleet_sample(db: Db<'_, '_>, s: &FleetSample) -> StoreResult<()> {
    let (total, online) = (
        i64::try_from(s.total).unwrap_or(i64::MAX),
        i64::try_from(s.online).unwrap_or(i64::MAX),
    );
    db.execute(
        "INSERT INTO fleet_samples (time_ms, total, online) VALUES ($1, $2, $3) \
         ON CONFLICT (time_ms) DO UPDATE SET total = excluded.total, online = excluded.online",
        &[&s.time.as_millis(), &total, &online],
    )
    .await?;
    let oldest = s.time.as_millis() - i64::try_from(SAMPLES_KEPT.as_millis()).unwrap_or(0);
    db.execute("DELETE FROM fleet_samples WHERE time_ms < $1", &[&oldest])
        .await?;
    Ok(())
}

pub(crate) fn sample(r: &Row) -> StoreResult<FleetSample> {
    Ok(FleetSample {
        time: Timestamp(get(r, 0)?),
        total: u64::try_from(get::<i64>(r, 1)?).unwrap_or(0),
        online: u64::try_from(get::<i64>(r, 2)?).unwrap_or(0),
    })
}
