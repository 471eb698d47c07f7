//! The accept step shared by the ACS's own accept loops (CWMP endpoint, file server).

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

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
