//! The northbound API client: one request per connection, with the bearer token, bounded by
//! [`GUARD`](super::GUARD).

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;

use super::GUARD;

/// An answer: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Json,
}

/// The API of one ACS.
#[derive(Debug, Clone)]
pub struct Api {
    /// Its address.
    pub addr: SocketAddr,
    /// The bearer token.
    pub token: String,
}

impl Api {
    /// Sends `method path` with an optional JSON body.
    pub async fn call(&self, method: &str, path: &str, body: Option<Json>) -> Answer {
        match body {
            Some(b) => {
                let ct = [("content-type", "application/json")];
                self.send(method, path, &ct, Bytes::from(b.to_string()))
                    .await
            }
            None => self.send(method, path, &[], Bytes::new()).await,
        }
    }

    /// Sends `method path` with extra `headers` and a raw `body`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        bytes: Bytes,
    ) -> Answer {
        let fut = async {
            let stream = tokio::net::TcpStream::connect(self.addr)
                .await
                .expect("connect to the API");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let mut req = Request::builder()
                .method(method)
                .uri(path)
                .header("host", self.addr.to_string())
                .header("authorization", format!("Bearer {}", self.token));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            let resp = sender
                .send_request(req.body(Full::new(bytes)).expect("request"))
                .await
                .expect("send");
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            let body = if body.is_empty() {
                Json::Null
            } else {
                serde_json::from_slice(&body).unwrap_or_else(|e| {
                    panic!(
                        "{method} {path}: JSON body ({e}): {}",
                        String::from_utf8_lossy(&body)
                    )
                })
            };
            Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            }
        };
        tokio::time::timeout(GUARD, fut)
            .await
            .unwrap_or_else(|_| panic!("{method} {path}: no answer in time"))
    }

    /// `GET path`, which must answer 200; its body.
    pub async fn get(&self, path: &str) -> Json {
        let a = self.call("GET", path, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.body);
        a.body
    }

    /// `PUT path` with `body`, which must answer 200.
    pub async fn put(&self, path: &str, body: Json) {
        let a = self.call("PUT", path, Some(body)).await;
        assert_eq!(a.status, StatusCode::OK, "PUT {path}: {}", a.body);
    }

    /// The devices matching `query` (a JSON query) and the `X-Total-Count` of the match.
    pub async fn devices(&self, query: &Json, limit: u32) -> (Vec<Json>, u64) {
        let path = format!(
            "/devices?query={}&limit={limit}",
            super::enc(&query.to_string())
        );
        let a = self.call("GET", &path, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.body);
        let total = a
            .headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("X-Total-Count");
        (a.body.as_array().cloned().unwrap_or_default(), total)
    }

    /// The one device with id `id`, if the ACS knows it.
    pub async fn device(&self, id: &str) -> Option<Json> {
        let (mut list, _) = self.devices(&serde_json::json!({ "_id": id }), 1).await;
        list.pop()
    }

    /// Queues task `task` for device `id`; with `cr_timeout_ms`, sends a Connection Request
    /// and waits that long for the task (`?connection_request&timeout=`).
    pub async fn task(&self, id: &str, task: Json, cr_timeout_ms: Option<u32>) -> Answer {
        let mut path = format!("/devices/{}/tasks", super::enc(id));
        if let Some(ms) = cr_timeout_ms {
            path.push_str(&format!("?connection_request&timeout={ms}"));
        }
        self.call("POST", &path, Some(task)).await
    }
}

/// The value of parameter `path` in a device document (`{"Device": {"X": {"_value": …}}}`).
pub fn param_value(device: &Json, path: &str) -> Option<String> {
    let value = path
        .split('.')
        .try_fold(device, |node, seg| node.get(seg))
        .and_then(|leaf| leaf.get("_value"))?;
    // Typed as GenieACS stores it: text, or a JSON number or boolean.
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Number(_) | Json::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}
