//! The web UI over real HTTP on 127.0.0.1: its files are served publicly with their content
//! types, CSP and cache headers, reference nothing outside the server and nothing missing;
//! `/` redirects to it; the event stream's ticket route lets a browser in only with a valid
//! one-time ticket; `GET /presets` lists what the presets page edits. When `node` is
//! installed, every module is checked for syntax errors.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{STEP, call, call_raw};
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens, web_ui};
use cwmp_acs::events::{EventBus, EventKind};
use cwmp_acs::store::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const TOKEN: &str = "web-ui-token";

struct Api {
    addr: SocketAddr,
    events: EventBus,
    _dir: tempfile::TempDir,
}

async fn start() -> Api {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let events = EventBus::default();
    let router = api::router_with(
        ApiState {
            store,
            connection_request_timeout: Duration::from_secs(2),
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([TOKEN]),
        ApiExtras {
            events: events.clone(),
            ..ApiExtras::default()
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(api::serve(listener, router, std::future::pending()));
    Api {
        addr,
        events,
        _dir: dir,
    }
}

/// `GET path` without a token, with extra request headers: `(status, headers, body)`.
async fn fetch(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, hyper::HeaderMap, String) {
    let fut = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::get(path).header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = sender
            .send_request(req.body(Full::new(Bytes::new())).expect("request"))
            .await
            .expect("send");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).expect("UTF-8"),
        )
    };
    tokio::time::timeout(STEP, fut).await.expect("in time")
}

fn header<'a>(headers: &'a hyper::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("ASCII")
}

/// Every embedded file, fetched: `(name under /ui/, body)`.
async fn all_files(addr: SocketAddr) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in web_ui::file_names() {
        let (status, _, body) = fetch(addr, &format!("/ui/{name}"), &[]).await;
        assert_eq!(status, StatusCode::OK, "/ui/{name}");
        out.push((name.to_owned(), body));
    }
    out
}

/// Relative references of a file: `src=`/`href=` attributes of HTML, `from "./x.js"` and
/// `import("./x.js")` of modules, resolved against the file's folder.
fn references(name: &str, body: &str) -> Vec<String> {
    let folder = name.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut refs = Vec::new();
    for marker in ["src=\"", "href=\"", "from \"", "import(\""] {
        for part in body.split(marker).skip(1) {
            let target = part.split('"').next().expect("closing quote");
            if target.starts_with('#') || target.contains("${") {
                continue;
            }
            let target = target.strip_prefix("./").unwrap_or(target);
            refs.push(if folder.is_empty() {
                target.to_owned()
            } else {
                format!("{folder}/{target}")
            });
        }
    }
    refs
}

