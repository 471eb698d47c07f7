//! Connection Requests from the API: the per-device rate limit, sending one with the
//! device's credentials, and recording the outcome (on the device, as a fault on
//! [`CONNECTION_REQUEST_CHANNEL`], in the metrics and on the event bus).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value as JsonValue, json};

use super::{ApiError, ApiExtras, ApiResult, ApiState};
use crate::conn_request::CrCredentials;
use crate::conn_request_udp::{self, CrSent};
use crate::events::EventKind;
use crate::metrics::CrOutcome;
use crate::store::{ConnectionRequestResult, DeviceId, FaultInfo, NewFault, Timestamp};

/// Fault channel where a failed Connection Request is recorded (cleared on success).
pub const CONNECTION_REQUEST_CHANNEL: &str = "connection_request";

/// Default least interval between two Connection Requests to one device.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(2);

/// Most devices remembered by the rate limit; beyond, requests are refused until entries
/// age out (so that the map stays bounded under any load).
const MAX_TRACKED: usize = 100_000;

/// Allows one Connection Request per device per interval.
#[derive(Debug)]
pub struct CrRateLimit {
    interval: Duration,
    last: Mutex<HashMap<DeviceId, Instant>>,
}

impl Default for CrRateLimit {
    fn default() -> CrRateLimit {
        CrRateLimit::new(DEFAULT_MIN_INTERVAL)
    }
}

impl CrRateLimit {
    /// At most one request per device every `interval` (zero: no limit).
    pub fn new(interval: Duration) -> CrRateLimit {
        CrRateLimit {
            interval,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// Takes the device's slot at `now`; `Err(wait)` when its last request was less than the
    /// interval ago.
    pub fn try_take(&self, device: &DeviceId, now: Instant) -> Result<(), Duration> {
        if self.interval.is_zero() {
            return Ok(());
        }
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&t) = last.get(device) {
            let since = now.saturating_duration_since(t);
            if since < self.interval {
                return Err(self.interval - since);
            }
        }
        if last.len() >= MAX_TRACKED {
            last.retain(|_, t| now.saturating_duration_since(*t) < self.interval);
            if last.len() >= MAX_TRACKED {
                return Err(self.interval);
            }
        }
        last.insert(device.clone(), now);
        Ok(())
    }
}

/// Sends a Connection Request to an existing device and records the outcome; the answer is
/// `{ok: true, status}` (HTTP), `{ok: true, udp: true}` (TR-111 UDP) or `{ok: false, error}`.
pub(crate) async fn send_and_record(
    state: &ApiState,
    extras: &ApiExtras,
    device: &DeviceId,
) -> ApiResult<JsonValue> {
    let Some(dev) = state.store.get_device(device).await? else {
        return Err(ApiError::not_found("no such device"));
    };
    let stored = state.store.get_credentials(device).await?.and_then(|c| {
        Some(CrCredentials {
            username: c.cr_username?,
            password: c.cr_password.unwrap_or_default(),
        })
    });
    let mut behind_nat = false;
    let mut from_tree = None;
    for root in ["Device.", "InternetGatewayDevice."] {
        let params = state
            .store
            .get_parameters(device, &format!("{root}ManagementServer."))
            .await?;
        let value = |name: &str| {
            let path = format!("{root}ManagementServer.{name}");
            params
                .iter()
                .find(|p| p.path == path)
                .and_then(|p| p.value.as_ref())
                .map(|v| v.as_text().into_owned())
        };
        behind_nat |= value("NATDetected").as_deref() == Some("true");
        // GenieACS's way: the credentials set on the device through a task or provision.
        if let Some(username) = value("ConnectionRequestUsername").filter(|u| !u.is_empty()) {
            from_tree.get_or_insert(CrCredentials {
                username,
                password: value("ConnectionRequestPassword").unwrap_or_default(),
            });
        }
    }
    let creds = stored.or(from_tree);
    let result = conn_request_udp::send_best(
        dev.connection_request_url.as_deref(),
        dev.udp_connection_request_address.as_deref(),
        behind_nat,
        creds.as_ref(),
        state.connection_request_timeout,
    )
    .await;
    let time = Timestamp::now();
    match result {
        Ok(sent) => {
            extras.metrics.connection_request(CrOutcome::Ok);
            let outcome = ConnectionRequestResult { time, error: None };
            state
                .store
                .record_connection_request(device, outcome)
                .await?;
            state
                .store
                .delete_fault(device, CONNECTION_REQUEST_CHANNEL)
                .await?;
            Ok(match sent {
                CrSent::Http(status) => json!({ "ok": true, "status": status }),
                CrSent::Udp => json!({ "ok": true, "udp": true }),
            })
        }
        Err(e) => {
            tracing::info!(%device, error = %e, "connection request failed");
            extras.metrics.connection_request(CrOutcome::Failed);
            let error = e.to_string();
            let outcome = ConnectionRequestResult {
                time,
                error: Some(error.clone()),
            };
            state
                .store
                .record_connection_request(device, outcome)
                .await?;
            let fault = FaultInfo {
                code: CONNECTION_REQUEST_CHANNEL.into(),
                message: error.clone(),
                detail: None,
            };
            state
                .store
                .record_fault(NewFault {
                    device: device.clone(),
                    channel: CONNECTION_REQUEST_CHANNEL.into(),
                    fault: fault.clone(),
                })
                .await?;
            extras.metrics.fault(&fault.code);
            let channel = CONNECTION_REQUEST_CHANNEL.to_owned();
            extras
                .events
                .publish(device, EventKind::Fault { channel, fault });
            Ok(json!({ "ok": false, "error": error }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_per_device_per_interval() {
        let limit = CrRateLimit::new(Duration::from_secs(2));
        let (a, b) = (DeviceId::from_escaped("a"), DeviceId::from_escaped("b"));
        let t0 = Instant::now();
        assert_eq!(limit.try_take(&a, t0), Ok(()));
        assert_eq!(limit.try_take(&b, t0), Ok(()));
        let wait = limit
            .try_take(&a, t0 + Duration::from_millis(500))
            .expect_err("limited");
        assert_eq!(wait, Duration::from_millis(1500));
        assert_eq!(limit.try_take(&a, t0 + Duration::from_secs(2)), Ok(()));
        let off = CrRateLimit::new(Duration::ZERO);
        assert_eq!(off.try_take(&a, t0), Ok(()));
        assert_eq!(off.try_take(&a, t0), Ok(()));
    }
}
