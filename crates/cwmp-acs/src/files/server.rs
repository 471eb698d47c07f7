//! The file server CPEs download from and upload to, on its own listener (HTTP, or HTTPS
//! with `file_tls_cert_file`/`file_tls_key_file`). Every request needs a signed URL
//! ([`super::signing`]); an unsigned, expired or altered one is answered 403.
//!
//! - `GET`/`HEAD /files/{name}`: a stored file (`Range: bytes=` single ranges, `ETag`).
//! - `GET`/`HEAD /uploaded/{uid}`: a file the device uploaded earlier.
//! - `PUT`/`POST /uploads/{task}`: the upload of an Upload task by its device.
//!
//! At most `max_concurrent` transfers run at once (more get 503 with `Retry-After`), and a
//! connection on which no byte moves for `idle_timeout` is closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::FileService;
use super::blobs::{self, WriteError};
use super::idle_io::IdleIo;
use super::signing::Grant;
use crate::store::{DeviceId, TaskStatus, Timestamp};

/// `Retry-After` (seconds) of a transfer refused because all slots are taken.
const BUSY_RETRY_AFTER: &str = "10";

#[derive(Clone)]
struct ServerState {
    files: Arc<FileService>,
    slots: Arc<Semaphore>,
}

/// The signature part of a URL: device, expiry (Unix seconds), signature.
#[derive(Debug, Deserialize)]
struct Signed {
    d: Option<String>,
    e: Option<u64>,
    s: Option<String>,
}

/// The file server's routes over `files`.
pub fn router(files: Arc<FileService>) -> Router {
    let slots = Arc::new(Semaphore::new(files.settings().max_concurrent));
    Router::new()
        .route("/files/{name}", get(download_file))
        .route("/uploaded/{uid}", get(download_upload))
        .route(
            "/uploads/{task}",
            axum::routing::put(receive_upload).post(receive_upload),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route") })
        .with_state(ServerState { files, slots })
}

/// Why a request is refused before anything is read or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Unsigned, expired or altered URL, or nothing to upload for (403).
    Forbidden,
    /// Every transfer slot is taken (503 with `Retry-After`).
    Busy,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Forbidden => (StatusCode::FORBIDDEN, "forbidden").into_response(),
            Refusal::Busy => {
                let mut r = (StatusCode::SERVICE_UNAVAILABLE, "too many transfers").into_response();
                r.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER));
                r
            }
        }
    }
}

fn forbidden(what: &str, name: &str, device: Option<&str>, why: &str) -> Refusal {
    tracing::info!(
        what,
        name,
        device = device.unwrap_or("-"),
        why,
        "file server refused a request"
    );
    Refusal::Forbidden
}

/// The device of a valid signature of `grant` on `name`, or the 403 answer.
fn check(state: &ServerState, grant: Grant, name: &str, q: &Signed) -> Result<DeviceId, Refusal> {
    let what = match grant {
        Grant::File => "file",
        Grant::Upload => "upload",
        Grant::Uploaded => "uploaded file",
    };
    let (Some(device), Some(expires), Some(sig)) = (&q.d, q.e, &q.s) else {
        return Err(forbidden(what, name, q.d.as_deref(), "unsigned URL"));
    };
    let now = u64::try_from(Timestamp::now().as_millis() / 1000).unwrap_or(0);
    if !state
        .files
        .signer()
        .verify(grant, name, device, expires, sig, now)
    {
        let why = if expires < now {
            "expired URL"
        } else {
            "bad signature"
        };
        return Err(forbidden(what, name, Some(device), why));
    }
    Ok(DeviceId::from_escaped(device.clone()))
}

fn slot(state: &ServerState) -> Result<OwnedSemaphorePermit, Refusal> {
    Arc::clone(&state.slots)
        .try_acquire_owned()
        .map_err(|_| Refusal::Busy)
}

/// Serves a stored file or upload within one of the bounded transfer slots (503 when none is
/// free).
async fn serve_stored(
    state: &ServerState,
    path: &std::path::Path,
    sha256: &str,
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
) -> Response {
    match slot(state) {
        Ok(permit) => blobs::respond(path, sha256, method, headers, Some(permit)).await,
        Err(r) => r.into_response(),
    }
}

