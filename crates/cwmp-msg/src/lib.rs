//! The library behind the `cwmp-msg` tool: read a capture (a SOAP body or a raw HTTP message)
//! into a CWMP [`Envelope`].

pub mod http;

use cwmp::{Envelope, Limits};

/// Reads a capture. `Ok(None)` is the empty message (an empty HTTP body) that ends a session.
pub fn read_capture(input: &[u8], limits: &Limits) -> anyhow::Result<Option<Envelope>> {
    let payload = if http::looks_like_http(input) {
        http::parse(input)?
    } else {
        http::Payload {
            body: input.to_vec(),
            charset: None,
        }
    };
    if payload.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(Envelope::parse_bytes(
        &payload.body,
        payload.charset,
        limits,
    )?))
}
