//! The HTTP transport of a CWMP session (TR-069 §3.4): every message of one [`Session`] is
//! POSTed over one keep-alive HTTP/1.1 connection (hyper's `client::conn::http1`), with the
//! cookies the ACS set, Basic or Digest authentication after a 401 (the same message is sent
//! again), at most [`MAX_REDIRECTS`] redirects, a bounded response size and one timeout for
//! the whole session.
//!
//! The stream is a seam: [`run_session`] uses plain TCP ([`TcpConnector`]);
//! [`run_session_with`] takes any [`Connector`], such as [`AcsConnector`] (TCP or TLS by the
//! URL's scheme); [`run_session_tapped`] also lets a [`Tap`] see and alter each message (the
//! simulator's fault injection).

pub(crate) mod auth;
mod cookies;
mod tap;
mod tls;
mod url;

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use cwmp::{Charset, Envelope, EnvelopeHead, Limits, ParseError};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

pub use auth::Credentials;
pub use cookies::CookieJar;
pub use tap::{NoTap, Outgoing, Tap};
pub use tls::{AcsConnector, AcsStream, SYSTEM_CA_FILE, TlsError};
pub use url::{Scheme, Target};

use crate::session::{Session, Step};
use auth::AuthState;

/// Most redirects followed in one session (TR-069 §3.4.5).
pub const MAX_REDIRECTS: usize = 5;
/// Default whole-session timeout.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Default largest response body accepted.
pub const DEFAULT_MAX_RESPONSE: usize = 4 * 1024 * 1024;

/// `SOAPAction` value sent with every message: empty (TR-069 §3.4.1 allows it for the CPE).
const SOAP_ACTION: &str = "";

/// Why a session's transport failed. The session was failed with the same reason
/// ([`Session::fail`]), so its undelivered events stay queued.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The ACS URL is not `http(s)://host[:port]/path`, or a redirect's Location is bad.
    #[error("bad URL: {0}")]
    Url(String),
    /// The scheme is not supported by the connector (https without TLS).
    #[error("unsupported scheme: {0}")]
    Scheme(String),
    /// Connecting to the ACS failed.
    #[error("connecting to {target}: {source}")]
    Connect {
        /// `host:port`.
        target: String,
        /// The error.
        source: io::Error,
    },
    /// The TLS handshake failed: the server's certificate was not trusted or not for this
    /// host, the server refused the client certificate, or the peer does not speak TLS.
    #[error("TLS with {url}: {source}")]
    Tls {
        /// The URL being contacted.
        url: String,
        /// The error (rustls's reason inside).
        source: io::Error,
    },
    /// An HTTP error on the connection.
    #[error("HTTP: {0}")]
    Http(String),
    /// The ACS answered a status other than 2xx, 3xx (redirect) or 401.
    #[error("the ACS answered HTTP {0}")]
    Status(u16),
    /// The ACS answered 503 (or 429) with `Retry-After`: come back no sooner than `after`.
    #[error("the ACS answered HTTP {status}, retry after {after:?}")]
    RetryAfter {
        /// 503 or 429.
        status: u16,
        /// The delay it asked for (bounded by [`MAX_RETRY_AFTER`]).
        after: Duration,
    },
    /// The ACS refused the credentials, or asked for an unsupported scheme.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    /// The response body exceeded the limit.
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
    /// The ACS's message could not be parsed.
    #[error("bad message from the ACS: {0}")]
    Parse(String),
    /// A message of the CPE could not be written.
    #[error("writing a message: {0}")]
    Write(String),
    /// The whole session took longer than its timeout.
    #[error("session timed out after {0:?}")]
    Timeout(Duration),
    /// The session logic ended the session in failure.
    #[error("session failed: {0}")]
    Session(String),
    /// A [`Tap`] cut the session; its connection is closed.
    #[error("cut by the tap: {0}")]
    Aborted(String),
}

impl TransportError {
    /// The wait the ACS asked for with `Retry-After`, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TransportError::RetryAfter { after, .. } => Some(*after),
            _ => None,
        }
    }
}

