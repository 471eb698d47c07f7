//! `/campaigns`: fleet operations. `POST` creates one (a task, or a stored file through a
//! `download` task, for every device the query matches, at a rate, canaries first, halted
//! past a failure share), `GET` lists them with their progress, `GET /campaigns/{id}` adds
//! the devices that failed and why, and `POST /campaigns/{id}/pause|resume|cancel` steer
//! them. The runner (`crate::campaign`) does the work.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::principal::Principal;
use super::{ApiError, ApiResult, ApiState, JsonBody};
use crate::query::{self, Limits};
use crate::store::{
    Campaign, CampaignCounts, CampaignState, TargetState, Timestamp, new_object_id,
};
use crate::task::TaskSpec;

/// Highest rate accepted (tasks per minute).
const MAX_RATE: u32 = 6000;
/// Longest name.
const MAX_NAME: usize = 128;
/// Most failed devices shown by `GET /campaigns/{id}`.
const FAILED_SHOWN: u64 = 100;
/// Most campaigns kept at once (finished ones included).
const MAX_CAMPAIGNS: usize = 1000;

/// Body of `POST /campaigns`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    query: JsonValue,
    task: JsonValue,
    #[serde(default = "default_rate")]
    rate_per_minute: u32,
    #[serde(default = "default_canary")]
    canary_percent: u8,
    #[serde(default = "default_failure")]
    failure_percent: u8,
}

fn default_rate() -> u32 {
    60
}
fn default_canary() -> u8 {
    5
}
fn default_failure() -> u8 {
    20
}

fn campaign_json(c: &Campaign, counts: &CampaignCounts) -> JsonValue {
    json!({
        "_id": c.id, "name": c.name, "query": c.query, "task": c.task,
        "rate_per_minute": c.rate_per_minute, "canary_percent": c.canary_percent,
        "failure_percent": c.failure_percent, "state": c.state.as_str(),
        "phase": if !c.resolved { "resolving" } else if c.canary_phase { "canary" } else { "rollout" },
        "reason": c.reason, "created_by": c.created_by,
        "created": c.created.as_millis(), "updated": c.updated.as_millis(),
        "counts": {"total": counts.total(), "pending": counts.pending, "queued": counts.queued,
            "done": counts.done, "failed": counts.failed},
    })
}

/// `POST /campaigns`.
pub(crate) async fn create(
    State(state): State<ApiState>,
    Extension(me): Extension<Principal>,
    JsonBody(body): JsonBody<CreateBody>,
) -> ApiResult<(StatusCode, Json<JsonValue>)> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "name: 1 to {MAX_NAME} characters"
        )));
    }
    let query = match body.query {
        JsonValue::String(s) => s,
        v @ JsonValue::Object(_) => v.to_string(),
        _ => {
            return Err(ApiError::bad_request(
                "query: a GenieACS expression (text) or a JSON query (object)",
            ));
        }
    };
    query::parse_text(&query, &Limits::default())
        .map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
    let spec =
        TaskSpec::from_json(body.task).map_err(|e| ApiError::bad_request(format!("task: {e}")))?;
    let payload = spec.to_json();
    for key in ["file", "fileName"] {
        if let Some(file) = payload.get(key).and_then(JsonValue::as_str)
            && state.store.get_file(file).await?.is_none()
        {
            return Err(ApiError::bad_request(format!(
                "task: no stored file {file:?}"
            )));
        }
    }
    if !(1..=MAX_RATE).contains(&body.rate_per_minute) {
        return Err(ApiError::bad_request(format!(
            "rate_per_minute: 1 to {MAX_RATE}"
        )));
    }
    if body.canary_percent > 100 || body.failure_percent > 100 {
        return Err(ApiError::bad_request(
            "canary_percent and failure_percent: 0 to 100",
        ));
    }
    if state.store.list_campaigns().await?.len() >= MAX_CAMPAIGNS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("{MAX_CAMPAIGNS} campaigns are kept already"),
        ));
    }
    let now = Timestamp::now();
    let campaign = Campaign {
        id: new_object_id(),
        name,
        query,
        task: payload,
        rate_per_minute: body.rate_per_minute,
        canary_percent: body.canary_percent,
        failure_percent: body.failure_percent,
        state: CampaignState::Running,
        canary_phase: true,
        resolved: false,
        next_queue: now,
        reason: None,
        created_by: me.actor,
        created: now,
        updated: now,
    };
    state.store.put_campaign(campaign.clone()).await?;
    Ok((
        StatusCode::CREATED,
        Json(campaign_json(&campaign, &CampaignCounts::default())),
    ))
}

