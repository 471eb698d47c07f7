//! The HTTP Connection Request listener (TR-069 §3.2.2): GET on a configurable address
//! (default port 7547) and path, Digest authentication through [`DigestAuth`] (401 with
//! challenges, `stale=true` for expired nonces), a [`RateLimiter`] (excess answered 503 with
//! `Retry-After`) and a bound on concurrent connections. A valid request is answered 200 at
//! once and signalled on a channel the agent loop waits on (capacity 1 is enough: requests
//! during a session coalesce into one session right after it).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{ConnectionLimits, DigestAuth, RateLimiter, spawn_listener};
use crate::clock::Clock;

/// Default Connection Request port.
pub const DEFAULT_PORT: u16 = 7547;

/// Where and how the listener runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (default `0.0.0.0:7547`).
    pub addr: SocketAddr,
    /// The path of `ConnectionRequestURL` (default `/`).
    pub path: String,
    /// Most connections served at once; more are closed at accept.
    pub max_connections: usize,
    /// Longest time a connection may live (slow clients are cut).
    pub connection_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            path: "/".into(),
            max_connections: 8,
            connection_timeout: Duration::from_secs(10),
        }
    }
}

struct Shared {
    path: String,
    auth: Mutex<DigestAuth>,
    limiter: Mutex<RateLimiter>,
    clock: Arc<dyn Clock>,
    signal: mpsc::Sender<()>,
}

/// A running listener; dropping it stops accepting.
#[derive(Debug)]
pub struct ConnRequestServer {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
    credentials: CredentialsHandle,
}

/// Changes the credentials the running listener checks, so that a change made by the ACS or
/// the CLI (`ConnectionRequestUsername`/`Password`) applies to the next request.
#[derive(Clone)]
pub struct CredentialsHandle(Arc<Shared>);

impl std::fmt::Debug for CredentialsHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialsHandle")
    }
}

impl CredentialsHandle {
    /// Sets the username and password the next requests must present.
    pub fn set(&self, username: &str, password: &str) {
        self.0
            .auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .set_credentials(username, password);
    }
}

impl ConnRequestServer {
    /// Binds `config.addr` and serves in a background task; each valid request sends `()`
    /// on `signal` (dropped if one is already pending).
    pub async fn bind(
        config: ServerConfig,
        auth: DigestAuth,
        limiter: RateLimiter,
        clock: Arc<dyn Clock>,
        signal: mpsc::Sender<()>,
    ) -> io::Result<ConnRequestServer> {
        let listener = TcpListener::bind(config.addr).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            path: config.path.clone(),
            auth: Mutex::new(auth),
            limiter: Mutex::new(limiter),
            clock,
            signal,
        });
        let credentials = CredentialsHandle(shared.clone());
        let limits = ConnectionLimits {
            max_connections: config.max_connections,
            connection_timeout: config.connection_timeout,
        };
        let task = spawn_listener(listener, limits, shared, handle);
        Ok(ConnRequestServer {
            local_addr,
            task,
            credentials,
        })
    }

    /// The address actually bound (for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to change the credentials while the listener runs.
    pub fn credentials(&self) -> CredentialsHandle {
        self.credentials.clone()
    }
}

impl Drop for ConnRequestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn response(status: StatusCode) -> Response<Empty<Bytes>> {
    let mut r = Response::new(Empty::new());
    *r.status_mut() = status;
    r
}

fn handle(shared: &Shared, req: &Request<Incoming>) -> Response<Empty<Bytes>> {
    if req.uri().path() != shared.path {
        return response(StatusCode::NOT_FOUND);
    }
    if req.method() != Method::GET {
        let mut r = response(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    let now = shared.clock.monotonic();
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| shared.path.clone(), |p| p.as_str().to_owned());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let verified = {
        let mut auth = shared.auth.lock().unwrap_or_else(|p| p.into_inner());
        match auth.verify(now, "GET", &target, authorization) {
            Ok(()) => Ok(()),
            Err(e) => Err(auth.challenge(now, e.is_stale())),
        }
    };
    if let Err(challenges) = verified {
        let mut r = response(StatusCode::UNAUTHORIZED);
        for c in challenges {
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().append(header::WWW_AUTHENTICATE, v);
            }
        }
        return r;
    }
    let retry_after = {
        let mut limiter = shared.limiter.lock().unwrap_or_else(|p| p.into_inner());
        if limiter.try_acquire(now) {
            None
        } else {
            Some(limiter.retry_after(now))
        }
    };
    if let Some(wait) = retry_after {
        let mut r = response(StatusCode::SERVICE_UNAVAILABLE);
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return r;
    }
    // Full: a session is already pending, which covers this request too.
    let _ = shared.signal.try_send(());
    response(StatusCode::OK)
}
