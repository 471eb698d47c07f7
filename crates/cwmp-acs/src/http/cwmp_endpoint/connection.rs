//! One accepted connection of the CWMP endpoint: HTTP/1.1 with the header read timeout and
//! title-case headers, each request in a span naming the device, and the session the
//! connection carries ended when the connection is over.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use hyper::service::service_fn;
use hyper_util::rt::TokioTimer;
use tracing::{Instrument as _, field};

use super::Shared;
use crate::http::session_table::ConnId;
use crate::metrics::Server;

/// Numbers the connections of this process.
static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// One accepted connection: where it comes from and the session it carries now.
pub(super) struct Conn {
    pub(super) id: ConnId,
    pub(super) peer: SocketAddr,
    /// TLS.
    pub(super) secure: bool,
    /// The session whose last request came over this connection.
    session: Mutex<Option<String>>,
}

impl Conn {
    pub(super) fn carries(&self, id: &str) {
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(id.to_owned());
    }
}

/// Ends the session a connection carried when the connection is over (closed by the CPE,
/// reset, timed out): dropped with the connection's future, however that ends.
struct ConnGuard {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let id = self
            .conn
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let (Some(id), Ok(rt)) = (id, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let shared = Arc::clone(&self.shared);
        let conn = self.conn.id;
        rt.spawn(async move { shared.connection_closed(&id, conn).await });
    }
}

/// Serves HTTP/1.1 on one accepted connection; `secure`: it is TLS.
pub(super) async fn serve_connection<I>(shared: Arc<Shared>, io: I, peer: SocketAddr, secure: bool)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let header_timeout = shared.config.header_read_timeout;
    let conn = Arc::new(Conn {
        id: ConnId(NEXT_CONN.fetch_add(1, Ordering::Relaxed)),
        peer,
        secure,
        session: Mutex::new(None),
    });
    let _guard = ConnGuard {
        shared: Arc::clone(&shared),
        conn: Arc::clone(&conn),
    };
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let conn = Arc::clone(&conn);
        async move {
            let span = tracing::info_span!("cwmp", device = field::Empty, peer = %conn.peer);
            let resp = shared
                .handle(req, &conn, &span)
                .instrument(span.clone())
                .await;
            shared
                .metrics
                .http_request(Server::Cwmp, resp.status().as_u16());
            Ok::<_, Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .title_case_headers(true)
        .keep_alive(true);
    if let Err(e) = builder.serve_connection(io, service).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
