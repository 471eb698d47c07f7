//! One HTTP request to a file server (TR-069 §3.4.3): over the agent's [`Connector`] (TCP or
//! TLS by the URL's scheme, with the `[tls]` trust), Basic or Digest credentials after a 401
//! (the transport's [`AuthState`]), at most [`MAX_REDIRECTS`] redirects; and why a transfer
//! failed, as the TransferComplete fault code it maps to.

use bytes::Bytes;
use cwmp::FaultCode;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::transport::auth::AuthState;
use crate::transport::{Connector, Credentials, MAX_REDIRECTS, Target, TransportError};

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The URL is not `http(s)://host[:port]/path`.
    #[error("bad URL {0:?}")]
    Url(String),
    /// The scheme is not HTTP or HTTPS.
    #[error("unsupported protocol: {0}")]
    Protocol(String),
    /// The file server could not be reached (connect or TLS failure).
    #[error("cannot reach the file server: {0}")]
    Unreachable(String),
    /// The file server refused the credentials, or none were given.
    #[error("the file server refused the credentials: {0}")]
    Auth(String),
    /// An HTTP status other than success.
    #[error("the file server answered HTTP {0}")]
    Status(u16),
    /// An HTTP error mid-transfer.
    #[error("HTTP: {0}")]
    Http(String),
    /// The file is larger than allowed (the limit or the announced FileSize).
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The file's size differs from the announced FileSize.
    #[error("the file has {got} bytes, FileSize says {expected}")]
    SizeMismatch {
        /// The announced FileSize.
        expected: u64,
        /// What arrived.
        got: u64,
    },
    /// The download dir has too little free space.
    #[error("{needed} bytes needed, {available} free in the download dir")]
    NoSpace {
        /// Bytes needed.
        needed: u64,
        /// Bytes free.
        available: u64,
    },
    /// A local file could not be read or written.
    #[error("local file: {0}")]
    Io(String),
    /// The transfer took longer than its limit.
    #[error("timed out after {0} s")]
    Timeout(u64),
    /// The file to upload could not be produced, or the file could not be applied.
    #[error("{0}")]
    Local(String),
}

impl TransferError {
    /// The TransferComplete fault code (TR-069 Table A.5) of this failure, for a download or
    /// an upload.
    pub fn fault_code(&self, download: bool) -> FaultCode {
        match self {
            TransferError::Auth(_) => FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE,
            _ if !download => FaultCode::UPLOAD_FAILURE,
            TransferError::Unreachable(_) => FaultCode::FILE_TRANSFER_SERVER_UNREACHABLE,
            TransferError::Status(_) => FaultCode::FILE_TRANSFER_FILE_ACCESS_FAILURE,
            TransferError::Http(_) | TransferError::Timeout(_) => {
                FaultCode::FILE_TRANSFER_INCOMPLETE
            }
            TransferError::SizeMismatch { expected, got } if got < expected => {
                FaultCode::FILE_TRANSFER_INCOMPLETE
            }
            TransferError::SizeMismatch { .. } | TransferError::TooLarge(_) => {
                FaultCode::FILE_TRANSFER_FILE_CORRUPTED
            }
            _ => FaultCode::FILE_TRANSFER_FAILURE,
        }
    }
}

fn connect_error(e: TransportError) -> TransferError {
    match e {
        TransportError::Scheme(s) => TransferError::Protocol(s),
        TransportError::Url(u) => TransferError::Url(u),
        other => TransferError::Unreachable(other.to_string()),
    }
}

/// Sends `method url` with `body`, answering 401 challenges with `credentials` and
/// following redirects; the response (any status but 401 and 3xx) with its body unread.
pub(crate) async fn send<C: Connector>(
    connector: &C,
    method: Method,
    url: &str,
    credentials: Option<&Credentials>,
    body: Bytes,
) -> Result<Response<Incoming>, TransferError> {
    let mut target = Target::parse(url).map_err(|_| TransferError::Url(url.to_owned()))?;
    let mut auth: Option<AuthState> = None;
    let mut fresh_challenge = false;
    let mut redirects = 0;
    loop {
        let io = connector.connect(&target).await.map_err(connect_error)?;
        let (mut sender, conn) = http1::handshake(io)
            .await
            .map_err(|e| TransferError::Unreachable(e.to_string()))?;
        // The connection task ends when the response body is read or dropped.
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(target.path.as_str())
            .header(header::HOST, target.host_header())
            .header(
                header::USER_AGENT,
                concat!("cwmp-cpe/", env!("CARGO_PKG_VERSION")),
            )
            .header(header::CONTENT_LENGTH, body.len());
        if method != Method::GET {
            builder = builder.header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
        }
        if let (Some(state), Some(creds)) = (auth.as_mut(), credentials) {
            builder = builder.header(
                header::AUTHORIZATION,
                state.authorization(creds, method.as_str(), &target.path),
            );
        }
        let request = builder
            .body(Full::new(body.clone()))
            .map_err(|e| TransferError::Http(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| TransferError::Http(e.to_string()))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            if credentials.is_none() {
                return Err(TransferError::Auth("no credentials given".into()));
            }
            let challenges = response
                .headers()
                .get_all(header::WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok());
            let state = AuthState::from_challenges(challenges)
                .ok_or_else(|| TransferError::Auth("no supported challenge".into()))?;
            if fresh_challenge && !state.is_stale() {
                return Err(TransferError::Auth("credentials refused".into()));
            }
            auth = Some(state);
            fresh_challenge = true;
            continue;
        }
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| TransferError::Http(format!("{status} without Location")))?;
            redirects += 1;
            if redirects > MAX_REDIRECTS {
                return Err(TransferError::Http(format!(
                    "more than {MAX_REDIRECTS} redirects"
                )));
            }
            let next = target.join(location).map_err(connect_error)?;
            if next.authority() != target.authority() || next.scheme != target.scheme {
                auth = None;
            }
            target = next;
            fresh_challenge = false;
            continue;
        }
        return Ok(response);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes_follow_table_a5() {
        let size = |expected, got| TransferError::SizeMismatch { expected, got };
        assert_eq!(size(10, 5).fault_code(true).value(), 9017);
        assert_eq!(size(10, 15).fault_code(true).value(), 9018);
        assert_eq!(TransferError::Status(404).fault_code(true).value(), 9016);
        assert_eq!(
            TransferError::Auth(String::new()).fault_code(false).value(),
            9012
        );
        assert_eq!(TransferError::Status(500).fault_code(false).value(), 9011);
        assert_eq!(
            TransferError::Unreachable(String::new())
                .fault_code(true)
                .value(),
            9015
        );
    }
}
