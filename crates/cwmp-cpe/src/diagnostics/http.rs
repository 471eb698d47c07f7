//! DownloadDiagnostics and UploadDiagnostics over HTTP (TR-143), on a plain TCP connection so
//! that each instant is taken where the spec puts it: `TCPOpenRequestTime` before the
//! connect, `TCPOpenResponseTime` once connected, `ROMTime` when the request is written,
//! `BOMTime` at the first byte of the response (download) or of the body sent (upload), and
//! `EOMTime` at the last byte received (download) or when the response arrives (upload).
//! Byte counts are those of the connection (headers included in the totals), not of the
//! interface.

use std::time::{Duration, SystemTime};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::target::{HttpUrl, IpVersion};
use super::{Job, Results, timestamp};

/// Longest response head read.
const MAX_HEAD: usize = 16 * 1024;
/// Most body bytes a download reads.
const MAX_DOWNLOAD: u64 = 1 << 30;
/// Largest upload (`TestFileLength`).
const MAX_UPLOAD: u64 = 1 << 30;
/// Bound on the connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The status code and the `Content-Length` of a response head, and where its body starts.
fn parse_head(buf: &[u8]) -> Option<(u16, Option<u64>, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()?
        .strip_prefix("HTTP/1.")?
        .get(2..5)?
        .parse()
        .ok()?;
    let length = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok());
    Some((status, length, end))
}

/// A response head as read: status, `Content-Length`, where the body starts in `bytes`, the
/// bytes read (head and any body bytes after it) and when the first of them arrived.
struct Head {
    status: u16,
    length: Option<u64>,
    body_start: usize,
    bytes: Vec<u8>,
    first_byte: SystemTime,
}

/// Reads a response head.
async fn read_head(stream: &mut TcpStream) -> Result<Head, ()> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let mut first_byte = None;
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        let first_byte = *first_byte.get_or_insert_with(SystemTime::now);
        buf.extend_from_slice(&chunk[..n]);
        if let Some((status, length, body_start)) = parse_head(&buf) {
            return Ok(Head {
                status,
                length,
                body_start,
                bytes: buf,
                first_byte,
            });
        }
        if buf.len() > MAX_HEAD {
            return Err(());
        }
    }
}

async fn connect(url: &HttpUrl, job: &Job) -> Result<(TcpStream, SystemTime, SystemTime), Results> {
    let version = IpVersion::from_param(job.input("ProtocolVersion"));
    let Some(addr) = url.host.resolve(url.port, version).await else {
        return Err(Results::error("Error_CannotResolveHostName"));
    };
    let open_request = SystemTime::now();
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| Results::error("Error_InitConnectionFailed"))?;
    Ok((stream, open_request, SystemTime::now()))
}

/// DownloadDiagnostics: GET `DownloadURL` to its end.
pub async fn download(job: &Job) -> Results {
    let url = match HttpUrl::parse(job.input("DownloadURL")) {
        Ok(u) => u,
        Err(e) => {
            tracing::info!("DownloadDiagnostics refused: {e}");
            return Results::error("Error_InitConnectionFailed");
        }
    };
    let (mut stream, open_req, open_resp) = match connect(&url, job).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ip = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cwmp-cpe\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header()
    );
    let rom = SystemTime::now();
    if stream.write_all(request.as_bytes()).await.is_err() {
        return Results::error("Error_NoResponse");
    }
    let Ok(Head {
        status,
        length,
        body_start,
        bytes: head,
        first_byte: bom,
    }) = read_head(&mut stream).await
    else {
        return Results::error("Error_NoResponse");
    };
    if status != 200 {
        tracing::info!(status, "DownloadDiagnostics: not 200");
        return Results::error("Error_TransferFailed");
    }
    let mut body = (head.len() - body_start) as u64;
    let mut total = head.len() as u64;
    let mut buf = vec![0u8; 64 * 1024];
    let want = length.unwrap_or(MAX_DOWNLOAD).min(MAX_DOWNLOAD);
    while body < want {
        match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => {
                body += n as u64;
                total += n as u64;
            }
            Err(_) => return Results::error("Error_TransferFailed"),
        }
    }
    let eom = SystemTime::now();
    if length.is_some_and(|l| body < l) {
        return Results::error("Error_IncorrectSize");
    }
    let sent = request.len().to_string();
    Results::complete(vec![
        ("IPAddressUsed".into(), ip),
        ("ROMTime".into(), timestamp(rom)),
        ("BOMTime".into(), timestamp(bom)),
        ("EOMTime".into(), timestamp(eom)),
        ("TestBytesReceived".into(), body.to_string()),
        ("TotalBytesReceived".into(), total.to_string()),
        ("TotalBytesSent".into(), sent),
        ("TCPOpenRequestTime".into(), timestamp(open_req)),
        ("TCPOpenResponseTime".into(), timestamp(open_resp)),
    ])
}

