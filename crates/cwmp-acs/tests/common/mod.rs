//! A scripted CPE and a small API client over real HTTP, shared by the end-to-end tests
//! that need both (`api_events`, `crash`).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use cwmp::rpc::*;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, EventCode, Header, Value};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;

/// Every exchange is bounded: a hung server fails the test instead of stalling it.
pub const STEP: Duration = Duration::from_secs(10);

/// One keep-alive CWMP connection with a cookie jar of one cookie.
pub struct Cpe {
    send: SendRequest<Full<Bytes>>,
    cookie: Option<String>,
}

/// An HTTP answer of the ACS.
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: hyper::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// The SOAP envelope of a 200 answer.
    pub fn envelope(&self) -> Envelope {
        assert_eq!(self.status, StatusCode::OK, "body: {:?}", self.body);
        Envelope::parse_bytes(&self.body, None, &cwmp::Limits::default()).expect("parse")
    }
}

impl Cpe {
    /// Connects to the CWMP endpoint.
    pub async fn connect(addr: SocketAddr) -> Cpe {
        let connect = async {
            let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
            hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                .await
                .expect("handshake")
        };
        let (send, conn) = tokio::time::timeout(STEP, connect).await.expect("in time");
        tokio::spawn(conn);
        Cpe { send, cookie: None }
    }

    /// POSTs a message (`None`: an empty POST).
    pub async fn post(&mut self, env: Option<&Envelope>) -> Reply {
        let body = env.map_or_else(Vec::new, |e| e.to_xml().expect("xml").into_bytes());
        let mut req = Request::post("/").header("content-type", "text/xml; charset=utf-8");
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c.as_str());
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let exchange = async {
            let resp = self.send.send_request(req).await.expect("send");
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        };
        let reply = tokio::time::timeout(STEP, exchange).await.expect("in time");
        if let Some(set) = reply.headers.get("set-cookie") {
            let set = set.to_str().expect("ascii");
            self.cookie = Some(set.split(';').next().expect("pair").trim().to_owned());
        }
        reply
    }
}

/// The Inform of device `serial` (Acme/00259E/HG8245), reporting `cr_url`.
pub fn inform(serial: &str, cr_url: &str) -> Envelope {
    Envelope::new(
        CwmpVersion::V1_2,
        Header::with_id("inf-1"),
        Inform {
            device_id: cwmp::rpc::DeviceId {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG8245".into(),
                serial_number: serial.into(),
            },
            event: vec![EventStruct {
                event_code: EventCode::ConnectionRequest,
                command_key: String::new(),
            }],
            max_envelopes: 1,
            current_time: DateTime::UNKNOWN,
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.ConnectionRequestURL".into(),
                value: Value::string(cr_url),
            }],
        },
    )
}

/// The escaped device id of `serial`.
pub fn device_id(serial: &str) -> cwmp_acs::store::DeviceId {
    cwmp_acs::store::DeviceId::from_identity("00259E", "HG8245", serial)
}

/// The parameter names of a GetParameterValues request (panics on anything else).
pub fn gpv_names(req: &Envelope) -> Vec<String> {
    match &req.body {
        Body::GetParameterValues(gpv) => gpv.parameter_names.clone(),
        other => panic!("expected GetParameterValues, got {other:?}"),
    }
}

/// The answer to a GetParameterValues: each name with the value `"v:<name>"`.
pub fn gpv_answer(req: &Envelope) -> Envelope {
    let parameter_list = gpv_names(req)
        .into_iter()
        .map(|name| ParameterValueStruct {
            value: Value::string(format!("v:{name}")),
            name,
        })
        .collect();
    Envelope::new(
        req.version,
        Header {
            id: req.header.id.clone(),
            ..Header::default()
        },
        GetParameterValuesResponse { parameter_list },
    )
}

/// Runs a whole session of `serial` answering every GetParameterValues; returns the
/// parameter names asked, request by request.
pub async fn run_session(addr: SocketAddr, serial: &str, cr_url: &str) -> Vec<Vec<String>> {
    let mut cpe = Cpe::connect(addr).await;
    let r = cpe.post(Some(&inform(serial, cr_url))).await.envelope();
    assert!(matches!(r.body, Body::InformResponse(_)));
    let mut asked = Vec::new();
    let mut reply = cpe.post(None).await;
    while reply.status == StatusCode::OK {
        let req = reply.envelope();
        asked.push(gpv_names(&req));
        reply = cpe.post(Some(&gpv_answer(&req))).await;
    }
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    asked
}

/// A GetParameterValues task body for one parameter.
pub fn gpv_task(name: &str) -> Json {
    serde_json::json!({"name": "getParameterValues", "parameterNames": [name]})
}

/// URL-encodes a path segment.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One API request on a fresh connection: `(status, headers, body text)`.
pub async fn call_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (StatusCode, hyper::HeaderMap, String) {
    let body = body.map(|b| ("application/json", Bytes::from(b.to_string())));
    call_with_body(addr, method, path, token, body).await
}

/// [`call_raw`] with any body: `(Content-Type, bytes)`, the type left out when empty.
pub async fn call_with_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Bytes)>,
) -> (StatusCode, hyper::HeaderMap, String) {
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
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let bytes = match body {
            Some((content_type, bytes)) => {
                if !content_type.is_empty() {
                    req = req.header("content-type", content_type);
                }
                bytes
            }
            None => Bytes::new(),
        };
        let resp = sender
            .send_request(req.body(Full::new(bytes)).expect("request"))
            .await
            .expect("send");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&body).into_owned(),
        )
    };
    tokio::time::timeout(STEP, fut).await.expect("in time")
}

/// One API request with a JSON answer (`Null` when empty).
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (StatusCode, Json) {
    let (status, _, text) = call_raw(addr, method, path, token, body).await;
    let json = if text.is_empty() {
        Json::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON body ({e}): {text}"))
    };
    (status, json)
}