/// Longest `Retry-After` honoured: a larger one (or a broken one) is taken as this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The delay of a `Retry-After` header in delta-seconds (RFC 9110 §10.2.3); an HTTP-date is
/// not used by ACSs and is ignored (`None`), as is a missing or unreadable header.
fn retry_after(headers: &hyper::HeaderMap) -> Option<Duration> {
    let text = headers
        .get(hyper::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = text.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// How a successful session went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionResult {
    /// HTTP requests sent (with 401 re-sends and redirects).
    pub requests: usize,
    /// CWMP messages (and empty POSTs) delivered.
    pub messages: usize,
    /// TCP (or TLS) connections opened; 1 unless redirected to another host or the ACS
    /// closed the connection.
    pub connections: usize,
    /// The URL in use at the end (after redirects).
    pub final_url: String,
    /// The cookies held at the end.
    pub cookies: CookieJar,
}

/// Limits and settings of the transport.
#[derive(Debug, Clone)]
pub struct TransportOptions {
    /// The whole-session timeout.
    pub timeout: Duration,
    /// Largest response body.
    pub max_response: usize,
    /// Parser limits for the ACS's messages.
    pub limits: Limits,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            timeout: DEFAULT_SESSION_TIMEOUT,
            max_response: DEFAULT_MAX_RESPONSE,
            limits: Limits::default(),
        }
    }
}

/// Opens the byte stream to the ACS (the TLS seam).
pub trait Connector {
    /// The stream hyper speaks HTTP/1.1 over.
    type Stream: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;
    /// Connects to `target`.
    fn connect(
        &self,
        target: &Target,
    ) -> impl Future<Output = Result<Self::Stream, TransportError>>;
}

/// Plain TCP only; `https` URLs are refused (use [`AcsConnector`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl Connector for TcpConnector {
    type Stream = TokioIo<TcpStream>;

    async fn connect(&self, target: &Target) -> Result<Self::Stream, TransportError> {
        if target.scheme != Scheme::Http {
            return Err(TransportError::Scheme(
                "https (this connector is plain TCP only)".into(),
            ));
        }
        let stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|source| TransportError::Connect {
                target: target.authority(),
                source,
            })?;
        let _ = stream.set_nodelay(true);
        Ok(TokioIo::new(stream))
    }
}

/// Runs a session over plain TCP: POSTs `first` (the Inform of [`Session::start`]) to
/// `url`, then whatever the session says, until it is done. Fails the session (events kept
/// for the retry) on any transport error or after `timeout`.
pub async fn run_session(
    url: &str,
    credentials: Option<&Credentials>,
    session: &mut Session<'_>,
    first: Envelope,
    timeout: Duration,
) -> Result<SessionResult, TransportError> {
    let options = TransportOptions {
        timeout,
        ..TransportOptions::default()
    };
    run_session_with(&TcpConnector, url, credentials, session, first, &options).await
}

/// [`run_session`] with any [`Connector`] and options.
pub async fn run_session_with<C: Connector>(
    connector: &C,
    url: &str,
    credentials: Option<&Credentials>,
    session: &mut Session<'_>,
    first: Envelope,
    options: &TransportOptions,
) -> Result<SessionResult, TransportError> {
    run_session_tapped(
        connector,
        url,
        credentials,
        session,
        first,
        options,
        &mut NoTap,
    )
    .await
}

/// [`run_session_with`], every message passing through `tap` on its way.
pub async fn run_session_tapped<C: Connector, T: Tap>(
    connector: &C,
    url: &str,
    credentials: Option<&Credentials>,
    session: &mut Session<'_>,
    first: Envelope,
    options: &TransportOptions,
    tap: &mut T,
) -> Result<SessionResult, TransportError> {
    let result = match Target::parse(url) {
        Err(e) => Err(e),
        Ok(target) => {
            let mut client = Client {
                connector,
                credentials,
                options,
                target,
                conn: None,
                auth: None,
                cookies: CookieJar::new(),
                requests: 0,
                messages: 0,
                connections: 0,
                redirects: 0,
            };
            let run = client.run(session, first, tap);
            let outcome = match tokio::time::timeout(options.timeout, run).await {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout(options.timeout)),
            };
            let result = outcome.map(|()| SessionResult {
                requests: client.requests,
                messages: client.messages,
                connections: client.connections,
                final_url: client.target.to_string(),
                cookies: client.cookies.clone(),
            });
            client.close();
            result
        }
    };
    if let Err(e) = &result {
        if !matches!(e, TransportError::Session(_)) {
            session.fail(e.to_string());
        }
    }
    result
}

