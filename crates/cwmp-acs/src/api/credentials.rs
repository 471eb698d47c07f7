//! `/devices/{id}/credentials`: the credentials a device uses towards the ACS (stored as
//! Digest HA1 values, never as passwords) and those the ACS uses for its Connection
//! Requests. Secrets are write-only: reads say which are set.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};

use super::{ApiError, ApiResult, ApiState, JsonBody};
use crate::cpe_auth::digest::{Algorithm, ha1, normalize_ha1};
use crate::store::{DeviceCredentials, DeviceId};

/// Longest username, password or realm accepted.
const MAX_FIELD_BYTES: usize = 256;

/// The body of `PUT`: replaces all the device's credentials. The CPE secret is a password
/// (hashed for the ACS realm) or HA1 values (for `cpe_realm`, default the ACS realm).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialsBody {
    cpe_username: Option<String>,
    cpe_password: Option<String>,
    cpe_realm: Option<String>,
    cpe_ha1_md5: Option<String>,
    cpe_ha1_sha256: Option<String>,
    cr_username: Option<String>,
    cr_password: Option<String>,
}

impl CredentialsBody {
    /// The stored form for `device`, with `acs_realm` the realm of the challenges.
    fn into_credentials(self, device: DeviceId, acs_realm: &str) -> ApiResult<DeviceCredentials> {
        let fields = [
            &self.cpe_username,
            &self.cpe_password,
            &self.cpe_realm,
            &self.cr_username,
            &self.cr_password,
        ];
        if fields
            .iter()
            .any(|f| f.as_ref().is_some_and(|v| v.len() > MAX_FIELD_BYTES))
        {
            return Err(ApiError::bad_request(format!(
                "fields are limited to {MAX_FIELD_BYTES} bytes"
            )));
        }
        let has_ha1 = self.cpe_ha1_md5.is_some() || self.cpe_ha1_sha256.is_some();
        let (cpe_realm, cpe_ha1_md5, cpe_ha1_sha256) =
            match (&self.cpe_username, &self.cpe_password, has_ha1) {
                (None, None, false) => {
                    if self.cpe_realm.is_some() {
                        return Err(ApiError::bad_request("cpe_realm without cpe_username"));
                    }
                    (None, None, None)
                }
                (Some(u), Some(p), false) if !u.is_empty() && !p.is_empty() => {
                    if self.cpe_realm.as_deref().is_some_and(|r| r != acs_realm) {
                        return Err(ApiError::bad_request(
                            "a password is hashed for the ACS realm: omit cpe_realm",
                        ));
                    }
                    (
                        Some(acs_realm.to_owned()),
                        Some(ha1(Algorithm::Md5, u, acs_realm, p)),
                        Some(ha1(Algorithm::Sha256, u, acs_realm, p)),
                    )
                }
                (Some(u), None, true) if !u.is_empty() => {
                    let parse = |alg: Algorithm, v: &Option<String>| -> ApiResult<Option<String>> {
                        v.as_deref()
                            .map(|h| {
                                normalize_ha1(alg, h).ok_or_else(|| {
                                    ApiError::bad_request(format!(
                                        "the {} HA1 must be {} hex digits",
                                        alg.name(),
                                        alg.hex_len()
                                    ))
                                })
                            })
                            .transpose()
                    };
                    (
                        Some(self.cpe_realm.unwrap_or_else(|| acs_realm.to_owned())),
                        parse(Algorithm::Md5, &self.cpe_ha1_md5)?,
                        parse(Algorithm::Sha256, &self.cpe_ha1_sha256)?,
                    )
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "give a non-empty cpe_username with either cpe_password or \
                     cpe_ha1_md5/cpe_ha1_sha256",
                    ));
                }
            };
        if self.cr_username.is_some() != self.cr_password.is_some() {
            return Err(ApiError::bad_request(
                "give cr_username and cr_password together",
            ));
        }
        Ok(DeviceCredentials {
            device,
            cr_username: self.cr_username,
            cr_password: self.cr_password,
            cpe_username: self.cpe_username,
            cpe_realm,
            cpe_ha1_md5,
            cpe_ha1_sha256,
        })
    }
}

/// What may be shown of stored credentials: names, and whether each secret is set.
fn redacted(c: &DeviceCredentials) -> JsonValue {
    json!({
        "cpe_username": c.cpe_username,
        "cpe_realm": c.cpe_realm,
        "cpe_ha1_md5_set": c.cpe_ha1_md5.is_some(),
        "cpe_ha1_sha256_set": c.cpe_ha1_sha256.is_some(),
        "cr_username": c.cr_username,
        "cr_password_set": c.cr_password.is_some(),
    })
}

