//! `GET /metrics` (Prometheus text format), and the middleware counting API requests.

use std::sync::Arc;

use axum::extract::{Extension, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiExtras;
use crate::metrics::{self, Metrics, Server};

/// `GET /metrics`.
pub(crate) async fn render(Extension(extras): Extension<ApiExtras>) -> Response {
    (
        [(CONTENT_TYPE, metrics::CONTENT_TYPE)],
        extras.metrics.render(),
    )
        .into_response()
}

/// Counts every API response by status class.
pub(crate) async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    metrics.http_request(Server::Api, response.status().as_u16());
    response
}