/// One open HTTP/1.1 connection.
struct Conn {
    authority: String,
    sender: SendRequest<Full<Bytes>>,
    task: JoinHandle<()>,
}

struct Client<'a, C> {
    connector: &'a C,
    credentials: Option<&'a Credentials>,
    options: &'a TransportOptions,
    target: Target,
    conn: Option<Conn>,
    auth: Option<AuthState>,
    cookies: CookieJar,
    requests: usize,
    messages: usize,
    connections: usize,
    redirects: usize,
}

/// What the ACS answered to one message.
enum Incoming {
    /// An envelope (`None`: the empty body), for [`Session::on_reply`] (and the [`Tap`]).
    Parsed(Option<Envelope>),
    /// A message the protocol answers without parsing it (unknown method, header not
    /// understood), for [`Session::on_unparsable`].
    Unparsable(Box<EnvelopeHead>, ParseError),
}

/// What one HTTP exchange gave.
struct Reply {
    status: StatusCode,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl<C: Connector> Client<'_, C> {
    async fn run<T: Tap>(
        &mut self,
        session: &mut Session<'_>,
        first: Envelope,
        tap: &mut T,
    ) -> Result<(), TransportError> {
        let mut next = Some(first);
        let mut index = 0;
        loop {
            let out = tap.outgoing(index, next.take()).await?;
            index += 1;
            let reply = match out {
                Outgoing::Message(message) => {
                    let body = message.as_ref().map(write).transpose()?;
                    self.deliver(body).await?
                }
                Outgoing::Raw(body) => self.deliver(Some(body)).await?,
                Outgoing::Twice(message) => {
                    let body = write(&message)?;
                    self.deliver(Some(body.clone())).await?;
                    self.messages += 1;
                    self.deliver(Some(body)).await?
                }
            };
            self.messages += 1;
            let step = match reply {
                Incoming::Parsed(reply) => {
                    tap.incoming(reply.as_ref());
                    session.on_reply(reply)
                }
                Incoming::Unparsable(head, error) => session.on_unparsable(*head, &error),
            };
            next = match step {
                Step::Send(env) => Some(*env),
                Step::SendEmpty => None,
                Step::Done => return Ok(()),
                Step::Failed(reason) => return Err(TransportError::Session(reason)),
            };
        }
    }

    fn close(&mut self) {
        if let Some(c) = self.conn.take() {
            c.task.abort();
        }
    }

