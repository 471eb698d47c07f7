//! Tickets for the event stream of browsers: `EventSource` cannot send an `Authorization`
//! header, so the web UI first asks for a ticket with its bearer token
//! (`POST /events/ticket`) and opens `GET /events/ticketed?ticket=<t>`.
//!
//! A ticket is 32 random bytes (hex), valid once and for [`TICKET_TTL`]; only its SHA-256
//! is kept, in memory, and at most [`MAX_TICKETS`] are outstanding. Tickets are never
//! logged (nor is the query of any API request), and a leaked one is useless once redeemed
//! or expired. The bearer token itself never appears in a URL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use rand::TryRngCore as _;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::{ApiError, ApiExtras, ApiResult, QueryString, event_stream};
use cwmp::http_auth::hex;

/// How long a ticket may wait before it is redeemed.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Most tickets outstanding at once (issuing beyond, after dropping expired ones, is 503).
pub const MAX_TICKETS: usize = 256;

/// Outstanding tickets (digest → expiry). Cheap to clone; clones share the tickets.
#[derive(Debug, Clone, Default)]
pub struct SseTickets {
    pending: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
}

fn digest(ticket: &str) -> [u8; 32] {
    Sha256::digest(ticket.as_bytes()).into()
}

impl SseTickets {
    /// A new ticket valid until `now + TICKET_TTL`; `None` when [`MAX_TICKETS`] are
    /// outstanding and unexpired, or the system has no randomness.
    pub fn issue(&self, now: Instant) -> Option<String> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut raw).ok()?;
        let ticket = hex(&raw);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() >= MAX_TICKETS {
            pending.retain(|_, expiry| *expiry > now);
            if pending.len() >= MAX_TICKETS {
                return None;
            }
        }
        pending.insert(digest(&ticket), now + TICKET_TTL);
        Some(ticket)
    }

    /// Consumes `ticket`: true when it was issued, not yet redeemed and not expired at `now`.
    pub fn redeem(&self, ticket: &str, now: Instant) -> bool {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending
            .remove(&digest(ticket))
            .is_some_and(|expiry| expiry > now)
    }
}

/// `POST /events/ticket` (behind the bearer token): `{"ticket", "expires_in_ms"}`.
pub(crate) async fn issue(Extension(tickets): Extension<SseTickets>) -> ApiResult<Response> {
    let ticket = tickets.issue(Instant::now()).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many event stream tickets outstanding",
        )
    })?;
    let ttl = u64::try_from(TICKET_TTL.as_millis()).unwrap_or(u64::MAX);
    Ok((
        [(CACHE_CONTROL, "no-store")],
        Json(json!({ "ticket": ticket, "expires_in_ms": ttl })),
    )
        .into_response())
}

/// `?ticket=`.
#[derive(Debug, Deserialize)]
pub(crate) struct TicketParam {
    ticket: Option<String>,
}

/// `GET /events/ticketed?ticket=<t>[&device=<id>]`: `GET /events` for a redeemed ticket.
pub(crate) async fn stream(
    Extension(tickets): Extension<SseTickets>,
    Extension(extras): Extension<ApiExtras>,
    QueryString(ticket): QueryString<TicketParam>,
    QueryString(params): QueryString<event_stream::Params>,
) -> ApiResult<Response> {
    let Some(ticket) = ticket.ticket else {
        return Err(ApiError::unauthorized("missing event stream ticket"));
    };
    if !tickets.redeem(&ticket, Instant::now()) {
        return Err(ApiError::unauthorized(
            "invalid, used or expired event stream ticket",
        ));
    }
    event_stream::stream(Extension(extras), QueryString(params)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_good_once_and_only_before_it_expires() {
        let tickets = SseTickets::default();
        let t0 = Instant::now();
        let once = tickets.issue(t0).expect("issued");
        assert_eq!(once.len(), 64);
        assert!(!tickets.redeem("not-issued", t0));
        assert!(tickets.redeem(&once, t0 + Duration::from_secs(1)));
        assert!(!tickets.redeem(&once, t0 + Duration::from_secs(1)));
        let late = tickets.issue(t0).expect("issued");
        assert!(!tickets.redeem(&late, t0 + TICKET_TTL));
    }

    #[test]
    fn outstanding_tickets_are_bounded_and_expired_ones_make_room() {
        let tickets = SseTickets::default();
        let t0 = Instant::now();
        for _ in 0..MAX_TICKETS {
            tickets.issue(t0).expect("issued");
        }
        assert!(tickets.issue(t0 + Duration::from_secs(1)).is_none());
        assert!(tickets.issue(t0 + TICKET_TTL).is_some());
    }
}
