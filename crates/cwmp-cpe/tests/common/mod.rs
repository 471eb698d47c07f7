//! A scripted peer: a hyper HTTP/1.1 server on 127.0.0.1:0 calling a synchronous handler
//! with each whole request (or an async one, [`Peer::start_async`], that may hold its answer),
//! counting the TCP connections it accepted; optionally over TLS.

#![allow(dead_code)]

pub mod process;
pub mod rig;
pub mod stalling;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request as the peer saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub type Handler = dyn Fn(Req) -> Response<Full<Bytes>> + Send + Sync;

/// The answer of an async handler.
pub type Answer = Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>;

type AsyncHandler = dyn Fn(Req) -> Answer + Send + Sync;

pub struct Peer {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    /// TLS handshakes that failed.
    pub tls_failures: Arc<AtomicUsize>,
    scheme: &'static str,
    task: tokio::task::JoinHandle<()>,
}

impl Peer {
    pub async fn start(
        handler: impl Fn(Req) -> Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> Peer {
        Peer::start_with(sync(handler), None).await
    }

    /// A peer whose handler answers when its future resolves (never, to hold a request).
    pub async fn start_async(handler: impl Fn(Req) -> Answer + Send + Sync + 'static) -> Peer {
        Peer::start_with(Arc::new(handler), None).await
    }

    /// An HTTPS peer with the given rustls server settings.
    pub async fn start_tls(
        handler: impl Fn(Req) -> Response<Full<Bytes>> + Send + Sync + 'static,
        tls: Arc<rustls::ServerConfig>,
    ) -> Peer {
        Peer::start_with(sync(handler), Some(tokio_rustls::TlsAcceptor::from(tls))).await
    }

    async fn start_with(
        handler: Arc<AsyncHandler>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Peer {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let tls_failures = Arc::new(AtomicUsize::new(0));
        let failures = tls_failures.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let tls = tls.clone();
                let failures = failures.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let req = Req {
                                method: parts.method,
                                path: parts.uri.path().to_owned(),
                                headers: parts.headers,
                                body,
                            };
                            Ok::<_, Infallible>(handler(req).await)
                        }
                    });
                    let builder = hyper::server::conn::http1::Builder::new();
                    match tls {
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => {
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                            Err(_) => {
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                    }
                });
            }
        });
        Peer {
            addr,
            connections,
            tls_failures,
            scheme,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn sync(
    handler: impl Fn(Req) -> Response<Full<Bytes>> + Send + Sync + 'static,
) -> Arc<AsyncHandler> {
    Arc::new(move |req| {
        let response = handler(req);
        Box::pin(async move { response })
    })
}

pub fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r
}
