//! Measures the downloader's throughput over loopback: a hyper server on 127.0.0.1 serves
//! `SIZE_MIB` MiB (default 256) and [`cwmp_cpe::transfer::fetch`] writes it to a temp dir.
//!
//! `cargo run --release -p cwmp-cpe --example download_throughput [SIZE_MIB]`

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cwmp_cpe::transfer::{Fetch, Limits, fetch};
use cwmp_cpe::transport::TcpConnector;
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const CHUNK: usize = 64 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mib: usize = std::env::args().nth(1).map_or(Ok(256), |a| a.parse())?;
    let size = mib * 1024 * 1024;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(move |_req| async move {
                    let chunk = Bytes::from(vec![0x5a; CHUNK]);
                    let frames = (0..size / CHUNK)
                        .map(move |_| Ok::<_, Infallible>(Frame::data(chunk.clone())));
                    let body = StreamBody::new(futures_util::stream::iter(frames));
                    let mut r = hyper::Response::new(body);
                    r.headers_mut()
                        .insert(hyper::header::CONTENT_LENGTH, size.into());
                    Ok::<_, Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let dir = tempfile::tempdir()?;
    let dest = dir.path().join("image.bin");
    let url = format!("http://{addr}/image.bin");
    let started = Instant::now();
    let n = fetch(
        &TcpConnector,
        Fetch {
            url: &url,
            credentials: None,
            expected_size: Some(size as u64),
            dest: &dest,
            limits: Limits {
                max_size: size as u64,
                timeout: Duration::from_secs(600),
            },
        },
    )
    .await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} bytes in {secs:.3} s: {:.1} MB/s (written and fsynced to {})",
        n as f64 / secs / 1e6,
        dir.path().display()
    );
    Ok(())
}