/// `GET /devices/{id}/credentials`.
pub(crate) async fn get(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<JsonValue>> {
    let creds = state
        .store
        .get_credentials(&DeviceId::from_escaped(id))
        .await?
        .ok_or_else(|| ApiError::not_found("no credentials for this device"))?;
    Ok(Json(redacted(&creds)))
}

/// `PUT /devices/{id}/credentials`: replaces them all; answers what `GET` shows.
pub(crate) async fn put(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CredentialsBody>,
) -> ApiResult<Json<JsonValue>> {
    let device = DeviceId::from_escaped(id);
    let creds = body.into_credentials(device.clone(), state.cpe_auth.realm())?;
    if let Some(user) = &creds.cpe_username
        && let Some(other) = state.store.credentials_by_cpe_username(user).await?
        && other.device != device
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cpe_username is already used by another device",
        ));
    }
    let shown = redacted(&creds);
    state.store.put_credentials(creds).await?;
    Ok(Json(shown))
}

/// The body of `PATCH`: only the Connection Request credentials (both, or both `null` to
/// drop them), keeping the CPE's own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectionRequestBody {
    cr_username: Option<String>,
    cr_password: Option<String>,
}

/// `PATCH /devices/{id}/credentials`: sets the Connection Request credentials and keeps
/// the rest (what the console's form sends); answers what `GET` shows.
pub(crate) async fn patch(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ConnectionRequestBody>,
) -> ApiResult<Json<JsonValue>> {
    if body.cr_username.is_some() != body.cr_password.is_some() {
        return Err(ApiError::bad_request(
            "give cr_username and cr_password together",
        ));
    }
    if [&body.cr_username, &body.cr_password]
        .iter()
        .any(|f| f.as_ref().is_some_and(|v| v.len() > MAX_FIELD_BYTES))
    {
        return Err(ApiError::bad_request(format!(
            "fields are limited to {MAX_FIELD_BYTES} bytes"
        )));
    }
    let device = DeviceId::from_escaped(id);
    let mut creds = state
        .store
        .get_credentials(&device)
        .await?
        .unwrap_or(DeviceCredentials {
            device,
            cr_username: None,
            cr_password: None,
            cpe_username: None,
            cpe_realm: None,
            cpe_ha1_md5: None,
            cpe_ha1_sha256: None,
        });
    creds.cr_username = body.cr_username;
    creds.cr_password = body.cr_password;
    let shown = redacted(&creds);
    state.store.put_credentials(creds).await?;
    Ok(Json(shown))
}

/// `DELETE /devices/{id}/credentials`.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state
        .store
        .delete_credentials(&DeviceId::from_escaped(id))
        .await?
    {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::not_found("no credentials for this device"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: JsonValue) -> CredentialsBody {
        serde_json::from_value(json).expect("body")
    }

    #[test]
    fn password_becomes_ha1_for_the_acs_realm() {
        let c = body(json!({"cpe_username": "u", "cpe_password": "p"}))
            .into_credentials(DeviceId::from_escaped("d"), "cwmp")
            .expect("valid");
        assert_eq!(c.cpe_realm.as_deref(), Some("cwmp"));
        assert_eq!(c.cpe_ha1_md5, Some(ha1(Algorithm::Md5, "u", "cwmp", "p")));
        let shown = redacted(&c).to_string();
        assert!(!shown.contains(&ha1(Algorithm::Md5, "u", "cwmp", "p")));
    }

    #[test]
    fn inconsistent_bodies_are_refused() {
        let bad = [
            json!({"cpe_username": "u"}),
            json!({"cpe_password": "p"}),
            json!({"cpe_username": "u", "cpe_password": "p", "cpe_ha1_md5": "0"}),
            json!({"cpe_username": "u", "cpe_ha1_md5": "xyz"}),
            json!({"cpe_username": "", "cpe_password": "p"}),
            json!({"cr_username": "c"}),
            json!({"cpe_username": "u", "cpe_password": "x".repeat(300)}),
        ];
        for b in bad {
            assert!(
                body(b.clone())
                    .into_credentials(DeviceId::from_escaped("d"), "cwmp")
                    .is_err(),
                "{b}"
            );
        }
        assert!(serde_json::from_value::<CredentialsBody>(json!({"password": "p"})).is_err());
    }
}
