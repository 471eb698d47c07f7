//! Splits a raw HTTP request or response capture into headers and body: chunked transfer
//! coding, gzip/deflate content coding and the charset of `Content-Type`.

use std::io::Read;

use anyhow::{Context, bail};
use cwmp::Charset;

/// Largest body accepted after de-chunking or decompression.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The payload of a capture: the bytes of the SOAP message and the charset its headers give.
#[derive(Debug, PartialEq, Eq)]
pub struct Payload {
    /// The message bytes (empty for an empty CWMP message).
    pub body: Vec<u8>,
    /// The `Content-Type` charset, if any.
    pub charset: Option<Charset>,
}

/// True when `input` starts like an HTTP request or status line rather than XML.
pub fn looks_like_http(input: &[u8]) -> bool {
    let head = &input[..input.len().min(16)];
    head.starts_with(b"HTTP/")
        || [&b"POST "[..], b"GET ", b"PUT ", b"HEAD "]
            .iter()
            .any(|m| head.starts_with(m))
}

/// Parses a captured HTTP message. Line ends may be CRLF or bare LF (as in many dumps).
pub fn parse(input: &[u8]) -> anyhow::Result<Payload> {
    let (head, rest) = split_head(input).context("no blank line after the HTTP headers")?;
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let start = lines.next().unwrap_or_default();
    if !looks_like_http(start.as_bytes()) {
        bail!("not an HTTP message: {start:?}");
    }
    let mut content_length = None;
    let mut chunked = false;
    let mut encoding = None;
    let mut charset = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            bail!("bad header line {line:?}");
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                content_length = Some(value.parse::<usize>().context("bad Content-Length")?)
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "content-encoding" => encoding = Some(value.to_ascii_lowercase()),
            "content-type" => charset = Charset::from_content_type(value),
            _ => {}
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else {
        // Dumps often have their line ends rewritten, so a Content-Length longer than what is
        // there is taken as "the rest".
        let len = content_length.unwrap_or(rest.len()).min(rest.len());
        rest[..len].to_vec()
    };
    let body = match encoding.as_deref() {
        None | Some("identity") => body,
        Some("gzip" | "x-gzip") => inflate(flate2::read::GzDecoder::new(&body[..]))?,
        Some("deflate") => inflate(flate2::read::ZlibDecoder::new(&body[..]))?,
        Some(other) => bail!("unsupported Content-Encoding {other:?}"),
    };
    Ok(Payload { body, charset })
}

fn split_head(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'\n' {
            if input[i + 1..].starts_with(b"\r\n") {
                return Some((&input[..i], &input[i + 3..]));
            }
            if input[i + 1..].starts_with(b"\n") {
                return Some((&input[..i], &input[i + 2..]));
            }
        }
        i += 1;
    }
    None
}

/// Decodes `Transfer-Encoding: chunked` (RFC 9112 §7.1); trailers are ignored.
fn dechunk(mut input: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = input
            .iter()
            .position(|&b| b == b'\n')
            .context("truncated chunk size line")?;
        let line = String::from_utf8_lossy(&input[..line_end]);
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        input = &input[line_end + 1..];
        if size == 0 {
            return Ok(out);
        }
        if size > input.len() {
            bail!("chunk of {size} bytes but only {} left", input.len());
        }
        if out.len() + size > MAX_BODY {
            bail!("body larger than {MAX_BODY} bytes");
        }
        out.extend_from_slice(&input[..size]);
        input = &input[size..];
        input = input
            .strip_prefix(b"\r\n")
            .or_else(|| input.strip_prefix(b"\n"))
            .unwrap_or(input);
    }
}

fn inflate(reader: impl Read) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_BODY).unwrap_or(u64::MAX) + 1;
    reader
        .take(limit)
        .read_to_end(&mut out)
        .context("bad compressed body")?;
    if out.len() > MAX_BODY {
        bail!("body larger than {MAX_BODY} bytes once decompressed");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_request_with_lf_line_ends() {
        let raw = b"POST / HTTP/1.1\nContent-Length: 5\nContent-Type: text/xml; charset=ISO-8859-1\n\n<a/>\nextra";
        let p = parse(raw).unwrap();
        assert_eq!(p.body, b"<a/>\n");
        assert_eq!(p.charset, Some(Charset::Latin1));
    }

    #[test]
    fn chunked_response() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n<a>\r\n4;x=y\r\n</a>\r\n0\r\n\r\n";
        assert_eq!(parse(raw).unwrap().body, b"<a></a>");
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert!(parse(bad).is_err());
        let short = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc";
        assert!(parse(short).is_err());
    }

    #[test]
    fn gzip_body() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"<a/>").unwrap();
        let gz = enc.finish().unwrap();
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
        raw.extend_from_slice(&gz);
        assert_eq!(parse(&raw).unwrap().body, b"<a/>");
    }

    #[test]
    fn empty_body_and_garbage() {
        assert!(
            parse(b"HTTP/1.1 204 No Content\r\n\r\n")
                .unwrap()
                .body
                .is_empty()
        );
        assert!(parse(b"NOT HTTP\r\n\r\n").is_err());
        assert!(parse(b"POST / HTTP/1.1\r\nbroken header\r\n\r\n").is_err());
    }
}
