//! The uploader: one file's bytes to an HTTP(S) URL by PUT or POST (TR-069 §3.4.3), with
//! credentials and a time limit.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::Method;

use super::http::{TransferError, send};
use crate::config::UploadMethod;
use crate::transport::{Connector, Credentials};

/// Most bytes of the server's answer read (and dropped) so the connection ends cleanly.
const MAX_ANSWER: usize = 64 * 1024;

/// Sends `body` to `url` by `method`; success is any 2xx answer.
pub async fn put<C: Connector>(
    connector: &C,
    url: &str,
    credentials: Option<&Credentials>,
    method: UploadMethod,
    body: Bytes,
    timeout: Duration,
) -> Result<(), TransferError> {
    let method = match method {
        UploadMethod::Put => Method::PUT,
        UploadMethod::Post => Method::POST,
    };
    let run = async {
        let response = send(connector, method, url, credentials, body).await?;
        let status = response.status();
        let _ = http_body_util::Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await;
        if status.is_success() {
            Ok(())
        } else {
            Err(TransferError::Status(status.as_u16()))
        }
    };
    tokio::time::timeout(timeout, run)
        .await
        .unwrap_or(Err(TransferError::Timeout(timeout.as_secs())))
}
