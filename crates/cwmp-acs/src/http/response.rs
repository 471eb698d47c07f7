//! The CWMP endpoint's HTTP answers: empty statuses, 503 with `Retry-After`, and SOAP
//! envelopes. Shared by the endpoint and its authentication gate.

use std::time::Duration;

use bytes::Bytes;
use cwmp::Envelope;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

/// A response of the CWMP endpoint.
pub(crate) type Resp = Response<Full<Bytes>>;

/// A response with `status` and no body.
pub(crate) fn empty(status: StatusCode) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// 503 with `Retry-After` in whole seconds (at least 1): the CPE comes back later
/// (TR-069 §3.4.5: a CPE honours it, else it applies its own retry back-off).
pub(crate) fn retry_after(after: Duration) -> Resp {
    let mut r = empty(StatusCode::SERVICE_UNAVAILABLE);
    let secs = after.as_secs().max(1);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// 405 naming POST, the only method of the CWMP endpoint.
pub(crate) fn method_not_allowed() -> Resp {
    let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

/// `env` as `text/xml`; an envelope that cannot be written is a bug of ours, and the CPE is
/// told to come back rather than given a 500.
pub(crate) fn xml(env: &Envelope) -> Resp {
    match env.to_xml() {
        Ok(text) => {
            let mut r = Response::new(Full::new(Bytes::from(text)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=\"utf-8\""),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot write reply");
            retry_after(Duration::from_secs(60))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_at_least_one_second() {
        let r = retry_after(Duration::from_millis(10));
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = retry_after(Duration::from_secs(30));
        assert_eq!(r.headers()[header::RETRY_AFTER], "30");
    }
}