#[tokio::test]
async fn ui_files_are_public_with_content_types_csp_and_revalidation() {
    let api = start().await;
    for name in web_ui::file_names() {
        let path = format!("/ui/{name}");
        let (status, headers, body) = fetch(api.addr, &path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.is_empty(), "{path}");
        let expected = match name.rsplit_once('.').map(|(_, ext)| ext) {
            None => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            Some(other) => panic!("unexpected file type {other}"),
        };
        assert_eq!(header(&headers, "content-type"), expected, "{path}");
        assert_eq!(
            header(&headers, "content-security-policy"),
            web_ui::CSP,
            "{path}"
        );
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        let etag = header(&headers, "etag").to_owned();
        let (again, _, empty) = fetch(api.addr, &path, &[("if-none-match", &etag)]).await;
        assert_eq!(again, StatusCode::NOT_MODIFIED, "{path}");
        assert!(empty.is_empty());
        let (stale, _, _) = fetch(api.addr, &path, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(stale, StatusCode::OK, "{path}");
    }
    let csp = web_ui::CSP;
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
    let (missing, _, _) = fetch(api.addr, "/ui/js/nope.js", &[]).await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
    let (escape, _, _) = fetch(api.addr, "/ui/../Cargo.toml", &[]).await;
    assert_eq!(escape, StatusCode::NOT_FOUND);
    // The pages are public; the data is not.
    let (data, _, _) = fetch(api.addr, "/devices", &[]).await;
    assert_eq!(data, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn root_and_ui_redirect_to_the_page() {
    let api = start().await;
    for path in ["/", "/ui"] {
        let (status, headers, _) = fetch(api.addr, path, &[]).await;
        assert!(status.is_redirection(), "{path}: {status}");
        assert_eq!(header(&headers, "location"), "/ui/", "{path}");
    }
    let (status, headers, body) = fetch(api.addr, "/ui/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(body.contains("<script type=\"module\" src=\"js/app.js\">"));
    // Browsers ask for /favicon.ico without credentials: the embedded icon.
    let (status, headers, body) = fetch(api.addr, "/favicon.ico", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/svg+xml");
    assert!(body.contains("<svg"));
}

#[tokio::test]
async fn served_files_reference_nothing_external_nor_missing() {
    let api = start().await;
    let files = all_files(api.addr).await;
    let served: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let mut referenced = vec![String::new()];
    for (name, body) in &files {
        // SVG names its XML namespace by URL (in the icon, and for createElementNS in the
        // charts); that is no reference.
        let body = &body.replace("http://www.w3.org/2000/svg\"", "\"");
        for needle in [
            "http:",
            "https:",
            "//cdn",
            "url(",
            "@import",
            "innerHTML",
            "eval(",
        ] {
            assert!(!body.contains(needle), "/ui/{name} contains {needle:?}");
        }
        for target in references(name, body) {
            assert!(
                !target.starts_with('/') && !target.contains("//") && !target.contains(':'),
                "/ui/{name} references {target} beyond /ui/"
            );
            assert!(
                served.contains(&target.as_str()),
                "/ui/{name} references {target}, which is not served"
            );
            let (status, headers, _) = fetch(api.addr, &format!("/ui/{target}"), &[]).await;
            assert_eq!(status, StatusCode::OK, "{target}");
            if target.ends_with(".js") {
                assert!(header(&headers, "content-type").starts_with("text/javascript"));
            }
            referenced.push(target);
        }
    }
    let (_, index) = &files[0];
    assert!(index.contains("<html"), "the first file is the page");
    for name in &served {
        assert!(
            referenced.iter().any(|r| r == name),
            "/ui/{name} is served but never referenced"
        );
    }
}

#[tokio::test]
async fn event_stream_ticket_lets_in_once_and_only_with_a_valid_ticket() {
    let api = start().await;
    let (status, _) = call(api.addr, "POST", "/events/ticket", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(api.addr, "POST", "/events/ticket", Some("wrong"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for query in ["", "?ticket=", "?ticket=0123abcd"] {
        let (status, _, _) = fetch(api.addr, &format!("/events/ticketed{query}"), &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}");
    }
    // The bearer token is no ticket.
    let (status, _, _) = fetch(api.addr, &format!("/events/ticketed?ticket={TOKEN}"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, headers, text) =
        call_raw(api.addr, "POST", "/events/ticket", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "cache-control"), "no-store");
    let answer: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let ticket = answer["ticket"].as_str().expect("ticket").to_owned();
    assert!(answer["expires_in_ms"].as_u64().expect("ttl") > 0);

    let mut tcp = tokio::net::TcpStream::connect(api.addr)
        .await
        .expect("connect");
    let req = format!("GET /events/ticketed?ticket={ticket}&device=d1 HTTP/1.1\r\nHost: x\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut text = String::new();
    let mut buf = vec![0u8; 4096];
    let read = async {
        let mut published = false;
        while !text.contains("\"task\":\"t-seen\"") {
            let n = tcp.read(&mut buf).await.expect("read");
            assert!(n > 0, "stream closed early:\n{text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if !published && text.contains("\r\n\r\n") {
                assert!(text.starts_with("HTTP/1.1 200"), "{text}");
                assert!(text.to_ascii_lowercase().contains("text/event-stream"));
                // The subscription is made before the head is sent.
                let other = DeviceId::from_escaped("d2");
                let d1 = DeviceId::from_escaped("d1");
                api.events.publish(
                    &other,
                    EventKind::TaskDone {
                        task: "t-other".into(),
                        result: serde_json::json!({}),
                    },
                );
                api.events.publish(
                    &d1,
                    EventKind::TaskDone {
                        task: "t-seen".into(),
                        result: serde_json::json!({}),
                    },
                );
                published = true;
            }
        }
    };
    tokio::time::timeout(STEP, read)
        .await
        .expect("event in time");
    assert!(!text.contains("t-other"), "the device filter applies");

    // Used once: refused the second time.
    let (status, _, _) = fetch(api.addr, &format!("/events/ticketed?ticket={ticket}"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn presets_are_listed_for_the_presets_page() {
    let api = start().await;
    let (status, list) = call(api.addr, "GET", "/presets", Some(TOKEN), None).await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let preset = json!({"weight": 3, "precondition": {"_tags": "lab"}, "events": ["1 BOOT"],
        "configuration": {"parameters": [["Device.ManagementServer.PeriodicInformInterval", 60]]}});
    let (status, _) = call(api.addr, "PUT", "/presets/lab", Some(TOKEN), Some(preset)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, bad) = call(
        api.addr,
        "PUT",
        "/presets/bad",
        Some(TOKEN),
        Some(json!({"precondition": {"$nope": 1}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["error"]
            .as_str()
            .expect("message")
            .contains("precondition")
    );
    let (status, list) = call(api.addr, "GET", "/presets", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["_id"], "lab");
    assert_eq!(list[0]["weight"], 3);
    let (status, _) = call(api.addr, "GET", "/presets", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Runs `node` with `args` in `dir`, bounded in time.
async fn node(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let (dir, args) = (
        dir.to_owned(),
        args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
    );
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args(&args)
            .current_dir(dir)
            .output()
    });
    tokio::time::timeout(STEP, run)
        .await
        .expect("node in time")
        .expect("joined")
        .expect("node runs")
}

#[tokio::test]
async fn every_module_parses_and_links_under_node() {
    let node_works = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_works {
        eprintln!("skipped: `node` is not installed, the JS syntax check did not run");
        return;
    }
    let api = start().await;
    let dir = tempfile::tempdir().expect("tmp");
    // `"type": "module"`: node parses the `.js` files as ES modules, as browsers do.
    std::fs::write(dir.path().join("package.json"), r#"{"type": "module"}"#).expect("write");
    std::fs::create_dir(dir.path().join("js")).expect("mkdir");
    let mut modules = Vec::new();
    for (name, body) in all_files(api.addr).await {
        if name.ends_with(".js") {
            std::fs::write(dir.path().join(&name), body).expect("write");
            modules.push(name);
        }
    }
    assert!(modules.len() >= 5, "only {modules:?}");
    for name in &modules {
        let out = node(dir.path(), &["--check", name]).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{name}: {err}");
    }
    // Loading the entry module links every import (a missing module or export fails
    // there) and evaluates them all; only the shell's first touch of the page can fail.
    let out = node(dir.path(), &["js/app.js"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ReferenceError: document is not defined") && err.contains("app.js"),
        "js/app.js: {err}"
    );
}
