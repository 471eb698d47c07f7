//! One step of one running campaign (see the module above).

use std::time::{Duration, Instant};

use super::{MAX_OUTCOMES_PER_TICK, MAX_QUEUED_PER_TICK, Runner};
use crate::query::{self, Limits};
use crate::store::{
    Campaign, CampaignState, CampaignTarget, DeviceFilter, DeviceQuery, MAX_CAMPAIGN_DEVICES,
    NewTask, StoreError, StoreResult, TargetState, TaskStatus, Timestamp,
};
use crate::task::TaskSpec;

/// Devices read per page when resolving the query.
const RESOLVE_PAGE: u64 = 1000;

/// The interval between two queued tasks at `rate` per minute.
fn interval(rate: u32) -> Duration {
    Duration::from_millis(60_000 / u64::from(rate.max(1)))
}

/// Stops `c` with `state` and `reason`.
fn stop(c: &mut Campaign, state: CampaignState, reason: String, now: Timestamp) {
    tracing::info!(campaign = %c.id, state = state.as_str(), %reason, "campaign stopped");
    c.state = state;
    c.reason = Some(reason);
    c.updated = now;
}

/// Resolves the campaign's query into its devices; the canaries spread evenly.
async fn resolve(r: &Runner, c: &mut Campaign, now: Timestamp) -> StoreResult<()> {
    let store = &r.state.store;
    let q = match query::parse_text(&c.query, &Limits::default()) {
        Ok(q) => q,
        Err(e) => {
            stop(
                c,
                CampaignState::Halted,
                format!("the query no longer parses: {e}"),
                now,
            );
            return Ok(());
        }
    };
    let mut ids = Vec::new();
    loop {
        let page = store
            .find_devices(&DeviceQuery {
                filters: vec![DeviceFilter::Matches(q.clone())],
                sort: Vec::new(),
                skip: ids.len() as u64,
                limit: Some(RESOLVE_PAGE),
            })
            .await?;
        let n = page.len() as u64;
        ids.extend(page.into_iter().map(|d| d.id));
        if n < RESOLVE_PAGE || ids.len() as u64 >= MAX_CAMPAIGN_DEVICES {
            break;
        }
    }
    ids.truncate(usize::try_from(MAX_CAMPAIGN_DEVICES).unwrap_or(usize::MAX));
    if ids.is_empty() {
        c.resolved = true;
        stop(
            c,
            CampaignState::Done,
            "no device matched the query".into(),
            now,
        );
        return Ok(());
    }
    let total = ids.len();
    let canaries = if c.canary_percent == 0 {
        0
    } else {
        (total * usize::from(c.canary_percent)).div_ceil(100).max(1)
    };
    // Every (total / canaries)-th device: spread over the id order, not its first few.
    let is_canary = |i: usize| canaries > 0 && (i * canaries) % total < canaries;
    let targets = ids
        .into_iter()
        .enumerate()
        .map(|(i, device)| CampaignTarget {
            campaign: c.id.clone(),
            device,
            canary: is_canary(i),
            state: TargetState::Pending,
            task: None,
            detail: None,
            updated: now,
        })
        .collect();
    store.add_campaign_targets(targets).await?;
    c.resolved = true;
    c.canary_phase = canaries > 0;
    c.updated = now;
    tracing::info!(campaign = %c.id, devices = total, canaries, "campaign resolved");
    Ok(())
}

