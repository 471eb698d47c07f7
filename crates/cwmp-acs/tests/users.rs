//! Console users, roles, sessions, API tokens and the audit log over real HTTP on
//! 127.0.0.1: the permission of each role on the API, the session cookie's attributes and
//! CSRF check, token scopes, revocation, and every change (allowed or refused) audited.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::STEP;
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens};
use cwmp_acs::store::*;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value as Json, json};

const ADMIN_TOKEN: &str = "first-start-admin-token";

async fn start() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("store"),
    );
    let router = api::router_with(
        ApiState {
            store,
            connection_request_timeout: Duration::from_secs(2),
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([ADMIN_TOKEN]),
        ApiExtras::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(api::serve(listener, router, std::future::pending()));
    (addr, dir)
}

/// An answer: status, headers, body text.
struct Answer {
    status: StatusCode,
    headers: hyper::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_str(&self.text).unwrap_or(Json::Null)
    }
}

/// One request with `headers` and an optional JSON body.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Json>,
) -> Answer {
    let fut = async {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", addr.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let bytes = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let resp = sender
            .send_request(req.body(Full::new(bytes)).expect("request"))
            .await
            .expect("send");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    };
    tokio::time::timeout(STEP, fut).await.expect("in time")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn admin(addr: SocketAddr, method: &str, path: &str, body: Option<Json>) -> Answer {
    send(
        addr,
        method,
        path,
        &[("authorization", &bearer(ADMIN_TOKEN))],
        body,
    )
    .await
}

/// A logged-in console session: its `Cookie` header value and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

async fn login(addr: SocketAddr, user: &str, password: &str) -> Session {
    let a = send(
        addr,
        "POST",
        "/auth/login",
        &[],
        Some(json!({"username": user, "password": password})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let set_cookie = a.headers["set-cookie"].to_str().expect("ASCII").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    Session {
        cookie: set_cookie.split(';').next().expect("pair").to_owned(),
        csrf: a.json()["csrf"].as_str().expect("csrf").to_owned(),
    }
}

impl Session {
    async fn send(&self, addr: SocketAddr, method: &str, path: &str, body: Option<Json>) -> Answer {
        let headers = [
            ("cookie", self.cookie.as_str()),
            ("x-csrf-token", self.csrf.as_str()),
        ];
        send(addr, method, path, &headers, body).await
    }
}

async fn make_user(addr: SocketAddr, name: &str, role: &str) {
    let a = admin(
        addr,
        "PUT",
        &format!("/users/{name}"),
        Some(json!({"role": role, "password": format!("{name}-password")})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

#[tokio::test]
async fn users_are_validated_and_listed_without_secrets() {
    let (addr, _dir) = start().await;
    for (body, status, needle) in [
        (
            json!({"role": "root", "password": "long enough"}),
            400,
            "role",
        ),
        (
            json!({"role": "admin", "password": "short"}),
            400,
            "password",
        ),
        (json!({"role": "admin"}), 400, "password"),
        (
            json!({"role": "admin", "password": "long enough", "x": 1}),
            422,
            "x",
        ),
    ] {
        let a = admin(addr, "PUT", "/users/ann", Some(body)).await;
        assert_eq!(a.status.as_u16(), status, "{}", a.text);
        assert!(a.text.contains(needle), "{}", a.text);
    }
    let a = admin(
        addr,
        "PUT",
        "/users/a%20b",
        Some(json!({"role": "admin", "password": "long enough"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    make_user(addr, "ann", "admin").await;
    let list = admin(addr, "GET", "/users", None).await;
    assert_eq!(list.json()[0]["name"], "ann");
    assert_eq!(list.json()[0]["role"], "admin");
    assert!(!list.text.contains("argon2"), "{}", list.text);
    // A role change keeps the password.
    let a = admin(addr, "PUT", "/users/ann", Some(json!({"role": "viewer"}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let s = login(addr, "ann", "ann-password").await;
    let me = s.send(addr, "GET", "/me", None).await.json();
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["csrf"], s.csrf.as_str());
}

#[tokio::test]
async fn login_failures_look_alike_and_logout_ends_the_session() {
    let (addr, _dir) = start().await;
    make_user(addr, "bob", "operator").await;
    for (user, password) in [("bob", "wrong password"), ("nobody", "bob-password")] {
        let a = send(
            addr,
            "POST",
            "/auth/login",
            &[],
            Some(json!({"username": user, "password": password})),
        )
        .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{user}");
        assert!(a.text.contains("wrong user name or password"), "{}", a.text);
        assert!(a.headers.get("set-cookie").is_none());
    }
    let s = login(addr, "bob", "bob-password").await;
    assert_eq!(
        s.send(addr, "GET", "/devices", None).await.status,
        StatusCode::OK
    );
    let out = s.send(addr, "POST", "/auth/logout", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .expect("ASCII")
            .contains("Max-Age=0")
    );
    assert_eq!(
        s.send(addr, "GET", "/devices", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Behind an HTTPS proxy the cookie is Secure.
    let a = send(
        addr,
        "POST",
        "/auth/login",
        &[("x-forwarded-proto", "https")],
        Some(json!({"username": "bob", "password": "bob-password"})),
    )
    .await;
    assert!(
        a.headers["set-cookie"]
            .to_str()
            .expect("ASCII")
            .contains("; Secure")
    );
}

#[tokio::test]
async fn a_session_change_needs_its_csrf_token() {
    let (addr, _dir) = start().await;
    make_user(addr, "ann", "admin").await;
    let s = login(addr, "ann", "ann-password").await;
    let preset = json!({"precondition": "{}", "configurations": []});
    for csrf in [None, Some("0".repeat(64))] {
        let mut headers = vec![("cookie", s.cookie.as_str())];
        if let Some(c) = csrf.as_deref() {
            headers.push(("x-csrf-token", c));
        }
        let a = send(addr, "PUT", "/presets/p1", &headers, Some(preset.clone())).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text);
        assert!(a.text.contains("CSRF"), "{}", a.text);
    }
    let a = s.send(addr, "PUT", "/presets/p1", Some(preset)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    // Reads need no CSRF token.
    let a = send(
        addr,
        "GET",
        "/presets",
        &[("cookie", s.cookie.as_str())],
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn each_role_may_do_what_its_table_says() {
    let (addr, _dir) = start().await;
    for (name, role) in [("vic", "viewer"), ("olga", "operator"), ("ann", "admin")] {
        make_user(addr, name, role).await;
    }
    let viewer = login(addr, "vic", "vic-password").await;
    let operator = login(addr, "olga", "olga-password").await;
    let administrator = login(addr, "ann", "ann-password").await;
    let preset = json!({"precondition": "{}", "configurations": []});
    // (method, path, body, least role allowed); a refusal is 403, anything else passed.
    let routes: Vec<(&str, &str, Option<Json>, u8)> = vec![
        ("GET", "/devices", None, 0),
        ("GET", "/tasks", None, 0),
        ("GET", "/presets", None, 0),
        ("POST", "/events/ticket", None, 0),
        ("POST", "/devices/d1/tags/x", None, 1),
        ("DELETE", "/devices/d1", None, 1),
        (
            "POST",
            "/devices/d1/tasks",
            Some(json!({"name": "reboot"})),
            1,
        ),
        ("DELETE", "/faults/d1:x", None, 1),
        ("PUT", "/presets/p", Some(preset), 2),
        ("DELETE", "/files/f", None, 2),
        ("GET", "/users", None, 2),
        ("GET", "/audit", None, 2),
    ];
    for (rank, who) in [&viewer, &operator, &administrator].into_iter().enumerate() {
        for (method, path, body, least) in &routes {
            let a = who.send(addr, method, path, body.clone()).await;
            if (rank as u8) < *least {
                assert_eq!(
                    a.status,
                    StatusCode::FORBIDDEN,
                    "role {rank} {method} {path}: {}",
                    a.text
                );
                assert!(a.text.contains("role"), "{}", a.text);
            } else {
                assert_ne!(
                    a.status,
                    StatusCode::FORBIDDEN,
                    "role {rank} {method} {path}: {}",
                    a.text
                );
                assert_ne!(
                    a.status,
                    StatusCode::UNAUTHORIZED,
                    "role {rank} {method} {path}"
                );
            }
        }
    }
    // The refused changes are in the audit log with who tried.
    let log = administrator
        .send(addr, "GET", "/audit?limit=1000", None)
        .await
        .json();
    let refused: Vec<&Json> = log
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["actor"] == "vic" && e["status"] == 403)
        .collect();
    assert_eq!(refused.len(), 6, "{log}");
    assert!(
        log.as_array()
            .expect("list")
            .iter()
            .any(|e| e["actor"] == "ann"
                && e["method"] == "PUT"
                && e["path"] == "/presets/p"
                && e["status"] == 200)
    );
}

#[tokio::test]
async fn user_tokens_act_within_their_scope_until_revoked() {
    let (addr, _dir) = start().await;
    make_user(addr, "olga", "operator").await;
    let a = admin(
        addr,
        "POST",
        "/users/olga/tokens",
        Some(json!({"label": "ci", "scope": "admin"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    assert!(a.text.contains("scope"));
    let a = admin(
        addr,
        "POST",
        "/users/olga/tokens",
        Some(json!({"label": "reports", "scope": "viewer"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let (id, token) = (
        a.json()["id"].as_str().expect("id").to_owned(),
        a.json()["token"].as_str().expect("token").to_owned(),
    );
    let auth = bearer(&token);
    let headers = [("authorization", auth.as_str())];
    assert_eq!(
        send(addr, "GET", "/devices", &headers, None).await.status,
        StatusCode::OK
    );
    let me = send(addr, "GET", "/me", &headers, None).await.json();
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["actor"], format!("olga/token:{id}"));
    let tag = send(addr, "POST", "/devices/d1/tags/x", &headers, None).await;
    assert_eq!(tag.status, StatusCode::FORBIDDEN, "{}", tag.text);
    let listed = admin(addr, "GET", "/users/olga/tokens", None).await;
    assert!(
        !listed.text.contains(&token),
        "tokens are listed without their secret"
    );
    assert_eq!(listed.json()[0]["label"], "reports");
    let a = admin(addr, "DELETE", &format!("/users/olga/tokens/{id}"), None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(addr, "GET", "/devices", &headers, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Deleting a user ends its sessions and tokens.
    let a = admin(
        addr,
        "POST",
        "/users/olga/tokens",
        Some(json!({"label": "x", "scope": "operator"})),
    )
    .await;
    let auth = bearer(a.json()["token"].as_str().expect("token"));
    let s = login(addr, "olga", "olga-password").await;
    assert_eq!(
        admin(addr, "DELETE", "/users/olga", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.send(addr, "GET", "/devices", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let headers = [("authorization", auth.as_str())];
    assert_eq!(
        send(addr, "GET", "/devices", &headers, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_audit_log_exports_as_csv_and_json_lines() {
    let (addr, _dir) = start().await;
    make_user(addr, "ann", "admin").await;
    let s = login(addr, "ann", "ann-password").await;
    s.send(
        addr,
        "PUT",
        "/presets/=x",
        Some(json!({"precondition": "{}", "configurations": []})),
    )
    .await;
    let csv = s.send(addr, "GET", "/audit?format=csv", None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .expect("ASCII")
            .starts_with("text/csv")
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .expect("ASCII")
            .contains("audit.csv")
    );
    let mut lines = csv.text.lines();
    assert_eq!(lines.next(), Some("seq,time,actor,method,path,status"));
    assert!(
        csv.text.contains("\"ann\",PUT,\"/presets/=x\",200"),
        "{}",
        csv.text
    );
    assert!(
        csv.text.contains("\"admin-token\",PUT,\"/users/ann\",201"),
        "{}",
        csv.text
    );
    let jsonl = s.send(addr, "GET", "/audit?format=jsonl", None).await;
    let entries: Vec<Json> = jsonl
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        entries
            .iter()
            .any(|e| e["actor"] == "ann" && e["path"] == "/auth/login")
    );
    let bad = s.send(addr, "GET", "/audit?format=xml", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
