//! Console users and their API tokens (`/users`, admin only), logging in and out
//! (`/auth/login`, `/auth/logout`, public), who am I (`/me`), and the audit log (`/audit`,
//! JSON, or exported as JSON lines or CSV).

use axum::Extension;
use axum::Json;
use axum::extract::Path;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use cwmp::http_auth::hex;
use rand::TryRngCore as _;
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::passwords::{self, check_password, check_user_name};
use super::principal::{Authenticator, Principal, token_digest};
use super::web_session::{behind_https, cookie_of, set_cookie};
use super::{ApiError, ApiResult, JsonBody, QueryString};
use crate::store::{AUDIT_KEPT, AuditEntry, Role, Timestamp, User, UserToken};

/// Longest token label.
const MAX_LABEL: usize = 128;
/// Most tokens per user.
const MAX_TOKENS: usize = 32;
/// Most audit entries in one JSON page.
const AUDIT_PAGE_MAX: u64 = 1000;

fn role_of(name: &str, field: &str) -> ApiResult<Role> {
    Role::parse(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{field}: {name:?} is not a role (admin, operator, viewer)"
        ))
    })
}

fn user_json(u: &User) -> JsonValue {
    json!({"name": u.name, "role": u.role.as_str(), "created": u.created.as_millis()})
}

fn token_json(t: &UserToken) -> JsonValue {
    json!({"id": t.id, "user": t.user, "label": t.label, "scope": t.scope.as_str(),
        "created": t.created.as_millis()})
}

fn random_hex(bytes: usize) -> ApiResult<String> {
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng.try_fill_bytes(&mut raw).map_err(|e| {
        tracing::error!(error = %e, "no randomness");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no randomness available")
    })?;
    Ok(hex(&raw))
}

/// Body of `POST /auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// `POST /auth/login`: checks the password, opens a session (cookie) and answers the user,
/// role and CSRF token.
pub(crate) async fn login(
    Extension(auth): Extension<Authenticator>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Response> {
    if body.username.len() > 64 || body.password.len() > *passwords::PASSWORD_LEN.end() * 4 {
        return Err(ApiError::unauthorized("wrong user name or password"));
    }
    let user = auth.store.get_user(&body.username).await?;
    let ok = passwords::verify(
        body.password,
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let path = "/auth/login";
    let Some(user) = user.filter(|_| ok) else {
        auth.audit(
            &body.username,
            &Method::POST,
            path,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        return Err(ApiError::unauthorized("wrong user name or password"));
    };
    let Some((cookie, csrf)) = auth.sessions.open(&user.name) else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no randomness available",
        ));
    };
    auth.audit(&user.name, &Method::POST, path, StatusCode::OK)
        .await;
    Ok((
        [(
            SET_COOKIE,
            set_cookie(Some(&cookie), behind_https(&headers)),
        )],
        Json(json!({"user": user.name, "role": user.role.as_str(), "csrf": csrf})),
    )
        .into_response())
}

/// `POST /auth/logout`: ends the session of the cookie, if any.
pub(crate) async fn logout(
    Extension(auth): Extension<Authenticator>,
    headers: HeaderMap,
) -> Response {
    if let Some(cookie) = cookie_of(&headers) {
        auth.sessions.close(cookie);
    }
    (
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, set_cookie(None, behind_https(&headers)))],
    )
        .into_response()
}

/// `GET /me`: the caller, with the session's CSRF token for the console.
pub(crate) async fn me(
    Extension(auth): Extension<Authenticator>,
    Extension(me): Extension<Principal>,
    headers: HeaderMap,
) -> Json<JsonValue> {
    let csrf = me
        .console
        .then(|| cookie_of(&headers).and_then(|c| auth.sessions.get(c)))
        .flatten()
        .map(|s| s.csrf);
    Json(json!({"actor": me.actor, "user": me.user, "role": me.role.as_str(), "csrf": csrf}))
}

/// `GET /users`.
pub(crate) async fn list(Extension(auth): Extension<Authenticator>) -> ApiResult<Json<JsonValue>> {
    let users = auth.store.list_users().await?;
    Ok(Json(users.iter().map(user_json).collect()))
}

/// Body of `PUT /users/{name}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserBody {
    role: String,
    password: Option<String>,
}

/// `PUT /users/{name}`: creates a user (a password is required) or changes its role and,
/// when given, its password (which ends its sessions).
pub(crate) async fn put(
    Extension(auth): Extension<Authenticator>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<UserBody>,
) -> ApiResult<(StatusCode, Json<JsonValue>)> {
    check_user_name(&name).map_err(ApiError::bad_request)?;
    let role = role_of(&body.role, "role")?;
    let existing = auth.store.get_user(&name).await?;
    let password_hash = match (&body.password, &existing) {
        (Some(p), _) => {
            check_password(p).map_err(ApiError::bad_request)?;
            passwords::hash(p.clone()).await.map_err(|e| {
                tracing::error!(error = %e, "cannot hash a password");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot hash the password",
                )
            })?
        }
        (None, Some(u)) => u.password_hash.clone(),
        (None, None) => return Err(ApiError::bad_request("password: required for a new user")),
    };
    let user = User {
        name: name.clone(),
        role,
        password_hash,
        created: existing.as_ref().map_or_else(Timestamp::now, |u| u.created),
    };
    auth.store.put_user(user.clone()).await?;
    if body.password.is_some() && existing.is_some() {
        auth.sessions.close_user(&name);
    }
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(user_json(&user))))
}

