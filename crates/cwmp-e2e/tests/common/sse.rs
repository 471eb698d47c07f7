//! A reader of the API's `GET /events` stream: each `data:` line as JSON on a channel.

use http_body_util::{BodyExt as _, Empty};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value as Json;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::GUARD;
use super::api::Api;

/// Longest event line kept in the buffer before the stream counts as broken.
const MAX_PENDING_BYTES: usize = 1 << 20;

/// Events of one device as they come; the connection closes when dropped.
pub struct EventStream {
    rx: mpsc::Receiver<Json>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl EventStream {
    /// Subscribes to the events of `device`; once this returns, the ACS is subscribed (it
    /// subscribes before answering), so nothing published afterwards is missed.
    pub async fn open(api: &Api, device: &str) -> EventStream {
        EventStream::open_path(api, format!("/events?device={}", super::enc(device))).await
    }

    /// Subscribes to the events of every device.
    pub async fn open_all(api: &Api) -> EventStream {
        EventStream::open_path(api, "/events".to_owned()).await
    }

    async fn open_path(api: &Api, path: String) -> EventStream {
        let fut = async {
            let stream = tokio::net::TcpStream::connect(api.addr)
                .await
                .expect("connect");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            let req = Request::get(path.as_str())
                .header("host", api.addr.to_string())
                .header("authorization", format!("Bearer {}", api.token))
                .body(Empty::<bytes::Bytes>::new())
                .expect("request");
            sender.send_request(req).await.expect("send")
        };
        let resp = tokio::time::timeout(GUARD, fut)
            .await
            .expect("/events in time");
        assert_eq!(resp.status(), StatusCode::OK);
        let (tx, rx) = mpsc::channel(256);
        let mut body = resp.into_body();
        let reader = tokio::spawn(async move {
            let mut pending = Vec::<u8>::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                pending.extend_from_slice(&data);
                while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    let Some(json) = line.strip_prefix(b"data: ") else {
                        continue;
                    };
                    let Ok(event) = serde_json::from_slice::<Json>(json) else {
                        continue;
                    };
                    if tx.send(event).await.is_err() {
                        return;
                    }
                }
                assert!(pending.len() <= MAX_PENDING_BYTES, "event line too long");
            }
        });
        EventStream { rx, reader }
    }

    /// The next event, or `None` when none comes before `deadline` or the stream ended.
    pub async fn next_before(&mut self, deadline: Instant) -> Option<Json> {
        tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event satisfying `pred` before `deadline`, skipping others; panics naming
    /// `what` when none comes.
    pub async fn next_where(
        &mut self,
        what: &str,
        deadline: Instant,
        pred: impl Fn(&Json) -> bool,
    ) -> Json {
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Err(_) => panic!("no event {what} in time"),
                Ok(None) => panic!("the event stream ended before {what}"),
                Ok(Some(e)) if pred(&e) => return e,
                Ok(Some(_)) => {}
            }
        }
    }
}

/// True if `event` is an Inform carrying event code `code`.
pub fn inform_with(event: &Json, code: &str) -> bool {
    event["type"] == "inform"
        && event["events"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e == code))
}
