//! The accept loop of an HTTP Connection Request listener, shared by the agent's
//! ([`ConnRequestServer`](super::ConnRequestServer)) and the fleet simulator's: at most
//! `max_connections` at once (excess closed at accept), a header-read timeout, a small read
//! buffer and a lifetime per connection, so that the listener cannot be flooded.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Longest wait for a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Read buffer bound: a Connection Request is a bodiless GET.
const MAX_BUF: usize = 16 * 1024;

/// How many connections a listener serves at once and how long each may live.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections at once; more are closed at accept.
    pub max_connections: usize,
    /// Longest life of one connection (slow clients are cut).
    pub connection_timeout: Duration,
}

/// A request handler: answers at once, without a body.
pub type Handler<S> = fn(&S, &Request<Incoming>) -> Response<Empty<Bytes>>;

/// Serves `listener` in a background task until the handle is aborted, answering every
/// request with `handle(&shared, &request)`.
pub fn spawn_listener<S>(
    listener: TcpListener,
    limits: ConnectionLimits,
    shared: Arc<S>,
    handle: Handler<S>,
) -> JoinHandle<()>
where
    S: Send + Sync + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _peer)) = listener.accept().await else {
                // Out of descriptors and the like: back off briefly.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                drop(stream); // over the bound: refuse at once
                continue;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, &req)) }
                });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(MAX_BUF)
                    .serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(limits.connection_timeout, conn).await;
                drop(permit);
            });
        }
    })
}
