//! File contents on disk: one directory of blobs, each written to a temporary file, synced
//! and renamed into place (a crash leaves the old content or the new, never a mix), and
//! streamed back with `Content-Length`, `ETag` and single `Range`s.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue, IF_RANGE, RANGE,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::body::Frame;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncSeekExt as _, AsyncWriteExt as _, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;
use tokio_stream::StreamExt as _;

use super::range::RangeRequest;
use crate::store::new_object_id;
use cwmp::http_auth::hex;

/// Longest file name.
pub const MAX_NAME_LEN: usize = 128;

/// Prefix of temporary files (never a valid name, see [`FileName`]).
const TMP_PREFIX: &str = ".tmp-";

/// Bytes read per chunk of a download.
const CHUNK: usize = 256 * 1024;

/// A file name safe as a path component: 1 to [`MAX_NAME_LEN`] characters among
/// `A-Z a-z 0-9 . _ -`, not starting with a dot (no traversal, no hidden or temporary file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// `name` if it is valid, else why not.
    pub fn parse(name: &str) -> Result<FileName, String> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(format!("a file name has 1 to {MAX_NAME_LEN} characters"));
        }
        if name.starts_with('.') || !name.chars().all(ok_char) {
            return Err(format!(
                "invalid file name {name:?}: letters, digits, '.', '_' and '-' only, not \
                 starting with '.'"
            ));
        }
        Ok(FileName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Size and SHA-256 of a written blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// Why a blob could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The body is longer than the limit (nothing was kept).
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The body could not be read (client gone, timeout).
    #[error("reading the body: {0}")]
    Body(String),
    /// The disk.
    #[error("writing the file: {0}")]
    Io(#[from] std::io::Error),
}

/// A directory of blobs.
#[derive(Debug, Clone)]
pub struct BlobDir {
    dir: PathBuf,
}

impl BlobDir {
    /// The directory `dir`, created if needed; temporary files left by a crash are removed.
    pub fn open(dir: PathBuf) -> std::io::Result<BlobDir> {
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(BlobDir { dir })
    }

    /// The directory `dir`, created if needed, leaving its content as it is (other writers
    /// may be using it).
    pub async fn at(dir: PathBuf) -> std::io::Result<BlobDir> {
        tokio::fs::create_dir_all(&dir).await?;
        Ok(BlobDir { dir })
    }

    /// Where blob `name` lives.
    pub fn path(&self, name: &FileName) -> PathBuf {
        self.dir.join(name.as_str())
    }

    /// Writes `body` as blob `name` (replacing it), at most `limit` bytes.
    pub async fn write(
        &self,
        name: &FileName,
        body: Body,
        limit: u64,
    ) -> Result<Written, WriteError> {
        let tmp = self.dir.join(format!("{TMP_PREFIX}{}", new_object_id()));
        let result = write_synced(&tmp, body, limit).await;
        match result {
            Ok(written) => {
                tokio::fs::rename(&tmp, self.path(name)).await?;
                Ok(written)
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    /// Removes blob `name`; `false` when it did not exist.
    pub async fn remove(&self, name: &FileName) -> std::io::Result<bool> {
        match tokio::fs::remove_file(self.path(name)).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

async fn write_synced(path: &Path, body: Body, limit: u64) -> Result<Written, WriteError> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| WriteError::Body(e.to_string()))?;
        size = size.saturating_add(chunk.len() as u64);
        if size > limit {
            return Err(WriteError::TooLarge { limit });
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    file.sync_all().await?;
    Ok(Written {
        size,
        sha256: hex(&hasher.finalize()),
    })
}

/// The answer serving blob `path` (whose SHA-256 is `sha256`) to a `GET` or `HEAD` with
/// `headers` (`Range`, honoured only when an `If-Range` matches the `ETag`, RFC 9110
/// §13.1.5); `permit` (a download slot) is held until the body is sent.
pub async fn respond(
    path: &Path,
    sha256: &str,
    method: &Method,
    headers: &HeaderMap,
    permit: Option<OwnedSemaphorePermit>,
) -> Response {
    let etag = format!("\"{sha256}\"");
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let range = match text(IF_RANGE) {
        Some(tag) if tag.trim() != etag => None,
        _ => text(RANGE),
    };
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot open a stored file");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let size = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "cannot stat a stored file");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let (status, start, len) = match RangeRequest::parse(range, size) {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        RangeRequest::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            return r;
        }
    };
    if start > 0
        && let Err(e) = file.seek(SeekFrom::Start(start)).await
    {
        tracing::error!(path = %path.display(), error = %e, "cannot seek a stored file");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        Body::new(FileBody {
            file,
            remaining: len,
            buf: vec![0; CHUNK],
            _permit: permit,
        })
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.insert(CONTENT_LENGTH, HeaderValue::from(len));
    out.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", start + len - 1))
    {
        out.insert(CONTENT_RANGE, v);
    }
    response
}

/// A response body reading `remaining` bytes of an open file, chunk by chunk.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
    _permit: Option<OwnedSemaphorePermit>,
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = usize::try_from(this.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => {
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file shrank while being sent",
                ))))
            }
            Poll::Ready(Ok(())) => {
                let data = Bytes::copy_from_slice(read.filled());
                this.remaining -= data.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_the_directory() {
        for ok in ["fw-2.0.bin", "a", "A_b.C-d"] {
            assert!(FileName::parse(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            "..",
            ".hidden",
            "a/b",
            "..\\x",
            "a b",
            "é",
            long.as_str(),
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn write_is_bounded_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = BlobDir::open(dir.path().join("files")).expect("open");
        let name = FileName::parse("f.bin").expect("name");
        let w = blobs
            .write(&name, Body::from("hello"), 5)
            .await
            .expect("write");
        assert_eq!(w.size, 5);
        assert_eq!(
            w.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let err = blobs.write(&name, Body::from("toolong"), 5).await;
        assert!(matches!(err, Err(WriteError::TooLarge { limit: 5 })));
        assert_eq!(
            std::fs::read(blobs.path(&name)).expect("read"),
            b"hello",
            "a refused write keeps the old content"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("files"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["f.bin"]);
        assert!(blobs.remove(&name).await.expect("remove"));
        assert!(!blobs.remove(&name).await.expect("remove again"));
    }

    #[tokio::test]
    async fn if_range_mismatch_sends_the_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").expect("write");
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_static("bytes=2-3"));
        let r = respond(&path, "abc", &Method::GET, &headers, None).await;
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        headers.insert(IF_RANGE, HeaderValue::from_static("\"abc\""));
        let r = respond(&path, "abc", &Method::GET, &headers, None).await;
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
        headers.insert(IF_RANGE, HeaderValue::from_static("\"old\""));
        let r = respond(&path, "abc", &Method::GET, &headers, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_LENGTH], "10");
    }
}
