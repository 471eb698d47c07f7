//! `/objects/{name}`: GenieACS's objects collection, the instances that presets'
//! `add_object` and `delete_object` configurations create or remove
//! ([`PresetObject`](crate::store::PresetObject) says what a document means).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value as JsonValue;

use super::doc_query::{DocQuery, QueryParam, listing};
use super::{ApiError, ApiResult, ApiState, JsonBody, QueryString};
use crate::store::PresetObject;

/// Longest object name.
const MAX_NAME: usize = 128;

/// `PUT /objects/{name}`: creates or replaces the object (400 naming what is wrong).
pub(crate) async fn put(
    State(state): State<ApiState>,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<JsonValue>,
) -> ApiResult<StatusCode> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(ApiError::bad_request(format!(
            "an object name is 1 to {MAX_NAME} bytes"
        )));
    }
    let object = PresetObject::from_document(&name, &body)
        .map_err(|e| ApiError::bad_request(format!("object {name}: {e}")))?;
    state.store.put_preset_object(object).await?;
    Ok(StatusCode::OK)
}

/// `DELETE /objects/{name}`.
pub(crate) async fn remove(
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    // Idempotent, as GenieACS: an object already gone is not an error.
    state.store.delete_preset_object(&name).await?;
    Ok(StatusCode::OK)
}

/// `GET /objects`: every object by name, `?query=` by field equality.
pub(crate) async fn list(
    State(state): State<ApiState>,
    QueryString(params): QueryString<QueryParam>,
) -> ApiResult<(HeaderMap, Json<JsonValue>)> {
    let query = DocQuery::parse(params.query.as_deref())?;
    let objects = state.store.list_preset_objects().await?;
    Ok(listing(
        objects.iter().map(PresetObject::to_document),
        &query,
    ))
}
