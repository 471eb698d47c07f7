//! One HTTP Connection Request listener for the whole fleet (TR-069 §3.2.2), multiplexed by
//! path: `GET /cr/{serial}` with HTTP Digest (the fleet's ConnectionRequestUsername/Password,
//! checked by `cwmp-cpe`'s [`DigestAuth`]). A valid request is answered 200 and the device's
//! index sent to the scheduler, which starts a session with `6 CONNECTION REQUEST`.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cwmp_cpe::conn_request::{ConnectionLimits, DigestAuth, spawn_listener};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::serial::SerialPattern;

/// The path prefix of every device's ConnectionRequestURL.
pub const PATH_PREFIX: &str = "/cr/";
/// Most connections served at once; more are closed at accept.
const MAX_CONNECTIONS: usize = 512;
/// Longest life of one connection.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

struct Shared {
    auth: Mutex<DigestAuth>,
    serials: SerialPattern,
    devices: u32,
    epoch: Instant,
    signal: mpsc::UnboundedSender<u32>,
}

/// The running listener; dropping it stops accepting.
#[derive(Debug)]
pub struct CrListener {
    local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl CrListener {
    /// Binds `addr` and serves devices 1..=`devices` named by `serials`; each valid request
    /// sends the device's index (0-based) on `signal`.
    pub async fn bind(
        addr: SocketAddr,
        auth: DigestAuth,
        serials: SerialPattern,
        devices: u32,
        signal: mpsc::UnboundedSender<u32>,
    ) -> io::Result<CrListener> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            auth: Mutex::new(auth),
            serials,
            devices,
            epoch: Instant::now(),
            signal,
        });
        let limits = ConnectionLimits {
            max_connections: MAX_CONNECTIONS,
            connection_timeout: CONNECTION_TIMEOUT,
        };
        let task = spawn_listener(listener, limits, shared, handle);
        Ok(CrListener { local_addr, task })
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The ConnectionRequestURL prefix to publish (`http://addr/cr/`); an unspecified bind
    /// address is published as loopback.
    pub fn url_base(&self) -> String {
        let mut addr = self.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        format!("http://{addr}{PATH_PREFIX}")
    }
}

impl Drop for CrListener {
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
    let index = req
        .uri()
        .path()
        .strip_prefix(PATH_PREFIX)
        .and_then(|serial| shared.serials.parse_serial(serial))
        .and_then(|n| n.checked_sub(1))
        .filter(|i| *i < shared.devices);
    let Some(index) = index else {
        return response(StatusCode::NOT_FOUND);
    };
    if req.method() != Method::GET {
        let mut r = response(StatusCode::METHOD_NOT_ALLOWED);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let now = shared.epoch.elapsed();
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
    if shared.signal.send(index).is_err() {
        return response(StatusCode::SERVICE_UNAVAILABLE);
    }
    response(StatusCode::OK)
}
