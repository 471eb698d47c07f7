//! `GET /devices?query=` with a GenieACS expression over real HTTP (127.0.0.1, random port),
//! against a store with a few devices; JSON queries keep working beside it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cwmp::{EventCode, Value};
use cwmp_acs::api::{self, ApiState, ApiTokens};
use cwmp_acs::store::*;
use hyper::StatusCode;
use serde_json::Value as Json;
use tokio::net::TcpListener;

use common::{call_raw, enc};

const TOKEN: &str = "test-token";

/// An API on a store holding devices S1–S4: `(serial, SoftwareVersion, Count, tags)`.
async fn start() -> (std::net::SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open"),
    );
    for (serial, version, count, tags) in [
        ("S1", "2.1.0", 3u32, &["lab"][..]),
        ("S2", "2.0.7", 9, &[][..]),
        ("S3", "1.9", 1, &["lab", "new"][..]),
        ("S4", "3.0", 12, &["new"][..]),
    ] {
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
                events: vec![EventCode::Boot],
                ip: None,
                connection_request_url: None,
                udp_connection_request_address: None,
                parameters: vec![
                    ParamValue {
                        path: "Device.DeviceInfo.SoftwareVersion".into(),
                        value: Value::string(version),
                    },
                    ParamValue {
                        path: "Device.X.Count".into(),
                        value: Value::UnsignedInt(count),
                    },
                ],
            })
            .await
            .expect("inform");
        for t in tags {
            store.add_tag(&id, t).await.expect("tag");
        }
    }
    let router = api::router(
        ApiState {
            store,
            connection_request_timeout: Duration::from_secs(1),
            cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
        },
        ApiTokens::from_tokens([TOKEN]),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(api::serve(listener, router, std::future::pending()));
    (addr, dir)
}

/// The serial numbers `query` selects (sorted by id), checked against `X-Total-Count`.
async fn serials(addr: std::net::SocketAddr, query: &str) -> Vec<String> {
    let path = format!("/devices?query={}&projection=_deviceId", enc(query));
    let (status, headers, body) = call_raw(addr, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let list: Json = serde_json::from_str(&body).expect("json");
    let out: Vec<String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            d["_deviceId"]["_SerialNumber"]
                .as_str()
                .expect("serial")
                .to_owned()
        })
        .collect();
    let total = headers["x-total-count"].to_str().expect("ascii");
    assert_eq!(total, out.len().to_string(), "{query}");
    out
}

#[tokio::test]
async fn expression_queries_over_http() {
    let (addr, _dir) = start().await;
    for (query, want) in [
        (
            r#"DeviceID.SerialNumber = "S2" OR Tags.lab IS NOT NULL"#,
            &["S1", "S2", "S3"][..],
        ),
        (
            "Device.DeviceInfo.SoftwareVersion LIKE '2.%' AND NOT Device.X.Count > 5",
            &["S1"][..],
        ),
        (
            "Device.X.Count >= 9 OR Tags.new = true AND Tags.lab IS NULL",
            &["S2", "S4"][..],
        ),
        (
            "(Device.X.Count >= 9 OR Tags.new = true) AND Tags.lab IS NULL",
            &["S2", "S4"][..],
        ),
        ("Device.X.Count > '0'", &[][..]),
        (
            "Device.DeviceInfo.SoftwareVersion > 100",
            &["S1", "S2", "S3", "S4"][..],
        ),
        (
            "upper(Device.DeviceInfo.SoftwareVersion) like '3.%'",
            &["S4"][..],
        ),
        (
            "Events.Inform > NOW() - 3600000",
            &["S1", "S2", "S3", "S4"][..],
        ),
        ("Events.Inform < NOW() - 3600000", &[][..]),
        ("Device.Missing <> 1", &[][..]),
        ("NOT Device.Missing = 1", &[][..]),
        (
            "Device.Missing IS NULL AND DeviceID.ID LIKE '%-S_'",
            &["S1", "S2", "S3", "S4"][..],
        ),
        // JSON is still JSON, with MongoDB's `$ne` matching devices without the field.
        (r#"{"_tags": "lab"}"#, &["S1", "S3"][..]),
        (
            r#" {"Device.Missing": {"$ne": 1}}"#,
            &["S1", "S2", "S3", "S4"][..],
        ),
        ("", &["S1", "S2", "S3", "S4"][..]),
    ] {
        assert_eq!(serials(addr, query).await, want, "{query}");
    }
}

#[tokio::test]
async fn a_bad_expression_is_a_400_that_points_at_the_position() {
    let (addr, _dir) = start().await;
    for (query, needle) in [
        ("DeviceID.ID = ", "column 15 (byte 14): expected a value"),
        (
            "Device.X.Count = 1 AND (Tags.a",
            "expected ')' to close the '('",
        ),
        ("Device.X.Count + 1 > 2", "arithmetic"),
        ("{\"_id\": ", "not valid JSON"),
    ] {
        let path = format!("/devices?query={}", enc(query));
        let (status, _, body) = call_raw(addr, "GET", &path, Some(TOKEN), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        let body: Json = serde_json::from_str(&body).expect("json error");
        let msg = body["error"].as_str().expect("error");
        assert!(msg.contains(needle), "{query}: {msg}");
    }
}
