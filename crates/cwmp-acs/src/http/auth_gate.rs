//! The CWMP endpoint's side of CPE authentication: the request facts kept before the body
//! is read, the check of a session's first message, and the 401 / 503 answers.

use std::net::SocketAddr;

use cwmp::{Body, Envelope};
use hyper::StatusCode;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};

use super::response::{Resp, empty, retry_after};
use crate::cpe_auth::{AuthFailure, AuthRequest, CpeAuth, CpeAuthMode, Principal};
use crate::store::{DeviceId, Store};

/// What authentication needs from the request head (the body is consumed later).
#[derive(Debug)]
pub(super) struct AuthContext {
    authorization: Option<String>,
    uri: String,
    secure: bool,
}

impl AuthContext {
    /// The facts of `req`, received over TLS when `secure`.
    pub(super) fn of(req: &hyper::Request<Incoming>, secure: bool) -> AuthContext {
        AuthContext {
            authorization: req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            uri: req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            secure,
        }
    }
}

/// An address that failed too often is refused before its body is read.
pub(super) fn refuse_blocked(auth: &CpeAuth, peer: SocketAddr) -> Option<Resp> {
    let wait = auth.blocked(peer.ip())?;
    tracing::warn!(%peer, retry_after_s = wait.as_secs(), "CPE authentication throttled: 503");
    Some(retry_after(wait))
}

/// Authenticates the message that opens a session; `Err` is the answer to send.
pub(super) async fn check(
    auth: &CpeAuth,
    store: &dyn Store,
    ctx: &AuthContext,
    env: &Envelope,
    peer: SocketAddr,
) -> Result<Principal, Resp> {
    if auth.mode() == CpeAuthMode::Open {
        return Ok(Principal::Anonymous);
    }
    let device = match &env.body {
        Body::Inform(inform) => {
            let d = &inform.device_id;
            Some(DeviceId::from_identity(
                &d.oui,
                &d.product_class,
                &d.serial_number,
            ))
        }
        _ => None,
    };
    let request = AuthRequest {
        method: "POST",
        uri: &ctx.uri,
        authorization: ctx.authorization.as_deref(),
        device: device.as_ref(),
        secure: ctx.secure,
    };
    let outcome = auth.authenticate(store, &request).await;
    let blocked = auth.record(peer.ip(), &outcome);
    let failure = match outcome {
        Ok(who) => return Ok(who),
        Err(e) => e,
    };
    let device_name = device.as_ref().map_or("", DeviceId::as_str);
    match &failure {
        AuthFailure::Missing => {
            tracing::debug!(%peer, device = device_name, "CPE sent no credentials: 401");
        }
        AuthFailure::Stale => {
            tracing::info!(%peer, device = device_name, "stale nonce: 401 stale=true");
        }
        AuthFailure::Store(e) => {
            tracing::error!(%peer, device = device_name, error = %e, "cannot read CPE credentials");
            return Err(empty(StatusCode::INTERNAL_SERVER_ERROR));
        }
        other => {
            tracing::warn!(%peer, device = device_name, reason = %other, "CPE authentication failed: 401");
        }
    }
    if let Some(wait) = blocked {
        tracing::warn!(%peer, device = device_name, block_s = wait.as_secs(), "too many failed CPE authentications: address blocked");
        return Err(retry_after(wait));
    }
    Err(unauthorized(auth, failure.is_stale(), ctx.secure))
}

/// A 401 with fresh challenges.
fn unauthorized(auth: &CpeAuth, stale: bool, secure: bool) -> Resp {
    let Some(challenges) = auth.challenges(stale, secure) else {
        tracing::error!("no randomness for a Digest nonce");
        return empty(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let mut r = empty(StatusCode::UNAUTHORIZED);
    for c in challenges {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::WWW_AUTHENTICATE, v);
        }
    }
    r
}
