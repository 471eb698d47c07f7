//! Northbound API tests: an in-process server on 127.0.0.1:0 over real HTTP.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cwmp::{EventCode, Value};
use cwmp_acs::api::{self, ApiState, ApiTokens};
use cwmp_acs::store::*;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use md5::{Digest as _, Md5};
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;

use common::{call, call_with_body, enc};

const TOKEN: &str = "test-token";

struct Api {
    addr: std::net::SocketAddr,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn start(cr_timeout: Duration) -> Api {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open"),
    );
    // No Connection Request rate limit here: tests/api_events.rs covers it.
    let extras = api::ApiExtras {
        cr_limit: Arc::new(api::cr::CrRateLimit::new(Duration::ZERO)),
        ..api::ApiExtras::default()
    };
    let router = api::router_with(
        ApiState {
            store: Arc::clone(&store),
            connection_request_timeout: cr_timeout,
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([TOKEN]),
        extras,
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(api::serve(listener, router, std::future::pending()));
    Api {
        addr,
        store,
        _dir: dir,
    }
}

async fn add_device(store: &Arc<dyn Store>, serial: &str, cr_url: Option<String>) -> DeviceId {
    let identity = DeviceIdentity {
        manufacturer: "Acme".into(),
        oui: "00259E".into(),
        product_class: "HG8245".into(),
        serial_number: serial.into(),
    };
    let id = identity.device_id();
    store
        .upsert_inform(InformUpdate {
            identity,
            time: Timestamp::now(),
            events: vec![EventCode::Bootstrap],
            ip: Some("127.0.0.1".into()),
            connection_request_url: cr_url,
            udp_connection_request_address: None,
            parameters: vec![ParamValue {
                path: "Device.DeviceInfo.SoftwareVersion".into(),
                value: Value::string(format!("v-{serial}")),
            }],
        })
        .await
        .expect("inform");
    id
}

#[tokio::test]
async fn auth_is_required() {
    let api = start(Duration::from_secs(2)).await;
    let (s, body) = call(api.addr, "GET", "/devices", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body["error"].is_string());
    let (s, _) = call(api.addr, "GET", "/devices", Some("wrong"), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = call(api.addr, "GET", "/no-such-route", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = call(api.addr, "GET", "/devices", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body, json!([]));
}

#[tokio::test]
async fn task_lifecycle_and_invalid_task() {
    let api = start(Duration::from_secs(2)).await;
    let dev = add_device(&api.store, "S1", None).await;
    let path = format!("/devices/{}/tasks", enc(dev.as_str()));
    let task = json!({"name": "setParameterValues",
        "parameterValues": [["Device.ManagementServer.PeriodicInformInterval", 1800, "xsd:unsignedInt"]]});
    let (s, created) = call(api.addr, "POST", &path, Some(TOKEN), Some(task)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{created}");
    let id = created["_id"].as_str().expect("id").to_owned();
    assert_eq!(created["device"], json!(dev.as_str()));
    assert_eq!(created["status"], json!("pending"));

    let (s, body) = call(
        api.addr,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({"name": "getParameterValues"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .expect("msg")
            .contains("parameterNames"),
        "{body}"
    );
    let (s, _) = call(
        api.addr,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({"name": "bogus"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        api.addr,
        "POST",
        "/devices/nope/tasks",
        Some(TOKEN),
        Some(json!({"name": "reboot"})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let q = enc(&json!({"device": dev.as_str()}).to_string());
    let (s, list) = call(
        api.addr,
        "GET",
        &format!("/tasks?query={q}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["_id"], json!(id));
    // Any other field of the task documents, by equality, as GenieACS's scripts query.
    for (q, n) in [
        (
            json!({"device": dev.as_str(), "name": "setParameterValues"}),
            1,
        ),
        (json!({"name": "factoryReset"}), 0),
        (json!({"_id": id, "name": "setParameterValues"}), 1),
        (json!({"_id": id, "name": "reboot"}), 0),
    ] {
        let path = format!("/tasks?query={}", enc(&q.to_string()));
        let (s, list) = call(api.addr, "GET", &path, Some(TOKEN), None).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(list.as_array().map(Vec::len), Some(n), "{q}: {list}");
    }
    let path = format!("/tasks?query={}", enc(r#"{"name": {"$ne": "x"}}"#));
    let (s, err) = call(api.addr, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        err["error"].as_str().is_some_and(|e| e.contains("name")),
        "{err}"
    );

    // Not faulted yet: retry refused.
    let (s, _) = call(
        api.addr,
        "POST",
        &format!("/tasks/{id}/retry"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(api.store.claim_task(&id).await.expect("claim"));
    api.store
        .fault_task(
            &id,
            FaultInfo {
                code: "cwmp.9002".into(),
                message: "x".into(),
                detail: None,
            },
            RetryPolicy::default(),
        )
        .await
        .expect("fault");
    let (s, _) = call(
        api.addr,
        "POST",
        &format!("/tasks/{id}/retry"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let task = api.store.get_task(&id).await.expect("get").expect("task");
    assert_eq!(task.status, TaskStatus::Pending);

    let (s, _) = call(
        api.addr,
        "DELETE",
        &format!("/tasks/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        api.addr,
        "DELETE",
        &format!("/tasks/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = call(api.addr, "GET", "/tasks", Some(TOKEN), None).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn device_queries_tags_and_delete() {
    let api = start(Duration::from_secs(2)).await;
    let a = add_device(&api.store, "A", None).await;
    let b = add_device(&api.store, "B", None).await;
    let tag_path = format!("/devices/{}/tags/blue", enc(a.as_str()));
    let (s, _) = call(api.addr, "POST", &tag_path, Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);

    let get = |q: Json| {
        let addr = api.addr;
        async move {
            call(
                addr,
                "GET",
                &format!("/devices?query={}", enc(&q.to_string())),
                Some(TOKEN),
                None,
            )
            .await
        }
    };
    let (s, list) = get(json!({"_id": b.as_str()})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["_id"], json!(b.as_str()));
    assert_eq!(list[0]["_deviceId"]["_SerialNumber"], json!("B"));
    assert_eq!(
        list[0]["Device"]["DeviceInfo"]["SoftwareVersion"]["_value"],
        json!("v-B")
    );

    let (_, list) = get(json!({"_tags": "blue"})).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["_id"], json!(a.as_str()));
    assert_eq!(list[0]["_tags"], json!(["blue"]));
    let (_, list) = get(json!({"Device.DeviceInfo.SoftwareVersion": "v-A"})).await;
    assert_eq!(list[0]["_id"], json!(a.as_str()));
    let (_, list) = call(
        api.addr,
        "GET",
        "/devices?skip=1&limit=5",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (_, list) = call(
        api.addr,
        "GET",
        "/devices?projection=_tags,Device.DeviceInfo&sort=%7B%22_id%22%3A-1%7D",
        Some(TOKEN),
        None,
    )
    .await;
    let ids: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["_id"].as_str().expect("id"))
        .collect();
    assert!(
        ids.len() == 2 && ids[0] > ids[1],
        "sorted by _id descending: {ids:?}"
    );
    let keys: Vec<&String> = list[0].as_object().expect("doc").keys().collect();
    assert_eq!(keys, ["Device", "_id", "_tags"], "projected");
    assert!(list[0]["Device"].get("ManagementServer").is_none());
    let (s, _) = call(api.addr, "GET", "/devices?limit=100000", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, body) = get(json!({"_id": {"$regex": "("}})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().expect("msg").contains("$regex"));
    let (s, _) = call(
        api.addr,
        "GET",
        "/devices?query=%7Bnot-json",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let (s, _) = call(api.addr, "DELETE", &tag_path, Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = get(json!({"_tags": "blue"})).await;
    assert_eq!(list, json!([]));

    let (s, _) = call(
        api.addr,
        "DELETE",
        &format!("/devices/{}", enc(b.as_str())),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        api.addr,
        "DELETE",
        &format!("/devices/{}", enc(b.as_str())),
        Some(TOKEN),
        None,
    )
    .await;
    // Idempotent, as GenieACS.
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn faults_and_presets() {
    let api = start(Duration::from_secs(2)).await;
    let dev = add_device(&api.store, "F", None).await;
    api.store
        .record_fault(NewFault {
            device: dev.clone(),
            channel: "task_1".into(),
            fault: FaultInfo {
                code: "cwmp.9005".into(),
                message: "bad name".into(),
                detail: None,
            },
        })
        .await
        .expect("fault");
    let (s, list) = call(api.addr, "GET", "/faults", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    let fid = format!("{}:task_1", dev.as_str());
    assert_eq!(list[0]["_id"], json!(fid));
    assert_eq!(list[0]["code"], json!("cwmp.9005"));
    let (s, _) = call(
        api.addr,
        "DELETE",
        &format!("/faults/{}", enc(&fid)),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = call(api.addr, "GET", "/faults", Some(TOKEN), None).await;
    assert_eq!(list, json!([]));

    let preset = json!({"weight": 3, "precondition": "{\"_tags\":\"blue\"}",
        "events": {"0 BOOTSTRAP": true, "1 BOOT": false},
        "configuration": [{"type": "value", "name": "Device.X", "value": "1"}]});
    let (s, _) = call(api.addr, "PUT", "/presets/p1", Some(TOKEN), Some(preset)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, got) = call(api.addr, "GET", "/presets/p1", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["weight"], json!(3));
    // As given, GenieACS's way: the precondition's JSON text and the events' map.
    assert_eq!(got["precondition"], json!("{\"_tags\":\"blue\"}"));
    assert_eq!(got["events"], json!({"0 BOOTSTRAP": true, "1 BOOT": false}));
    assert_eq!(got["configurations"][0]["name"], "Device.X");
    assert_eq!(got["channel"], "default");
    // A misspelt key is refused, naming it, not dropped.
    let (s, err) = call(
        api.addr,
        "PUT",
        "/presets/p3",
        Some(TOKEN),
        Some(json!({"precondtion": "{}"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|e| e.contains("precondtion")),
        "{err}"
    );
    let (s, _) = call(
        api.addr,
        "PUT",
        "/presets/p2",
        Some(TOKEN),
        Some(json!({"precondition": {"$where": "1"}})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(api.addr, "DELETE", "/presets/p1", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(api.addr, "GET", "/presets/p1", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn objects_collection_put_list_query_delete() {
    let api = start(Duration::from_secs(2)).await;
    let doc = json!({"_keys": ["SSID"], "SSID": "guest", "Radio": {"Enable": true}});
    let (s, _) = call(api.addr, "PUT", "/objects/guest", Some(TOKEN), Some(doc)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(
        api.addr,
        "PUT",
        "/objects/other",
        Some(TOKEN),
        Some(json!({"SSID": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, list) = call(api.addr, "GET", "/objects", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        list[0],
        json!({"_id": "guest", "_keys": ["SSID"], "SSID": "guest", "Radio.Enable": true})
    );
    assert_eq!(list[1]["_keys"], json!(["SSID"]));
    let q = enc(r#"{"SSID": "guest"}"#);
    let (_, found) = call(
        api.addr,
        "GET",
        &format!("/objects?query={q}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    // Refusals name the field.
    for (body, needle) in [
        (json!({"_keys": ["Nope"], "SSID": "x"}), "Nope"),
        (json!({"SSID": [1]}), "SSID"),
        (json!({"_id": "else", "SSID": "x"}), "_id"),
    ] {
        let (s, err) = call(
            api.addr,
            "PUT",
            "/objects/o",
            Some(TOKEN),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            err["error"].as_str().is_some_and(|e| e.contains(needle)),
            "{err}"
        );
    }
    // A preset referring to an object is taken (the object is looked up when it applies).
    let preset = json!({"configurations": [{"type": "add_object",
        "name": "Device.WiFi.SSID", "object": "guest"}]});
    let (s, _) = call(api.addr, "PUT", "/presets/wifi", Some(TOKEN), Some(preset)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(api.addr, "DELETE", "/objects/guest", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(api.addr, "DELETE", "/objects/guest", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK, "idempotent, as GenieACS");
    let (_, list) = call(api.addr, "GET", "/objects", Some(TOKEN), None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn session_history_newest_first_with_limit() {
    let api = start(Duration::from_secs(2)).await;
    let dev = add_device(&api.store, "H", None).await;
    let other = add_device(&api.store, "O", None).await;
    for (device, started, events, outcome) in [
        (
            &dev,
            1_000,
            vec![EventCode::Bootstrap, EventCode::Boot],
            "ok",
        ),
        (&other, 1_500, vec![EventCode::Periodic], "ok"),
        (&dev, 2_000, vec![EventCode::Periodic], "timeout"),
    ] {
        api.store
            .record_session(SessionRecord {
                device: device.clone(),
                started: Timestamp(started),
                ended: Timestamp(started + 40),
                events,
                rpc_count: 3,
                outcome: outcome.into(),
            })
            .await
            .expect("session");
    }
    let path = format!("/devices/{}/sessions", enc(dev.as_str()));
    let (s, list) = call(api.addr, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        list,
        json!([
            {"started": 2000, "ended": 2040, "durationMs": 40, "events": ["2 PERIODIC"],
             "rpcs": 3, "outcome": "timeout"},
            {"started": 1000, "ended": 1040, "durationMs": 40,
             "events": ["0 BOOTSTRAP", "1 BOOT"], "rpcs": 3, "outcome": "ok"},
        ])
    );
    let (s, list) = call(
        api.addr,
        "GET",
        &format!("{path}?limit=1"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["started"], json!(2000));
    for bad in ["0", "33", "x"] {
        let (s, _) = call(
            api.addr,
            "GET",
            &format!("{path}?limit={bad}"),
            Some(TOKEN),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "limit={bad}");
    }
    // A malformed query string is refused as JSON like every API error (`call` parses it).
    let (s, err) = call(api.addr, "GET", "/devices?skip=-1", Some(TOKEN), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        err["error"].as_str().is_some_and(|e| e.contains("skip")),
        "{err}"
    );
    let (s, _) = call(
        api.addr,
        "GET",
        "/devices/nobody/sessions",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(api.addr, "GET", &path, None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A Connection Request endpoint requiring Digest (MD5, qop=auth) for `cr`/`crpw`;
/// counts the authenticated requests.
async fn digest_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let ok = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&ok);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let count = Arc::clone(&count);
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let count = Arc::clone(&count);
                async move {
                    let authorized = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.strip_prefix("Digest "))
                        .is_some_and(|v| check_digest(v, req.uri().path()));
                    let resp = if authorized {
                        count.fetch_add(1, Ordering::SeqCst);
                        Response::builder()
                            .status(200)
                            .body(Full::new(Bytes::new()))
                    } else {
                        Response::builder()
                            .status(401)
                            .header(
                                "www-authenticate",
                                r#"Digest realm="cpe", nonce="n0nce", qop="auth", opaque="op""#,
                            )
                            .body(Full::new(Bytes::new()))
                    };
                    Ok::<_, Infallible>(resp.expect("response"))
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc),
            );
        }
    });
    (format!("http://{addr}/cr"), ok)
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_digest(header: &str, path: &str) -> bool {
    let Some(p) = cwmp::http_auth::parse_params(header) else {
        return false;
    };
    let get = |k: &str| {
        cwmp::http_auth::param(&p, k)
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let ha1 = md5_hex("cr:cpe:crpw");
    let ha2 = md5_hex(&format!("GET:{}", get("uri")));
    let expected = md5_hex(&format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        get("nonce"),
        get("nc"),
        get("cnonce"),
        get("qop")
    ));
    get("username") == "cr"
        && get("uri") == path
        && get("opaque") == "op"
        && get("response") == expected
}

#[tokio::test]
async fn connection_request_digest_success_and_failures() {
    let api = start(Duration::from_millis(500)).await;
    let (url, ok) = digest_server().await;
    let dev = add_device(&api.store, "CR", Some(url)).await;
    api.store
        .put_credentials(DeviceCredentials {
            device: dev.clone(),
            cr_username: Some("cr".into()),
            cr_password: Some("crpw".into()),
            ..DeviceCredentials::default()
        })
        .await
        .expect("creds");
    let path = format!(
        "/devices/{}/tasks?connection_request&timeout=0",
        enc(dev.as_str())
    );
    let (s, body) = call(
        api.addr,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({"name": "reboot"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        body["connectionRequest"],
        json!({"ok": true, "status": 200}),
        "{body}"
    );
    assert_eq!(ok.load(Ordering::SeqCst), 1);

    // Wrong password: refused, recorded as a fault.
    api.store
        .put_credentials(DeviceCredentials {
            device: dev.clone(),
            cr_username: Some("cr".into()),
            cr_password: Some("wrong".into()),
            ..DeviceCredentials::default()
        })
        .await
        .expect("creds");
    let (_, body) = call(
        api.addr,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({"name": "reboot"})),
    )
    .await;
    assert_eq!(body["connectionRequest"]["ok"], json!(false), "{body}");

    // A dead port: reported failure well within the timeout.
    let dead = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let dead_url = format!("http://{}/cr", dead.local_addr().expect("addr"));
    drop(dead);
    let dev2 = add_device(&api.store, "DEAD", Some(dead_url)).await;
    let path2 = format!(
        "/devices/{}/tasks?connection_request&timeout=0",
        enc(dev2.as_str())
    );
    let started = Instant::now();
    let (s, body) = call(
        api.addr,
        "POST",
        &path2,
        Some(TOKEN),
        Some(json!({"name": "reboot"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(body["connectionRequest"]["ok"], json!(false), "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));

    // A silent peer: the timeout (500 ms here) bounds the request.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("http://{}/cr", silent.local_addr().expect("addr"));
    let dev3 = add_device(&api.store, "SILENT", Some(silent_url)).await;
    let path3 = format!(
        "/devices/{}/tasks?connection_request&timeout=0",
        enc(dev3.as_str())
    );
    let started = Instant::now();
    let (_, body) = call(
        api.addr,
        "POST",
        &path3,
        Some(TOKEN),
        Some(json!({"name": "reboot"})),
    )
    .await;
    assert!(
        body["connectionRequest"]["error"]
            .as_str()
            .expect("error")
            .contains("timed out"),
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(silent);

    let (_, faults) = call(api.addr, "GET", "/faults", Some(TOKEN), None).await;
    let channels: Vec<&str> = faults
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|f| f["channel"].as_str())
        .collect();
    assert_eq!(channels, vec!["connection_request"; 3]);
}

#[tokio::test]
async fn a_refused_json_body_is_a_json_error_with_the_right_status() {
    let api = start(Duration::from_secs(2)).await;
    let dev = add_device(&api.store, "J", None).await;
    let body =
        |ty: &'static str, text: &'static str| Some((ty, Bytes::from_static(text.as_bytes())));
    let tasks = format!("/devices/{}/tasks", enc(dev.as_str()));
    let creds = format!("/devices/{}/credentials", enc(dev.as_str()));
    for (method, path, sent, status) in [
        (
            "POST",
            tasks.as_str(),
            body("application/json", "{\"name\": "),
            StatusCode::BAD_REQUEST,
        ),
        // Any Content-Type is read as JSON (GenieACS; curl --data sends form-urlencoded).
        (
            "POST",
            tasks.as_str(),
            body("text/plain", "{}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            tasks.as_str(),
            body(
                "application/x-www-form-urlencoded",
                "{\"name\": \"reboot\", \"x\": 1}",
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "POST",
            tasks.as_str(),
            body("", ""),
            StatusCode::BAD_REQUEST,
        ),
        (
            "PUT",
            "/presets/p",
            body("application/json", "[1,"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "PUT",
            creds.as_str(),
            body("application/json", "{\"nope\": 1}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, headers, text) = call_with_body(api.addr, method, path, Some(TOKEN), sent).await;
        assert_eq!(s, status, "{method} {path}: {text}");
        assert_eq!(
            headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{method} {path}"
        );
        let err: Json = serde_json::from_str(&text).expect("JSON");
        assert!(
            err["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{method} {path}: {err}"
        );
    }
}
