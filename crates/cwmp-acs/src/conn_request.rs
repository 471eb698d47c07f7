//! Connection Requests (TR-069 §3.2.2): an HTTP GET to the device's ConnectionRequestURL,
//! answering a Digest challenge with the device's Connection Request credentials, within a
//! time limit. Plain HTTP only for now; Basic is not offered (the issue allows it only when
//! configured). UDP (TR-111) is in [`crate::conn_request_udp`].

use std::time::Duration;

use bytes::Bytes;
use cwmp::http_auth::digest::Challenge;
use http_body_util::Empty;
use hyper::header::{AUTHORIZATION, HOST, WWW_AUTHENTICATE};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use rand::TryRngCore as _;

/// Default time limit of a Connection Request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a Connection Request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrError {
    /// The URL is not a usable `http://host[:port]/path`.
    #[error("bad connection request URL: {0}")]
    BadUrl(String),
    /// Connecting, sending or receiving failed.
    #[error("connection request failed: {0}")]
    Io(String),
    /// No answer within the time limit.
    #[error("connection request timed out after {0:?}")]
    Timeout(Duration),
    /// The device asked for authentication we cannot give.
    #[error("connection request refused: {0}")]
    Auth(String),
    /// The device answered with a non-success status.
    #[error("connection request answered with HTTP {0}")]
    Status(u16),
}

/// Credentials for the device's Connection Request endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrCredentials {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Sends a Connection Request; `Ok(status)` when the device answered with 2xx.
pub async fn send(
    url: &str,
    credentials: Option<&CrCredentials>,
    timeout: Duration,
) -> Result<u16, CrError> {
    match tokio::time::timeout(timeout, send_inner(url, credentials)).await {
        Ok(r) => r,
        Err(_) => Err(CrError::Timeout(timeout)),
    }
}

async fn send_inner(url: &str, credentials: Option<&CrCredentials>) -> Result<u16, CrError> {
    let uri: Uri = url.parse().map_err(|_| CrError::BadUrl(url.to_owned()))?;
    if uri.scheme_str() != Some("http") {
        return Err(CrError::BadUrl(format!(
            "{url} (only http:// is supported)"
        )));
    }
    let (status, challenge) = get(&uri, None).await?;
    if status != StatusCode::UNAUTHORIZED {
        return check(status);
    }
    let challenge = challenge
        .ok_or_else(|| CrError::Auth("401 without a Digest challenge we can answer".into()))?;
    let creds = credentials
        .ok_or_else(|| CrError::Auth("the device has no Connection Request credentials".into()))?;
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut raw = [0u8; 8];
    rand::rngs::OsRng
        .try_fill_bytes(&mut raw)
        .map_err(|e| CrError::Io(e.to_string()))?;
    let cnonce = cwmp::http_auth::hex(&raw);
    let authorization =
        challenge.authorization(&creds.username, &creds.password, "GET", target, 1, &cnonce);
    let (status, _) = get(&uri, Some(authorization)).await?;
    if status == StatusCode::UNAUTHORIZED {
        return Err(CrError::Auth("credentials rejected".to_owned()));
    }
    check(status)
}

fn check(status: StatusCode) -> Result<u16, CrError> {
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(CrError::Status(status.as_u16()))
    }
}

async fn get(
    uri: &Uri,
    authorization: Option<String>,
) -> Result<(StatusCode, Option<Challenge>), CrError> {
    let io = |e: &dyn std::fmt::Display| CrError::Io(e.to_string());
    let host = uri.host().ok_or_else(|| CrError::BadUrl(uri.to_string()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| io(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| io(&e))?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let authority = uri.authority().map_or(host.to_owned(), |a| a.to_string());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut req = Request::get(path).header(HOST, authority);
    if let Some(a) = authorization {
        req = req.header(AUTHORIZATION, a);
    }
    let req = req.body(Empty::<Bytes>::new()).map_err(|e| io(&e))?;
    let response = sender.send_request(req).await.map_err(|e| io(&e));
    conn.abort();
    let response = response?;
    let challenge = Challenge::best(
        response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    );
    Ok((response.status(), challenge))
}
