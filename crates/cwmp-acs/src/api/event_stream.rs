//! `GET /events[?device=<id>]`: the event bus as Server-Sent Events, one JSON event per
//! `data:` line, with a comment line as heartbeat.
//!
//! A forwarder task moves events from the bus into a small per-client buffer; when a client
//! reads too slowly for the buffer (or the bus overtakes it), it is dropped: the stream ends
//! with an `event: dropped` message if there is room for it. Publishers never wait for
//! clients. The number of clients is bounded ([`ApiExtras::sse_slots`]).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::Extension;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;

use super::{ApiError, ApiExtras, ApiResult, QueryString};

/// Messages buffered per client before it counts as too slow.
pub const CLIENT_BUFFER: usize = 256;

/// `?device=`.
#[derive(Debug, Deserialize)]
pub(crate) struct Params {
    device: Option<String>,
}

/// `GET /events`.
pub(crate) async fn stream(
    Extension(extras): Extension<ApiExtras>,
    QueryString(params): QueryString<Params>,
) -> ApiResult<Response> {
    let Ok(slot) = extras.sse_slots.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many event stream clients",
        ));
    };
    let mut events = extras.events.subscribe();
    let (tx, rx) = mpsc::channel::<Bytes>(CLIENT_BUFFER);
    let heartbeat = extras.sse_heartbeat;
    tokio::spawn(async move {
        let _slot = slot;
        let mut tick = tokio::time::interval(heartbeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let too_slow = |tx: &mpsc::Sender<Bytes>| {
            tracing::info!("event stream client too slow: dropped");
            let _ = tx.try_send(Bytes::from_static(b"event: dropped\ndata: {}\n\n"));
        };
        loop {
            let message = tokio::select! {
                () = tx.closed() => return,
                _ = tick.tick() => Bytes::from_static(b": heartbeat\n\n"),
                event = events.recv() => match event {
                    Ok(e) => {
                        if params.device.as_ref().is_some_and(|d| *d != e.device) {
                            continue;
                        }
                        let Ok(json) = serde_json::to_string(&*e) else { continue };
                        Bytes::from(format!("data: {json}\n\n"))
                    }
                    Err(RecvError::Lagged(_)) => return too_slow(&tx),
                    Err(RecvError::Closed) => return,
                },
            };
            if tx.try_send(message).is_err() {
                return too_slow(&tx);
            }
        }
    });
    let body = Body::from_stream(ReceiverStream::new(rx).map(Ok::<_, Infallible>));
    Ok((
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}
