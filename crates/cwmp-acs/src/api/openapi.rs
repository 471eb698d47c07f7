//! `GET /openapi.json`: the OpenAPI 3.0 description of the API, written by hand in
//! `openapi.json` beside this file (a test checks it against the router).

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub(crate) async fn document() -> Response {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::DOCUMENT;

    /// `(method, path)` of every `.route(...)` in the router's source.
    fn routes_in_router() -> BTreeSet<(String, String)> {
        let source = include_str!("mod.rs");
        let mut out = BTreeSet::new();
        for part in source.split(".route(").skip(1) {
            let path = part
                .trim_start()
                .strip_prefix('"')
                .and_then(|p| p.split('"').next())
                .expect("route path literal");
            // The method routers up to the end of this `.route(` call.
            let mut depth = 1;
            let end = part
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(part.len(), |(i, _)| i);
            let call = &part[..end];
            for method in ["get", "post", "put", "delete", "patch"] {
                let plain = format!(" {method}(");
                let chained = format!(".{method}(");
                let opened = format!("({method}(");
                if call.contains(&plain) || call.contains(&chained) || call.contains(&opened) {
                    out.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
        out
    }

    #[test]
    fn document_describes_every_route_and_nothing_else() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).expect("valid JSON");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3.0"));
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                assert!(op["responses"].is_object(), "{method} {path}: no responses");
                assert!(op["summary"].is_string(), "{method} {path}: no summary");
                documented.insert((method.clone(), path.clone()));
            }
        }
        let routes = routes_in_router();
        assert!(
            routes.len() >= 10,
            "router source not understood: {routes:?}"
        );
        assert_eq!(documented, routes);
    }
}
