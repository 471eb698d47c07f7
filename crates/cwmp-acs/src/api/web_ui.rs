//! The operator web UI: static files embedded in the binary (`crates/cwmp-acs/ui/`), served
//! without authentication under `/ui/` (`/` redirects there). The pages hold no data: every
//! data call goes to the JSON API with the bearer token the operator pastes in.
//!
//! Each file is served with its content type, a strict Content-Security-Policy (scripts,
//! styles and connections to this origin only; no inline code, no framing), and
//! `Cache-Control: no-cache` with an `ETag`, so that a browser revalidates after an upgrade
//! and gets `304 Not Modified` otherwise.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sha2::{Digest as _, Sha256};

use super::{ApiError, ApiState};
use cwmp::http_auth::hex;

/// The Content-Security-Policy of every UI file.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Where the UI is served.
pub const UI_PREFIX: &str = "/ui/";

/// Embedded files: name under `/ui/` (`""` is the page), content type, bytes.
const FILES: &[(&str, &str, &str)] = &[
    (
        "",
        "text/html; charset=utf-8",
        include_str!("../../ui/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../ui/app.css"),
    ),
    ("js/app.js", JS, include_str!("../../ui/js/app.js")),
    ("js/api.js", JS, include_str!("../../ui/js/api.js")),
    ("js/dom.js", JS, include_str!("../../ui/js/dom.js")),
    ("js/events.js", JS, include_str!("../../ui/js/events.js")),
    (
        "js/overview.js",
        JS,
        include_str!("../../ui/js/overview.js"),
    ),
    ("js/devices.js", JS, include_str!("../../ui/js/devices.js")),
    ("js/device.js", JS, include_str!("../../ui/js/device.js")),
    (
        "js/param_tree.js",
        JS,
        include_str!("../../ui/js/param_tree.js"),
    ),
    ("js/lists.js", JS, include_str!("../../ui/js/lists.js")),
    ("js/presets.js", JS, include_str!("../../ui/js/presets.js")),
    ("js/users.js", JS, include_str!("../../ui/js/users.js")),
    ("js/admin.js", JS, include_str!("../../ui/js/admin.js")),
    ("js/charts.js", JS, include_str!("../../ui/js/charts.js")),
    (
        "js/campaigns.js",
        JS,
        include_str!("../../ui/js/campaigns.js"),
    ),
    (
        "js/task_form.js",
        JS,
        include_str!("../../ui/js/task_form.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../ui/favicon.svg"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

/// One embedded file with its precomputed entity tag.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, content_type, body)| Asset {
            name,
            content_type,
            body,
            etag: format!("\"{}\"", &hex(&Sha256::digest(body.as_bytes()))[..32]),
        })
        .collect()
});

/// Names of the embedded files under `/ui/` (`""`: the page), for tests and listings.
pub fn file_names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|&(name, _, _)| name)
}

/// The UI routes, public: `/` and `/ui` redirect to `/ui/`, which serves the page;
/// `/favicon.ico` is the embedded icon (SVG, which browsers take at that name too).
pub(crate) fn router() -> Router<ApiState> {
    Router::new()
        .route("/", get(|| async { Redirect::to(UI_PREFIX) }))
        .route("/ui", get(|| async { Redirect::to(UI_PREFIX) }))
        .route(
            "/favicon.ico",
            get(|headers: HeaderMap| async move { serve("favicon.svg", &headers) }),
        )
        .route("/ui/", get(|headers: HeaderMap| async move { serve("", &headers) }))
        .route(
            "/ui/{*file}",
            get(|Path(file): Path<String>, headers: HeaderMap| async move {
                serve(&file, &headers)
            }),
        )
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return ApiError::not_found("no such UI file").into_response();
    };
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    let headers = [
        (CONTENT_TYPE, asset.content_type),
        (CACHE_CONTROL, "no-cache"),
        (ETAG, asset.etag.as_str()),
        (CONTENT_SECURITY_POLICY, CSP),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
    ];
    if fresh {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, asset.body).into_response()
    }
}
