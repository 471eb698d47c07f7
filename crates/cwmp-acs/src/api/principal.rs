//! Who sends a request, and whether they may: the middleware in front of every
//! authenticated route.
//!
//! A caller is one of: a first-start admin token (`Authorization: Bearer`, file
//! `api-tokens`: acts as admin, for automation); a user's API token (acts with the lower
//! of its scope and its owner's current role); a console session cookie (acts with the
//! user's current role, and must send the session's CSRF token in `X-CSRF-Token` with every
//! state-changing request). The route's required role comes from [`access`]; a refusal is
//! 403 naming the role needed. Every state-changing request that got this far — allowed or
//! refused — is appended to the audit log with its outcome.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use cwmp::http_auth::hex;
use sha2::{Digest as _, Sha256};

use super::access;
use super::auth::ApiTokens;
use super::web_session::{CSRF_HEADER, WebSessions, cookie_of, same_secret};
use super::{ApiError, ApiResult};
use crate::store::{AuditEntry, Role, Store, Timestamp};

/// The caller of a request, available to handlers as an `Extension`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// As written in the audit log: `ann`, `ann/token:<id>` or `admin-token`.
    pub actor: String,
    /// The user, when there is one.
    pub user: Option<String>,
    /// The role it acts with.
    pub role: Role,
    /// Logged in through the console (cookie) rather than a token.
    pub console: bool,
}

/// What the middleware needs. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    /// First-start admin tokens.
    pub tokens: ApiTokens,
    /// Users, their tokens and the audit log.
    pub store: Arc<dyn Store>,
    /// Console sessions.
    pub sessions: WebSessions,
}

/// Hex SHA-256 of a token, as user tokens are stored.
pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

impl Authenticator {
    /// Identifies the caller of a request with these headers and method.
    pub async fn identify(&self, headers: &HeaderMap, method: &Method) -> ApiResult<Principal> {
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        if let Some(token) = bearer {
            if self.tokens.accepts(token) {
                return Ok(Principal {
                    actor: "admin-token".into(),
                    user: None,
                    role: Role::Admin,
                    console: false,
                });
            }
            let found = self
                .store
                .user_token_by_digest(&token_digest(token))
                .await?;
            let Some(t) = found else {
                return Err(ApiError::unauthorized("invalid API token"));
            };
            let Some(owner) = self.store.get_user(&t.user).await? else {
                return Err(ApiError::unauthorized("invalid API token"));
            };
            return Ok(Principal {
                actor: format!("{}/token:{}", owner.name, t.id),
                role: owner.role.min(t.scope),
                user: Some(owner.name),
                console: false,
            });
        }
        let Some(cookie) = cookie_of(headers) else {
            return Err(ApiError::unauthorized("missing bearer token or session"));
        };
        let Some(session) = self.sessions.get(cookie) else {
            return Err(ApiError::unauthorized(
                "the session has ended: log in again",
            ));
        };
        let Some(user) = self.store.get_user(&session.user).await? else {
            self.sessions.close_user(&session.user);
            return Err(ApiError::unauthorized(
                "the session's user no longer exists",
            ));
        };
        if access::is_change(method) {
            let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|t| same_secret(t, &session.csrf)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "missing or wrong X-CSRF-Token for this session",
                ));
            }
        }
        Ok(Principal {
            actor: user.name.clone(),
            user: Some(user.name),
            role: user.role,
            console: true,
        })
    }

    /// Appends an audit entry; a failure is logged, the request's answer stands.
    pub async fn audit(&self, actor: &str, method: &Method, path: &str, status: StatusCode) {
        let entry = AuditEntry {
            seq: 0,
            time: Timestamp::now(),
            actor: actor.to_owned(),
            method: method.as_str().to_owned(),
            path: path.chars().take(2048).collect(),
            status: status.as_u16(),
        };
        if let Err(e) = self.store.append_audit(entry).await {
            tracing::error!(error = %e, actor, "cannot append to the audit log");
        }
    }
}

/// Middleware: identifies the caller, checks the route's role, audits changes.
pub(crate) async fn authorize(
    State(auth): State<Authenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
    let principal = match auth.identify(request.headers(), &method).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let need = access::required(&method, &path);
    let change = access::is_change(&method) && path != "/events/ticket";
    if principal.role < need {
        let refusal = ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} {path} needs the {} role; {} acts as {}",
                method,
                need.as_str(),
                principal.actor,
                principal.role.as_str()
            ),
        );
        if change {
            auth.audit(
                &principal.actor,
                &method,
                &path_and_query,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
        return refusal.into_response();
    }
    request.extensions_mut().insert(principal.clone());
    let response = next.run(request).await;
    if change {
        auth.audit(
            &principal.actor,
            &method,
            &path_and_query,
            response.status(),
        )
        .await;
    }
    response
}