/// `GET /campaigns`.
pub(crate) async fn list(State(state): State<ApiState>) -> ApiResult<Json<JsonValue>> {
    let mut out = Vec::new();
    for c in state.store.list_campaigns().await? {
        let counts = state.store.campaign_counts(&c.id).await?;
        out.push(campaign_json(&c, &counts));
    }
    Ok(Json(JsonValue::Array(out)))
}

async fn load(state: &ApiState, id: &str) -> ApiResult<Campaign> {
    state
        .store
        .get_campaign(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no campaign {id}")))
}

/// `GET /campaigns/{id}`: with the devices that failed and why.
pub(crate) async fn get(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JsonValue>> {
    let c = load(&state, &id).await?;
    let counts = state.store.campaign_counts(&id).await?;
    let failed = state
        .store
        .campaign_targets(&id, TargetState::Failed, FAILED_SHOWN)
        .await?;
    let mut out = campaign_json(&c, &counts);
    out["failed_devices"] = failed
        .iter()
        .map(|t| json!({"device": t.device.as_str(), "canary": t.canary, "detail": t.detail, "task": t.task}))
        .collect();
    Ok(Json(out))
}

/// Puts the failed devices of a halted campaign back in line (their faulted tasks deleted,
/// so that an automatic retry does not run beside the new task): resuming after a halt
/// means the cause was fixed.
async fn retry_failed(state: &ApiState, id: &str, now: Timestamp) -> ApiResult<()> {
    let failed = state
        .store
        .campaign_targets(id, TargetState::Failed, u64::MAX)
        .await?;
    for mut t in failed {
        if let Some(task) = t.task.take() {
            state.store.delete_task(&task).await?;
        }
        t.state = TargetState::Pending;
        t.detail = None;
        t.updated = now;
        state.store.update_campaign_target(t).await?;
    }
    Ok(())
}

/// `POST /campaigns/{id}/{action}`: `pause`, `resume` (a halted one retries its failed
/// devices) or `cancel` (its queued tasks that have not run are deleted).
pub(crate) async fn act(
    State(state): State<ApiState>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Json<JsonValue>> {
    let mut c = load(&state, &id).await?;
    let now = Timestamp::now();
    let finished = matches!(c.state, CampaignState::Cancelled | CampaignState::Done);
    match action.as_str() {
        "pause" if c.state == CampaignState::Running => c.state = CampaignState::Paused,
        "resume" if matches!(c.state, CampaignState::Paused | CampaignState::Halted) => {
            if c.state == CampaignState::Halted {
                retry_failed(&state, &id, now).await?;
            }
            c.state = CampaignState::Running;
            c.reason = None;
        }
        "cancel" if !finished => {
            let queued = state
                .store
                .campaign_targets(&id, TargetState::Queued, u64::MAX)
                .await?;
            for t in queued {
                if let Some(task) = &t.task
                    && let Some(existing) = state.store.get_task(task).await?
                    && existing.status == crate::store::TaskStatus::Pending
                {
                    state.store.delete_task(task).await?;
                }
            }
            c.state = CampaignState::Cancelled;
            c.reason = Some("cancelled".into());
        }
        "pause" | "resume" | "cancel" => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("cannot {action} a campaign that is {}", c.state.as_str()),
            ));
        }
        other => return Err(ApiError::not_found(format!("no campaign action {other:?}"))),
    }
    c.updated = now;
    state.store.put_campaign(c.clone()).await?;
    let counts = state.store.campaign_counts(&id).await?;
    Ok(Json(campaign_json(&c, &counts)))
}
