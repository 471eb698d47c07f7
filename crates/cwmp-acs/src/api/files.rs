//! `/files` (GenieACS compatible: `PUT` with the metadata in headers `fileType`, `oui`,
//! `productClass`, `version`; `GET` lists with GenieACS field names) and the uploads of a
//! device, `/devices/{id}/uploads`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Path, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cwmp::DateTime;
use serde_json::{Value as JsonValue, json};

use super::doc_query::{DocQuery, QueryParam, listing};
use super::{ApiError, ApiExtras, ApiResult, QueryString};
use crate::files::blobs::{self, WriteError};
use crate::files::{FileError, FileInfo, FileService};
use crate::store::{DeviceId, FileMeta, Timestamp};
use crate::task::TaskSpec;

fn service(extras: &ApiExtras) -> ApiResult<&Arc<FileService>> {
    extras.files.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "file storage is not configured",
        )
    })
}

impl From<FileError> for ApiError {
    fn from(e: FileError) -> ApiError {
        match e {
            FileError::BadName(m) => ApiError::bad_request(m),
            FileError::NotFound(_) => ApiError::not_found(e.to_string()),
            FileError::Write(WriteError::TooLarge { .. }) => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
            }
            FileError::Write(WriteError::Body(_)) => ApiError::bad_request(e.to_string()),
            FileError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "file storage error in the API");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "file storage error")
            }
        }
    }
}

/// ISO 8601 text of `t`.
pub(crate) fn iso(t: Timestamp) -> String {
    // JavaScript's `toISOString`, as GenieACS prints dates: always three fraction digits.
    let ms = t.as_millis();
    DateTime::from_unix(ms.div_euclid(1000), 0).map_or_else(String::new, |d| {
        let whole = d.to_string();
        let whole = whole.strip_suffix('Z').unwrap_or(&whole);
        format!("{whole}.{:03}Z", ms.rem_euclid(1000))
    })
}

/// A file as GenieACS lists it.
fn file_json(f: &FileMeta) -> JsonValue {
    json!({
        "_id": f.name,
        "filename": f.name,
        "length": f.size,
        "uploadDate": iso(f.uploaded),
        "sha256": f.sha256,
        "metadata": {
            "fileType": f.file_type,
            "oui": f.oui,
            "productClass": f.product_class,
            "version": f.version,
        },
    })
}

fn header(headers: &HeaderMap, name: &str) -> ApiResult<String> {
    match headers.get(name) {
        None => Ok(String::new()),
        Some(v) => v
            .to_str()
            .map(str::to_owned)
            .map_err(|_| ApiError::bad_request(format!("header {name} must be text"))),
    }
}

/// `PUT /files/{name}`: stores the body (at most `max_file_bytes`), 201 with the file.
pub(crate) async fn put(
    Extension(extras): Extension<ApiExtras>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let files = service(&extras)?;
    let info = FileInfo {
        file_type: header(&headers, "fileType")?,
        oui: header(&headers, "oui")?,
        product_class: header(&headers, "productClass")?,
        version: header(&headers, "version")?,
    };
    let meta = files.put_file(&name, info, body).await?;
    tracing::info!(file = meta.name, size = meta.size, "file stored");
    // GenieACS answers 200 whether the file is new or replaced.
    Ok((StatusCode::OK, Json(file_json(&meta))).into_response())
}

/// `GET /files?query=`.
pub(crate) async fn list(
    Extension(extras): Extension<ApiExtras>,
    QueryString(params): QueryString<QueryParam>,
) -> ApiResult<Response> {
    let query = DocQuery::parse(params.query.as_deref())?;
    let files = service(&extras)?;
    let all = files.store().list_files().await?;
    Ok(listing(all.iter().map(file_json), &query).into_response())
}

/// `GET /files/{name}`: the content (with `Range`).
pub(crate) async fn get(
    Extension(extras): Extension<ApiExtras>,
    Path(name): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let files = service(&extras)?;
    let (meta, path) = files.file(&name).await?;
    Ok(blobs::respond(&path, &meta.sha256, req.method(), req.headers(), None).await)
}

/// `DELETE /files/{name}`.
pub(crate) async fn remove(
    Extension(extras): Extension<ApiExtras>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let files = service(&extras)?;
    if !files.delete_file(&name).await? {
        return Err(ApiError::not_found(format!("no file {name}")));
    }
    tracing::info!(file = name, "file deleted");
    Ok(Json(json!({})).into_response())
}

/// `GET /devices/{id}/uploads`: the files the device uploaded, oldest first.
pub(crate) async fn uploads(
    Extension(extras): Extension<ApiExtras>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let files = service(&extras)?;
    let list = files
        .uploads()
        .list(&DeviceId::from_escaped(id))
        .await
        .map_err(FileError::from)?;
    Ok(Json(list).into_response())
}

/// `GET /devices/{id}/uploads/{uid}`: one upload's content (with `Range`).
pub(crate) async fn upload(
    Extension(extras): Extension<ApiExtras>,
    Path((id, uid)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Response> {
    let files = service(&extras)?;
    let found = files
        .uploads()
        .get(&DeviceId::from_escaped(id), &uid)
        .await
        .map_err(FileError::from)?;
    let (meta, path) = found.ok_or_else(|| ApiError::not_found(format!("no upload {uid}")))?;
    Ok(blobs::respond(&path, &meta.sha256, req.method(), req.headers(), None).await)
}

/// Refuses now (400) a transfer task naming a stored file or upload that does not exist,
/// rather than letting it fault in the session.
pub(crate) async fn check_task_files(
    extras: &ApiExtras,
    device: &DeviceId,
    spec: &TaskSpec,
) -> ApiResult<()> {
    let (TaskSpec::Download(t) | TaskSpec::ScheduleDownload(t)) = spec else {
        return Ok(());
    };
    if t.url.is_some() {
        return Ok(());
    }
    let files = service(extras)?;
    if let Some(name) = t.stored_file() {
        match files.file(name).await {
            Ok(_) => {}
            Err(FileError::NotFound(_) | FileError::BadName(_)) => {
                return Err(ApiError::bad_request(format!(
                    "file {name:?} does not exist"
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(uid) = &t.upload
        && files
            .uploads()
            .get(device, uid)
            .await
            .map_err(FileError::from)?
            .is_none()
    {
        return Err(ApiError::bad_request(format!(
            "device has no upload {uid:?}"
        )));
    }
    Ok(())
}
