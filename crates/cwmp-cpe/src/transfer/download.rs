//! The downloader: one file from an HTTP(S) server to a destination path, with credentials,
//! size and time limits, the announced FileSize checked, and the free space of the
//! destination's directory checked before starting. Reusable outside the agent (the
//! simulator): it takes a [`Connector`] and plain arguments.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::Method;
use hyper::header;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::http::{TransferError, send};
use crate::transport::{Connector, Credentials};

/// Bounds of one transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_size: u64,
    /// Longest the whole transfer may take.
    pub timeout: Duration,
}

/// What to download.
#[derive(Debug, Clone, Copy)]
pub struct Fetch<'a> {
    /// `http(s)://…`.
    pub url: &'a str,
    /// For a 401 from the file server.
    pub credentials: Option<&'a Credentials>,
    /// The announced size (FileSize); `None` or 0: unknown.
    pub expected_size: Option<u64>,
    /// Where the file goes; written as `<dest>.part` and renamed when complete.
    pub dest: &'a Path,
    /// Size and time bounds.
    pub limits: Limits,
}

/// Downloads `fetch.url` to `fetch.dest`; the number of bytes written. Nothing is left at
/// `dest` unless the whole file arrived and matched the announced size.
pub async fn fetch<C: Connector>(connector: &C, fetch: Fetch<'_>) -> Result<u64, TransferError> {
    let part = part_path(fetch.dest);
    let timeout = fetch.limits.timeout;
    let result = match tokio::time::timeout(timeout, fetch_to(connector, &fetch, &part)).await {
        Ok(r) => r,
        Err(_) => Err(TransferError::Timeout(timeout.as_secs())),
    };
    match result {
        Ok(n) => {
            tokio::fs::rename(&part, fetch.dest)
                .await
                .map_err(|e| TransferError::Io(format!("{}: {e}", fetch.dest.display())))?;
            Ok(n)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            Err(e)
        }
    }
}

fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

async fn fetch_to<C: Connector>(
    connector: &C,
    fetch: &Fetch<'_>,
    part: &Path,
) -> Result<u64, TransferError> {
    let dir = fetch.dest.parent().unwrap_or(Path::new("."));
    let io = |e: std::io::Error| TransferError::Io(format!("{}: {e}", part.display()));
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    if let Some(needed) = fetch.expected_size.filter(|&n| n > 0) {
        check_space(dir, needed)?;
    }
    let mut file = tokio::fs::File::create(part).await.map_err(io)?;
    let written = get_into(connector, fetch, Some(dir), &mut file).await?;
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    Ok(written)
}

/// Downloads `url` and drops the bytes, with the same checks as [`fetch`] (size limit,
/// announced size, time): for a simulator that only proves the file can be fetched.
pub async fn fetch_discard<C: Connector>(
    connector: &C,
    url: &str,
    credentials: Option<&Credentials>,
    expected_size: Option<u64>,
    limits: Limits,
) -> Result<u64, TransferError> {
    let fetch = Fetch {
        url,
        credentials,
        expected_size,
        dest: Path::new(""),
        limits,
    };
    let mut sink = tokio::io::sink();
    let run = get_into(connector, &fetch, None, &mut sink);
    tokio::time::timeout(limits.timeout, run)
        .await
        .unwrap_or(Err(TransferError::Timeout(limits.timeout.as_secs())))
}

/// `GET fetch.url` into `sink`: refuses a file over the limit or the announced size (by its
/// Content-Length, then while it streams), checks the space in `dir` for a file of unknown
/// size, and checks the total against the announced size.
async fn get_into<C: Connector, W: AsyncWrite + Unpin>(
    connector: &C,
    fetch: &Fetch<'_>,
    dir: Option<&Path>,
    sink: &mut W,
) -> Result<u64, TransferError> {
    let expected = fetch.expected_size.filter(|&n| n > 0);
    let limit = expected.map_or(fetch.limits.max_size, |e| e.min(fetch.limits.max_size));
    if expected.is_some_and(|e| e > fetch.limits.max_size) {
        return Err(TransferError::TooLarge(fetch.limits.max_size));
    }
    let response = send(
        connector,
        Method::GET,
        fetch.url,
        fetch.credentials,
        Bytes::new(),
    )
    .await?;
    if !response.status().is_success() {
        return Err(TransferError::Status(response.status().as_u16()));
    }
    let length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = length {
        if len > limit {
            return Err(TransferError::TooLarge(limit));
        }
        if let (None, Some(dir)) = (expected, dir) {
            check_space(dir, len)?;
        }
    }
    let mut body = response.into_body();
    let mut written: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| TransferError::Http(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        written += data.len() as u64;
        if written > limit {
            return Err(TransferError::TooLarge(limit));
        }
        sink.write_all(&data)
            .await
            .map_err(|e| TransferError::Io(e.to_string()))?;
    }
    if let Some(e) = expected {
        if e != written {
            return Err(TransferError::SizeMismatch {
                expected: e,
                got: written,
            });
        }
    }
    Ok(written)
}

/// Fails unless `dir`'s file system has `needed` bytes free for an unprivileged user.
pub fn check_space(dir: &Path, needed: u64) -> Result<(), TransferError> {
    let stat = rustix::fs::statvfs(dir)
        .map_err(|e| TransferError::Io(format!("{}: {e}", dir.display())))?;
    let available = stat.f_bavail.saturating_mul(stat.f_frsize);
    if available < needed {
        return Err(TransferError::NoSpace { needed, available });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_check_and_part_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(check_space(dir.path(), 1).is_ok());
        assert!(matches!(
            check_space(dir.path(), u64::MAX),
            Err(TransferError::NoSpace { .. })
        ));
        assert_eq!(
            part_path(Path::new("/d/fw.bin")),
            PathBuf::from("/d/fw.bin.part")
        );
    }
}
