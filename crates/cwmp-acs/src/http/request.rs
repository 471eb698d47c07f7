//! Reading a CWMP request: the session cookie, the body (bounded, decompressed) and what it
//! holds, parsed once at the edge into a [`Message`].

use cwmp::{Charset, Envelope, EnvelopeHead, Limits, ParseError, ParseErrorKind};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};
use hyper::{Request, StatusCode};

use super::body::{self, BodyError};
use super::response::{Resp, empty};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "session";

/// A parsed request body.
pub(super) enum Message {
    /// An empty POST (the CPE has nothing more to send).
    Empty,
    /// A CWMP message.
    Envelope(Box<Envelope>),
    /// Well-formed SOAP naming a method the `cwmp` crate does not know.
    Unknown { name: String, id: Option<String> },
    /// A header marked `mustUnderstand="1"` that we do not process.
    NotUnderstood {
        head: Box<EnvelopeHead>,
        error: ParseError,
    },
}

/// Reads and parses the body of `req`, at most `max` bytes before and after decompression;
/// an error is the response to send.
pub(super) async fn read_message(
    req: Request<Incoming>,
    max: usize,
    limits: &Limits,
) -> Result<Message, Resp> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        return Err(empty(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let hint = header_str(req.headers(), header::CONTENT_TYPE).and_then(Charset::from_content_type);
    let encoding = header_str(req.headers(), header::CONTENT_ENCODING).map(str::to_owned);
    let bytes = body::read(req.into_body(), max)
        .await
        .and_then(|b| body::decode(b, encoding.as_deref(), max))
        .map_err(|e| {
            let status = match e {
                BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                BodyError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                BodyError::Read(_) | BodyError::Corrupt { .. } => StatusCode::BAD_REQUEST,
            };
            tracing::debug!(error = %e, "request body refused");
            empty(status)
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Message::Empty);
    }
    match Envelope::parse_bytes(&bytes, hint, limits) {
        Ok(env) => Ok(Message::Envelope(Box::new(env))),
        Err(e) if e.is_unknown_method() => Ok(Message::Unknown {
            name: unknown_name(&e),
            id: Envelope::parse_head(&bytes, hint, limits)
                .ok()
                .and_then(|h| h.header.id),
        }),
        Err(e) if e.is_must_understand() => match Envelope::parse_head(&bytes, hint, limits) {
            Ok(head) => Ok(Message::NotUnderstood {
                head: Box::new(head),
                error: e,
            }),
            Err(_) => {
                tracing::warn!(error = %e, "unparsable CWMP message");
                Err(empty(StatusCode::BAD_REQUEST))
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "unparsable CWMP message");
            let status = match e.kind {
                ParseErrorKind::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            Err(empty(status))
        }
    }
}

fn unknown_name(e: &ParseError) -> String {
    match &e.kind {
        ParseErrorKind::UnknownMethod { name, .. } => name.clone(),
        _ => "unknown".to_owned(),
    }
}

/// The value of the `session` cookie, if the request carries one.
pub(super) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim() == SESSION_COOKIE)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// Where a new session's CPE reached us (its `Host` header, at most 255 bytes): its file URLs
/// point at the same host.
pub(super) fn reached_host(headers: &HeaderMap) -> Option<String> {
    header_str(headers, header::HOST)
        .filter(|h| h.len() <= 255)
        .map(str::to_owned)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; session=\"abc\""),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some("abc"));
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("sessionx=1"));
        assert_eq!(session_cookie(&headers), None);
    }
}