/// A task's fault in one line, with the CPE's per-parameter reasons of a
/// SetParameterValues fault (`detail.setParameterValuesFault`, GenieACS's shape; faults of
/// earlier builds: `detail.detail.SetParameterValuesFault`).
fn fault_text(f: &crate::store::FaultInfo) -> String {
    let mut text = format!("{}: {}", f.code, f.message);
    let params = f
        .detail
        .as_ref()
        .and_then(|d| {
            d.pointer("/setParameterValuesFault")
                .or_else(|| d.pointer("/detail/SetParameterValuesFault"))
        })
        .and_then(serde_json::Value::as_array);
    for p in params.into_iter().flatten().take(8) {
        let field = |k: &str, old: &str| {
            p.get(k)
                .or_else(|| p.get(old))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        text.push_str(&format!(
            "; {} {} {}",
            field("parameterName", "ParameterName").unwrap_or_default(),
            field("faultCode", "FaultCode").unwrap_or_default(),
            field("faultString", "FaultString").unwrap_or_default()
        ));
    }
    text
}

/// Reads the outcome of the queued tasks.
async fn read_outcomes(r: &Runner, c: &Campaign, now: Timestamp) -> StoreResult<()> {
    let store = &r.state.store;
    let queued = store
        .campaign_targets(&c.id, TargetState::Queued, MAX_OUTCOMES_PER_TICK)
        .await?;
    for mut t in queued {
        let Some(task_id) = t.task.clone() else {
            continue;
        };
        match store.get_task(&task_id).await? {
            None => t.state = TargetState::Done,
            Some(task) if task.status == TaskStatus::Fault => {
                t.state = TargetState::Failed;
                t.detail = task.fault.as_ref().map(fault_text);
            }
            Some(_) => continue,
        }
        t.updated = now;
        store.update_campaign_target(t).await?;
    }
    Ok(())
}

/// Queues the task of `t` and asks the device for a session.
async fn queue(
    r: &Runner,
    spec: &TaskSpec,
    mut t: CampaignTarget,
    now: Timestamp,
) -> StoreResult<()> {
    let store = &r.state.store;
    let created = store
        .create_task(NewTask {
            device: t.device.clone(),
            spec: spec.clone(),
            expiry: None,
        })
        .await;
    match created {
        Ok(task) => {
            t.state = TargetState::Queued;
            t.task = Some(task.id);
            // The task runs at the next session anyway: the request only hastens it.
            if r.extras
                .cr_limit
                .try_take(&t.device, Instant::now())
                .is_ok()
            {
                let (state, extras, device) = (r.state.clone(), r.extras.clone(), t.device.clone());
                tokio::spawn(async move {
                    if let Err(e) = crate::api::cr::send_and_record(&state, &extras, &device).await
                    {
                        tracing::debug!(%device, error = ?e, "campaign Connection Request failed");
                    }
                });
            }
        }
        Err(StoreError::NotFound(_)) => {
            t.state = TargetState::Failed;
            t.detail = Some("the device no longer exists".into());
        }
        Err(e) => return Err(e),
    }
    t.updated = now;
    store.update_campaign_target(t).await
}

/// One step of `c` at `now`.
pub(super) async fn step(r: &Runner, mut c: Campaign, now: Timestamp) -> StoreResult<()> {
    let store = &r.state.store;
    if !c.resolved {
        resolve(r, &mut c, now).await?;
        if c.state != CampaignState::Running {
            return store.put_campaign(c).await;
        }
    }
    read_outcomes(r, &c, now).await?;
    let counts = store.campaign_counts(&c.id).await?;
    let finished = counts.done + counts.failed;
    let canaries = if c.canary_percent == 0 {
        1
    } else {
        (counts.total() * u64::from(c.canary_percent))
            .div_ceil(100)
            .max(1)
    };
    if finished >= canaries.min(counts.total())
        && counts.failed * 100 > u64::from(c.failure_percent) * finished
    {
        let reason = format!(
            "{} of {finished} finished devices failed ({}%), over the {}% threshold",
            counts.failed,
            counts.failed * 100 / finished.max(1),
            c.failure_percent
        );
        stop(&mut c, CampaignState::Halted, reason, now);
        return store.put_campaign(c).await;
    }
    if c.canary_phase && counts.canary_open == 0 {
        tracing::info!(campaign = %c.id, "canaries passed: rolling out");
        c.canary_phase = false;
        c.updated = now;
    }
    if counts.pending == 0 && counts.queued == 0 {
        stop(
            &mut c,
            CampaignState::Done,
            format!("{} done, {} failed", counts.done, counts.failed),
            now,
        );
        return store.put_campaign(c).await;
    }
    let step = interval(c.rate_per_minute);
    // After a pause or a restart, start from now rather than catch up in a burst.
    if c.next_queue.as_millis() < now.as_millis() - step.as_millis() as i64 {
        c.next_queue = now;
    }
    let due = if c.next_queue.as_millis() > now.as_millis() {
        0
    } else {
        let behind = u64::try_from(now.as_millis() - c.next_queue.as_millis()).unwrap_or(0);
        (behind / step.as_millis().max(1) as u64 + 1).min(MAX_QUEUED_PER_TICK)
    };
    if due > 0 {
        let spec = match TaskSpec::from_stored(&c.task) {
            Ok(s) => s,
            Err(e) => {
                stop(
                    &mut c,
                    CampaignState::Halted,
                    format!("its task is invalid: {e}"),
                    now,
                );
                return store.put_campaign(c).await;
            }
        };
        let next = store
            .campaign_targets(&c.id, TargetState::Pending, due)
            .await?;
        for t in next {
            if c.canary_phase && !t.canary {
                break;
            }
            queue(r, &spec, t, now).await?;
            c.next_queue = c.next_queue.plus(step);
        }
        c.updated = now;
    }
    store.put_campaign(c).await
}