/// `GET /users/{name}`.
pub(crate) async fn get(
    Extension(auth): Extension<Authenticator>,
    Path(name): Path<String>,
) -> ApiResult<Json<JsonValue>> {
    let user = auth.store.get_user(&name).await?;
    user.map(|u| Json(user_json(&u)))
        .ok_or_else(|| ApiError::not_found(format!("no user {name}")))
}

/// `DELETE /users/{name}`: the user, its tokens and sessions (not oneself).
pub(crate) async fn remove(
    Extension(auth): Extension<Authenticator>,
    Extension(me): Extension<Principal>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if me.user.as_deref() == Some(name.as_str()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "a user cannot delete itself",
        ));
    }
    if !auth.store.delete_user(&name).await? {
        return Err(ApiError::not_found(format!("no user {name}")));
    }
    auth.sessions.close_user(&name);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{name}/tokens`: without the tokens themselves.
pub(crate) async fn tokens(
    Extension(auth): Extension<Authenticator>,
    Path(name): Path<String>,
) -> ApiResult<Json<JsonValue>> {
    if auth.store.get_user(&name).await?.is_none() {
        return Err(ApiError::not_found(format!("no user {name}")));
    }
    let list = auth.store.list_user_tokens(&name).await?;
    Ok(Json(list.iter().map(token_json).collect()))
}

/// Body of `POST /users/{name}/tokens`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenBody {
    label: String,
    scope: String,
}

/// `POST /users/{name}/tokens`: a new token, shown once in the answer.
pub(crate) async fn create_token(
    Extension(auth): Extension<Authenticator>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<TokenBody>,
) -> ApiResult<(StatusCode, Json<JsonValue>)> {
    let Some(user) = auth.store.get_user(&name).await? else {
        return Err(ApiError::not_found(format!("no user {name}")));
    };
    let scope = role_of(&body.scope, "scope")?;
    if scope > user.role {
        return Err(ApiError::bad_request(format!(
            "scope: {} is above the user's role {}",
            scope.as_str(),
            user.role.as_str()
        )));
    }
    if body.label.trim().is_empty() || body.label.chars().count() > MAX_LABEL {
        return Err(ApiError::bad_request(format!(
            "label: 1 to {MAX_LABEL} characters"
        )));
    }
    if auth.store.list_user_tokens(&name).await?.len() >= MAX_TOKENS {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("{name} has {MAX_TOKENS} tokens already: revoke one first"),
        ));
    }
    let token = random_hex(32)?;
    let record = UserToken {
        id: random_hex(8)?,
        user: name,
        label: body.label.trim().to_owned(),
        digest: token_digest(&token),
        scope,
        created: Timestamp::now(),
    };
    auth.store.put_user_token(record.clone()).await?;
    let mut answer = token_json(&record);
    answer["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `DELETE /users/{name}/tokens/{id}`.
pub(crate) async fn revoke_token(
    Extension(auth): Extension<Authenticator>,
    Path((name, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    if auth.store.delete_user_token(&name, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("{name} has no token {id}")))
    }
}

/// Query of `GET /audit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
    limit: Option<u64>,
    format: Option<String>,
}

fn audit_json(e: &AuditEntry) -> JsonValue {
    json!({"seq": e.seq, "time": e.time.as_millis(), "actor": e.actor, "method": e.method,
        "path": e.path, "status": e.status})
}

/// A CSV field: quoted, quotes doubled, and a leading `= + - @` defused (spreadsheets run
/// those as formulas).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `GET /audit`: newest first, `before` a `seq` to page back, `limit` (default 100, at
/// most 1000); `format=jsonl` or `format=csv` exports the whole log as a download.
pub(crate) async fn audit(
    Extension(auth): Extension<Authenticator>,
    QueryString(q): QueryString<AuditQuery>,
) -> ApiResult<Response> {
    match q.format.as_deref() {
        None | Some("json") => {
            let limit = q.limit.unwrap_or(100).min(AUDIT_PAGE_MAX);
            let page = auth.store.list_audit(q.before, limit).await?;
            Ok(Json(page.iter().map(audit_json).collect::<JsonValue>()).into_response())
        }
        Some(format @ ("jsonl" | "csv")) => {
            let all = auth
                .store
                .list_audit(q.before, u64::try_from(AUDIT_KEPT).unwrap_or(u64::MAX))
                .await?;
            let (body, mime, ext) = if format == "csv" {
                let mut out = String::from("seq,time,actor,method,path,status\n");
                for e in &all {
                    let time = chrono::DateTime::from_timestamp_millis(e.time.as_millis())
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "{},{},{},{},{},{}\n",
                        e.seq,
                        time,
                        csv_field(&e.actor),
                        e.method,
                        csv_field(&e.path),
                        e.status
                    ));
                }
                (out, "text/csv; charset=utf-8", "csv")
            } else {
                let out: String = all.iter().map(|e| format!("{}\n", audit_json(e))).collect();
                (out, "application/x-ndjson", "jsonl")
            };
            Ok((
                [
                    (CONTENT_TYPE, mime.to_owned()),
                    (
                        CONTENT_DISPOSITION,
                        format!("attachment; filename=\"audit.{ext}\""),
                    ),
                ],
                body,
            )
                .into_response())
        }
        Some(other) => Err(ApiError::bad_request(format!(
            "format: {other:?} is not json, jsonl or csv"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=cmd()"), "\"'=cmd()\"");
    }
}
