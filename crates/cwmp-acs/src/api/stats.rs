//! `GET /stats/fleet`: the console overview's figures: devices, online and offline now,
//! firmware versions, and the online/offline samples of the last `hours` (default 24, at
//! most 192).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, QueryString};
use crate::store::Timestamp;

/// Longest history served (hours).
const MAX_HOURS: u64 = 192;

/// Query of `GET /stats/fleet`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FleetQuery {
    hours: Option<u64>,
}

/// `GET /stats/fleet`.
pub(crate) async fn fleet(
    State(state): State<ApiState>,
    QueryString(q): QueryString<FleetQuery>,
) -> ApiResult<Json<JsonValue>> {
    let hours = q.hours.unwrap_or(24);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(ApiError::bad_request(format!("hours: 1 to {MAX_HOURS}")));
    }
    let now = Timestamp::now();
    let summary = state.store.fleet_summary(now).await?;
    let since = Timestamp(
        now.as_millis() - i64::try_from(Duration::from_secs(hours * 3600).as_millis()).unwrap_or(0),
    );
    let samples = state.store.fleet_samples(since).await?;
    Ok(Json(json!({
        "time": now.as_millis(),
        "total": summary.total,
        "online": summary.online,
        "offline": summary.total.saturating_sub(summary.online),
        "firmware": summary.firmware.iter().map(|(v, n)| json!({"version": v, "count": n})).collect::<Vec<_>>(),
        "samples": samples.iter().map(|s| json!({"time": s.time.as_millis(), "online": s.online,
            "offline": s.total.saturating_sub(s.online)})).collect::<Vec<_>>(),
    })))
}
