//! Extractors whose refusal is an [`ApiError`] (`{"error": …}`) like every other API error,
//! rather than axum's plain-text rejections, which broke clients reading `error`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The query string of the request, deserialized as `T` (400 when it does not fit).
pub(crate) struct QueryString<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryString<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryString(value)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}

/// A JSON request body deserialized as `T`, whatever its `Content-Type` says: GenieACS reads
/// every body as JSON, and its documented examples send them with curl's default
/// `application/x-www-form-urlencoded`. Refused with 400 when empty or not JSON, 422 when it
/// does not fit `T` (the message names the field), 413 when too large.
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses `bytes` as JSON of shape `T` with [`JsonBody`]'s statuses.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("a JSON body is required"));
    }
    // Syntax first (400), then shape (422): a struct deserialized straight from text
    // reports a broken array as a type error.
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))?;
    T::deserialize(value)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("body: {e}")))
}
