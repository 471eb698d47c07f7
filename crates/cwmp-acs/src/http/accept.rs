//! Binding the ACS's listeners, the one accept loop every listener runs (CWMP endpoint,
//! northbound API, file server) and the bounded TLS handshake of a connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Length of the kernel's queue of connections not yet accepted (Linux clamps it to
/// `net.core.somaxconn`). The 128 of a default `listen` overflows when a few hundred CPEs connect
/// at once while both cores are busy: each dropped SYN costs its CPE a 1 s retransmission.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` (`SO_REUSEADDR`, as `TcpListener::bind`) with a [`LISTEN_BACKLOG`] queue.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The next connection (with `TCP_NODELAY` set), or `None` once `shutdown` completes. An accept
/// error (out of file descriptors and the like) is logged for `server` and retried after a
/// short pause instead of spinning.
pub(crate) async fn next_connection<F>(
    listener: &TcpListener,
    shutdown: &mut Pin<&mut F>,
    server: &str,
) -> Option<(TcpStream, SocketAddr)>
where
    F: Future<Output = ()>,
{
    loop {
        let accepted = tokio::select! {
            () = shutdown.as_mut() => return None,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return Some((stream, peer));
            }
            Err(e) => {
                tracing::warn!(server, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Accepts connections on `listener` until `shutdown` completes and runs `serve(stream, peer)`
/// for each in a task of its own; connections already accepted are left to finish. `server`
/// names the listener in logs.
pub(crate) async fn serve_connections<S, Fut>(
    listener: TcpListener,
    server: &'static str,
    shutdown: impl Future<Output = ()>,
    serve: S,
) where
    S: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::pin!(shutdown);
    while let Some((stream, peer)) = next_connection(&listener, &mut shutdown, server).await {
        tokio::spawn(serve(stream, peer));
    }
}

/// The TLS handshake of a connection, bounded by `limit`; a handshake that fails or takes
/// longer is logged with the peer address and `None` is returned (the connection is dropped).
pub(crate) async fn tls_handshake<IO>(
    acceptor: &TlsAcceptor,
    io: IO,
    limit: Duration,
    peer: SocketAddr,
    server: &'static str,
) -> Option<TlsStream<IO>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    match tokio::time::timeout(limit, acceptor.accept(io)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::warn!(server, %peer, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::warn!(server, %peer, ?limit, "TLS handshake timed out");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bind_listens_and_accepts() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let client = TcpStream::connect(addr).await.expect("connect");
        let (_, peer) = listener.accept().await.expect("accept");
        assert_eq!(peer, client.local_addr().unwrap());
    }
}
