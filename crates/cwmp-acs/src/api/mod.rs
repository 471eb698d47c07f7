//! The northbound REST API (GenieACS NBI compatible): an axum [`Router`] served on its own
//! listener (loopback by default) by a small hyper accept loop, every route behind bearer
//! token authentication ([`auth`]).

pub mod access;
pub mod auth;
mod campaigns;
pub mod cr;
mod credentials;
mod devices;
mod doc_query;
mod event_stream;
mod extract;
mod extras;
mod faults;
mod files;
mod metrics_route;
mod objects;
mod openapi;
pub mod passwords;
mod presets;
pub mod principal;
mod provisions;
mod sessions;
mod sse_ticket;
mod stats;
mod status;
pub mod task_wait;
mod tasks;
mod users;
pub mod web_session;
pub mod web_ui;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

pub use auth::ApiTokens;
pub(crate) use extract::{JsonBody, QueryString, parse_json};
pub use extras::ApiExtras;

use crate::store::{Store, StoreError};

/// What every handler shares.
#[derive(Clone)]
pub struct ApiState {
    /// The device store.
    pub store: Arc<dyn Store>,
    /// Timeout of a Connection Request.
    pub connection_request_timeout: Duration,
    /// CPE authentication in force (mode shown by `/status`, realm of imported passwords).
    pub cpe_auth: Arc<crate::cpe_auth::CpeAuth>,
}

/// An error answered as `{"error": message}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
    pub(crate) fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            other => {
                tracing::error!(error = %other, "store error in the API");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED
            && let Ok(v) = "Bearer".parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

/// Result of a handler.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// `total` (GenieACS's header) and `X-Total-Count`: how many documents match in all.
pub(crate) fn total_headers(total: u64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("total", HeaderValue::from(total));
    headers.insert("x-total-count", HeaderValue::from(total));
    headers
}

/// The API router with authentication on every route, its own event bus and metrics.
pub fn router(state: ApiState, tokens: ApiTokens) -> Router {
    router_with(state, tokens, ApiExtras::default())
}

/// The API router with authentication on every route (but `/metrics` when
/// [`ApiExtras::metrics_public`]), serving `extras`.
pub fn router_with(state: ApiState, tokens: ApiTokens, extras: ApiExtras) -> Router {
    let metrics_public = extras.metrics_public;
    let authenticated = Router::new()
        .route("/devices", get(devices::list))
        .route("/devices/{id}", delete(devices::remove))
        .route(
            "/devices/{id}/tags/{tag}",
            post(devices::add_tag).delete(devices::remove_tag),
        )
        .route("/devices/{id}/tasks", post(tasks::create))
        .route(
            "/devices/{id}/credentials",
            get(credentials::get)
                .put(credentials::put)
                .patch(credentials::patch)
                .delete(credentials::remove),
        )
        .route("/status", get(status::get))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{id}", delete(tasks::remove))
        .route("/tasks/{id}/retry", post(tasks::retry))
        .route("/faults", get(faults::list))
        .route("/faults/{id}", delete(faults::remove))
        .route(
            "/presets/{name}",
            get(presets::get_preset)
                .put(presets::put_preset)
                .delete(presets::delete_preset),
        )
        .route("/files", get(files::list))
        .route(
            "/files/{name}",
            get(files::get).put(files::put).delete(files::remove),
        )
        .route("/devices/{id}/sessions", get(sessions::list))
        .route("/devices/{id}/uploads", get(files::uploads))
        .route("/devices/{id}/uploads/{uid}", get(files::upload))
        .route("/events", get(event_stream::stream))
        .route("/events/ticket", post(sse_ticket::issue))
        .route("/presets", get(presets::list))
        .route("/provisions", get(provisions::list_provisions))
        .route(
            "/provisions/{name}",
            get(provisions::get_provision)
                .put(provisions::put_provision)
                .delete(provisions::delete_provision),
        )
        .route(
            "/provisions/{name}/dry_run",
            post(provisions::dry_run_provision),
        )
        .route(
            "/virtual_parameters",
            get(provisions::list_virtual_parameters),
        )
        .route(
            "/virtual_parameters/{name}",
            get(provisions::get_virtual_parameter)
                .put(provisions::put_virtual_parameter)
                .delete(provisions::delete_virtual_parameter),
        )
        .route(
            "/virtual_parameters/{name}/dry_run",
            post(provisions::dry_run_virtual_parameter),
        )
        .route("/objects", get(objects::list))
        .route("/objects/{name}", put(objects::put).delete(objects::remove))
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(users::me))
        .route("/users", get(users::list))
        .route(
            "/users/{name}",
            get(users::get).put(users::put).delete(users::remove),
        )
        .route(
            "/users/{name}/tokens",
            get(users::tokens).post(users::create_token),
        )
        .route("/users/{name}/tokens/{id}", delete(users::revoke_token))
        .route("/audit", get(users::audit))
        .route("/stats/fleet", get(stats::fleet))
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/{id}", get(campaigns::get))
        .route("/campaigns/{id}/{action}", post(campaigns::act));
    let metrics = Router::new().route("/metrics", get(metrics_route::render));
    let (authenticated, public) = if metrics_public {
        (authenticated, metrics)
    } else {
        (authenticated.merge(metrics), Router::new())
    };
    let public = public
        .route("/events/ticketed", get(sse_ticket::stream))
        .route("/auth/login", post(users::login))
        .route("/auth/logout", post(users::logout))
        .merge(web_ui::router());
    let authenticator = principal::Authenticator {
        tokens,
        store: Arc::clone(&state.store),
        sessions: web_session::WebSessions::default(),
    };
    authenticated
        .fallback(|| async { ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn_with_state(
            authenticator.clone(),
            principal::authorize,
        ))
        .merge(public)
        .layer(Extension(authenticator))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&extras.metrics),
            metrics_route::count_requests,
        ))
        .layer(Extension(extras))
        .layer(Extension(sse_ticket::SseTickets::default()))
        .with_state(state)
}

/// GenieACS's documented URLs end collections with a slash (`/devices/?query=…`,
/// `/provisions/`): the API answers them as without it (the web UI's own pages, under
/// `/ui/`, keep theirs).
fn without_trailing_slash<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("/ui/") {
        let trimmed = path.trim_end_matches('/');
        let path_and_query = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(pq) = path_and_query.parse() {
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = Some(pq);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// Serves `router` on `listener` until `shutdown` resolves (connections in progress finish
/// on their own).
pub async fn serve(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    crate::http::accept::serve_connections(listener, "api", shutdown, move |stream, peer| {
        let service = TowerToHyperService::new(
            router
                .clone()
                .map_request(without_trailing_slash::<hyper::body::Incoming>),
        );
        async move {
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "API connection ended with an error");
            }
        }
    })
    .await;
}
