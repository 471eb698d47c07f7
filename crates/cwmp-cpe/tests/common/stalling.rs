//! A file server on 127.0.0.1:0 that can stall mid-body: while its gate is closed, a GET gets
//! the headers (with the whole Content-Length) and the first `head` bytes, then waits until
//! the gate opens; with the gate open it sends the whole file. So a test knows for sure that a
//! download is in flight, and not complete, when it acts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Longest request head read.
const MAX_HEAD: usize = 16 * 1024;

/// What the connections share.
struct Shared {
    body: Bytes,
    head: usize,
    gets: AtomicUsize,
    stalled: AtomicUsize,
}

/// The server; it stops when dropped.
pub struct StallingFiles {
    addr: SocketAddr,
    shared: Arc<Shared>,
    gate: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl StallingFiles {
    /// Serves `body` at every path, stalling after `head` bytes while the gate is closed (it
    /// starts closed).
    pub async fn start(body: Bytes, head: usize) -> StallingFiles {
        assert!(head < body.len(), "the stall is mid-body");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            body,
            head,
            gets: AtomicUsize::new(0),
            stalled: AtomicUsize::new(0),
        });
        let (gate, _) = watch::channel(false);
        let (conn_shared, conn_gate) = (shared.clone(), gate.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = conn_shared.clone();
                let gate = conn_gate.subscribe();
                tokio::spawn(async move {
                    let _ = serve(stream, &shared, gate).await;
                });
            }
        });
        StallingFiles {
            addr,
            shared,
            gate,
            task,
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GET requests received.
    pub fn gets(&self) -> usize {
        self.shared.gets.load(Ordering::SeqCst)
    }

    /// GETs that sent their first `head` bytes and stalled.
    pub fn stalled(&self) -> usize {
        self.shared.stalled.load(Ordering::SeqCst)
    }

    /// Opens the gate: stalled GETs send the rest, later ones the whole file.
    pub fn open(&self) {
        self.gate.send_replace(true);
    }
}

impl Drop for StallingFiles {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    shared: &Shared,
    mut gate: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || request.len() > MAX_HEAD {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
    }
    if !request.starts_with(b"GET ") {
        stream
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    }
    shared.gets.fetch_add(1, Ordering::SeqCst);
    let body = &shared.body;
    let headers = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(headers.as_bytes()).await?;
    let open = *gate.borrow_and_update();
    if open {
        stream.write_all(body).await?;
    } else {
        stream.write_all(&body[..shared.head]).await?;
        stream.flush().await?;
        shared.stalled.fetch_add(1, Ordering::SeqCst);
        // Gone (the server dropped) or open: send the rest either way.
        let _ = gate.wait_for(|open| *open).await;
        stream.write_all(&body[shared.head..]).await?;
    }
    stream.shutdown().await
}
