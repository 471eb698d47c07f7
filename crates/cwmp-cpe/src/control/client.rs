//! The CLI side of the control socket: send one [`Request`], read one [`Reply`], with bounded
//! waits and sizes. Blocking (no runtime needed in the CLI process).

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ANSWER_TIMEOUT, Reply, Request};

/// Longest reply accepted (a `get Device.` of a large tree).
pub const MAX_REPLY_BYTES: u64 = 32 * 1024 * 1024;

/// How long the CLI waits for the answer: the server's own wait plus a margin.
pub const WAIT: Duration = Duration::from_secs(ANSWER_TIMEOUT.as_secs() + 5);

/// Why the daemon could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens at the socket path.
    #[error("cwmp-cpe is not running (no socket at {})", .0.display())]
    NotRunning(PathBuf),
    /// The socket exists but talking over it failed.
    #[error("talking to cwmp-cpe at {}: {source}", .path.display())]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// No answer in time.
    #[error("cwmp-cpe did not answer within {} s (a session may be in progress; try again)", .0.as_secs())]
    Timeout(Duration),
    /// The answer was not a reply line.
    #[error("cwmp-cpe sent a bad reply: {0}")]
    Protocol(String),
}

/// Sends `request` to the daemon listening on `path` and waits at most `wait` for the reply.
pub fn request(path: &Path, request: &Request, wait: Duration) -> Result<Reply, ClientError> {
    let io_err = |source: io::Error| match source.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ClientError::Timeout(wait),
        _ => ClientError::Io {
            path: path.to_owned(),
            source,
        },
    };
    let mut stream = UnixStream::connect(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
            ClientError::NotRunning(path.to_owned())
        }
        _ => io_err(e),
    })?;
    stream.set_read_timeout(Some(wait)).map_err(io_err)?;
    stream.set_write_timeout(Some(wait)).map_err(io_err)?;
    let mut line = serde_json::to_vec(request).map_err(|e| ClientError::Protocol(e.to_string()))?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io_err)?;
    let mut answer = Vec::new();
    BufReader::new(stream)
        .take(MAX_REPLY_BYTES + 1)
        .read_until(b'\n', &mut answer)
        .map_err(io_err)?;
    if answer.is_empty() {
        return Err(ClientError::Protocol(
            "connection closed without a reply (too many clients?)".into(),
        ));
    }
    if answer.len() as u64 > MAX_REPLY_BYTES {
        return Err(ClientError::Protocol(format!(
            "reply longer than {MAX_REPLY_BYTES} bytes"
        )));
    }
    serde_json::from_slice(&answer).map_err(|e| ClientError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_socket_means_not_running() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("none.sock");
        let e = request(&path, &Request::ShowStatus, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(e, ClientError::NotRunning(_)));
        assert_eq!(
            e.to_string(),
            format!("cwmp-cpe is not running (no socket at {})", path.display())
        );
    }
}
