//! Binding the ACS's listeners and the accept step shared by its own accept loops (CWMP
//! endpoint, file server).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

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