    /// Delivers one message (`None`: the empty POST) through 401s and redirects; returns
    /// the ACS's envelope, `None` for an empty reply.
    async fn deliver(&mut self, body: Option<Bytes>) -> Result<Incoming, TransportError> {
        let mut fresh_challenge = false;
        loop {
            let reply = self.exchange(body.clone()).await?;
            for v in reply.headers.get_all(header::SET_COOKIE) {
                if let Ok(s) = v.to_str() {
                    self.cookies.store(s);
                }
            }
            let status = reply.status;
            if status == StatusCode::UNAUTHORIZED {
                let Some(_) = self.credentials else {
                    return Err(TransportError::Auth(
                        "the ACS asks for credentials; none configured".into(),
                    ));
                };
                let challenges = reply
                    .headers
                    .get_all(header::WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok());
                let state = AuthState::from_challenges(challenges)
                    .ok_or_else(|| TransportError::Auth("no supported challenge".into()))?;
                // A second 401 right after answering a fresh challenge means wrong
                // credentials, unless the nonce was merely stale.
                if fresh_challenge && !state.is_stale() {
                    return Err(TransportError::Auth("credentials refused".into()));
                }
                self.auth = Some(state);
                fresh_challenge = true;
                continue;
            }
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = reply
                    .headers
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| TransportError::Http(format!("{status} without Location")))?;
                self.redirects += 1;
                if self.redirects > MAX_REDIRECTS {
                    return Err(TransportError::Redirects);
                }
                let next = self.target.join(location)?;
                if next.authority() != self.target.authority() || next.scheme != self.target.scheme
                {
                    self.auth = None;
                    self.close();
                }
                self.target = next;
                fresh_challenge = false;
                continue;
            }
            if !status.is_success() {
                let asked = (status == StatusCode::SERVICE_UNAVAILABLE
                    || status == StatusCode::TOO_MANY_REQUESTS)
                    .then(|| retry_after(&reply.headers))
                    .flatten();
                return Err(match asked {
                    Some(after) => TransportError::RetryAfter {
                        status: status.as_u16(),
                        after,
                    },
                    None => TransportError::Status(status.as_u16()),
                });
            }
            if status == StatusCode::NO_CONTENT || reply.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Incoming::Parsed(None));
            }
            let hint = reply
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(Charset::from_content_type);
            let limits = &self.options.limits;
            return match Envelope::parse_bytes(&reply.body, hint, limits) {
                Ok(env) => Ok(Incoming::Parsed(Some(env))),
                Err(e) if e.is_unknown_method() || e.is_must_understand() => {
                    match Envelope::parse_head(&reply.body, hint, limits) {
                        Ok(head) => Ok(Incoming::Unparsable(Box::new(head), e)),
                        Err(_) => Err(TransportError::Parse(e.to_string())),
                    }
                }
                Err(e) => Err(TransportError::Parse(e.to_string())),
            };
        }
    }

    /// An open connection to the current target, reusing the kept one while it lives.
    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, TransportError> {
        let authority = self.target.authority();
        let reusable = self
            .conn
            .as_ref()
            .is_some_and(|c| c.authority == authority && !c.sender.is_closed());
        if !reusable {
            self.close();
            let io = self.connector.connect(&self.target).await?;
            let (sender, conn) = http1::Builder::new()
                .handshake(io)
                .await
                .map_err(|e| http_error(&e, &self.target))?;
            let task = tokio::spawn(async move {
                let _ = conn.await;
            });
            self.connections += 1;
            self.conn = Some(Conn {
                authority,
                sender,
                task,
            });
        }
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| TransportError::Http("no connection".into()))?;
        let target = &self.target;
        conn.sender
            .ready()
            .await
            .map_err(|e| http_error(&e, target))?;
        Ok(&mut conn.sender)
    }

    /// One HTTP request and its whole (bounded) response.
    async fn exchange(&mut self, body: Option<Bytes>) -> Result<Reply, TransportError> {
        let path = self.target.path.clone();
        let mut builder = Request::post(path.as_str())
            .header(header::HOST, self.target.host_header())
            .header(
                header::USER_AGENT,
                concat!("cwmp-cpe/", env!("CARGO_PKG_VERSION")),
            );
        match &body {
            Some(b) => {
                builder = builder
                    .header(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/xml; charset=\"utf-8\""),
                    )
                    .header("SOAPAction", SOAP_ACTION)
                    .header(header::CONTENT_LENGTH, b.len());
            }
            None => builder = builder.header(header::CONTENT_LENGTH, 0),
        }
        if let Some(cookie) = self.cookies.header() {
            builder = builder.header(header::COOKIE, cookie);
        }
        if let (Some(state), Some(creds)) = (self.auth.as_mut(), self.credentials) {
            builder = builder.header(
                header::AUTHORIZATION,
                state.authorization(creds, "POST", &path),
            );
        }
        let request = builder
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let max = self.options.max_response;
        let target = self.target.clone();
        let sender = self.sender().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http_error(&e, &target))?;
        self.requests += 1;
        let (parts, incoming) = response.into_parts();
        let body = Limited::new(incoming, max)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    TransportError::TooLarge(max)
                } else {
                    TransportError::Http(e.to_string())
                }
            })?
            .to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// An HTTP-level error with its causes spelled out. A TLS error among them (the ACS refusing
/// the client certificate is only seen after a TLS 1.3 handshake) becomes
/// [`TransportError::Tls`], naming the URL.
fn http_error(e: &(dyn std::error::Error + 'static), target: &Target) -> TransportError {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let tls = c
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if let Some(tls) = tls {
            return TransportError::Tls {
                url: target.to_string(),
                source: io::Error::other(tls.clone()),
            };
        }
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    TransportError::Http(text)
}

fn write(env: &Envelope) -> Result<Bytes, TransportError> {
    env.to_xml()
        .map(Bytes::from)
        .map_err(|e| TransportError::Write(e.to_string()))
}