/// UploadDiagnostics: PUT `TestFileLength` bytes to `UploadURL`.
pub async fn upload(job: &Job) -> Results {
    let url = match HttpUrl::parse(job.input("UploadURL")) {
        Ok(u) => u,
        Err(e) => {
            tracing::info!("UploadDiagnostics refused: {e}");
            return Results::error("Error_InitConnectionFailed");
        }
    };
    let length = job.number("TestFileLength", 0, MAX_UPLOAD);
    let (mut stream, open_req, open_resp) = match connect(&url, job).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ip = stream
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cwmp-cpe\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header()
    );
    let rom = SystemTime::now();
    if stream.write_all(head.as_bytes()).await.is_err() {
        return Results::error("Error_NoResponse");
    }
    let chunk = vec![0x5au8; 64 * 1024];
    let mut sent = 0u64;
    let mut bom = None;
    while sent < length {
        let n = (length - sent).min(chunk.len() as u64) as usize;
        if stream.write_all(&chunk[..n]).await.is_err() {
            return Results::error("Error_TransferFailed");
        }
        bom.get_or_insert_with(SystemTime::now);
        sent += n as u64;
    }
    let bom = bom.unwrap_or_else(SystemTime::now);
    let Ok(response) = read_head(&mut stream).await else {
        return Results::error("Error_NoResponse");
    };
    let eom = SystemTime::now();
    if !(200..300).contains(&response.status) {
        tracing::info!(status = response.status, "UploadDiagnostics: not 2xx");
        return Results::error("Error_TransferFailed");
    }
    let total_sent = (head.len() as u64 + sent).to_string();
    let test_sent = if job.spec.tr098 {
        "TotalBytesSent"
    } else {
        "TestBytesSent"
    };
    let mut values = vec![
        ("IPAddressUsed".into(), ip),
        ("ROMTime".into(), timestamp(rom)),
        ("BOMTime".into(), timestamp(bom)),
        ("EOMTime".into(), timestamp(eom)),
        (test_sent.into(), sent.to_string()),
        (
            "TotalBytesReceived".into(),
            response.bytes.len().to_string(),
        ),
        ("TCPOpenRequestTime".into(), timestamp(open_req)),
        ("TCPOpenResponseTime".into(), timestamp(open_resp)),
    ];
    if !job.spec.tr098 {
        values.push(("TotalBytesSent".into(), total_sent));
    }
    Results::complete(values)
}

#[cfg(test)]
mod tests {
    use super::parse_head;

    #[test]
    fn response_heads_parse_and_broken_ones_do_not() {
        let h = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nabc";
        assert_eq!(parse_head(h), Some((200, Some(12), h.len() - 3)));
        assert_eq!(parse_head(b"HTTP/1.0 404 x\r\n\r\n"), Some((404, None, 18)));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(parse_head(b"SSH-2.0\r\n\r\n"), None);
        assert_eq!(parse_head(b"HTTP/1.1 2\r\n\r\n"), None);
    }
}