async fn download_file(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    Query(q): Query<Signed>,
    req: Request,
) -> Response {
    let device = match check(&state, Grant::File, &name, &q) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let (meta, path) = match state.files.file(&name).await {
        Ok(x) => x,
        Err(super::FileError::NotFound(_) | super::FileError::BadName(_)) => {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        }
        Err(e) => {
            tracing::error!(%device, file = name, error = %e, "file lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    tracing::debug!(%device, file = name, "serving a file");
    serve_stored(&state, &path, &meta.sha256, req.method(), req.headers()).await
}

async fn download_upload(
    State(state): State<ServerState>,
    Path(uid): Path<String>,
    Query(q): Query<Signed>,
    req: Request,
) -> Response {
    let device = match check(&state, Grant::Uploaded, &uid, &q) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let found = match state.files.uploads().get(&device, &uid).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(%device, uid, error = %e, "upload lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some((meta, path)) = found else {
        return (StatusCode::NOT_FOUND, "no such upload").into_response();
    };
    serve_stored(&state, &path, &meta.sha256, req.method(), req.headers()).await
}

async fn receive_upload(
    State(state): State<ServerState>,
    Path(task_id): Path<String>,
    Query(q): Query<Signed>,
    body: Body,
) -> Response {
    let device = match check(&state, Grant::Upload, &task_id, &q) {
        Ok(d) => d,
        Err(r) => return r.into_response(),
    };
    let task = match state.files.store().get_task(&task_id).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(%device, task = task_id, error = %e, "task lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // Only while the task waits for its transfer: a replayed URL cannot add files later.
    let Some(task) = task.filter(|t| {
        t.device == device
            && t.name == "upload"
            && matches!(t.status, TaskStatus::Running | TaskStatus::Transferring)
    }) else {
        return forbidden(
            "upload",
            &task_id,
            Some(device.as_str()),
            "no upload in progress",
        )
        .into_response();
    };
    let _permit = match slot(&state) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let file_type = task
        .payload
        .get("fileType")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let limit = state.files.settings().max_upload_bytes;
    match state
        .files
        .uploads()
        .store(&device, &task_id, file_type, body, limit)
        .await
    {
        Ok(meta) => {
            tracing::info!(%device, task = task_id, uid = meta.id, size = meta.size, "upload stored");
            StatusCode::OK.into_response()
        }
        Err(WriteError::TooLarge { limit }) => {
            tracing::warn!(%device, task = task_id, limit, "upload refused: too large");
            (StatusCode::PAYLOAD_TOO_LARGE, "file too large").into_response()
        }
        Err(WriteError::Body(e)) => {
            tracing::warn!(%device, task = task_id, error = e, "upload interrupted");
            (StatusCode::BAD_REQUEST, "upload interrupted").into_response()
        }
        Err(e @ WriteError::Io(_)) => {
            tracing::error!(%device, task = task_id, error = %e, "cannot store an upload");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Serves `router` on `listener` (TLS with `tls`) until `shutdown` resolves; a connection
/// idle for `idle` (including the TLS handshake and the request headers) is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    idle: Duration,
    shutdown: impl Future<Output = ()>,
) {
    crate::http::accept::serve_connections(listener, "file server", shutdown, move |stream, peer| {
        let service = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        async move {
            let io = IdleIo::new(stream, idle);
            let result = match tls {
                Some(acceptor) => {
                    let handshake =
                        crate::http::accept::tls_handshake(&acceptor, io, idle, peer, "file server");
                    match handshake.await {
                        Some(tls) => serve_connection(TokioIo::new(tls), service, idle).await,
                        None => return,
                    }
                }
                None => serve_connection(TokioIo::new(io), service, idle).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "file server connection ended with an error");
            }
        }
    })
    .await;
}

async fn serve_connection<I>(
    io: I,
    service: TowerToHyperService<Router>,
    idle: Duration,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(io, service)
        .await
}
