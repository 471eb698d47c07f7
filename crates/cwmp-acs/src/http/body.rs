//! Request bodies: read with a size limit, then decompressed (gzip, deflate) with the same
//! limit on the result.

use std::io::Read;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;

/// Why a body could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// Over the limit, compressed or not (413).
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while reading (400).
    #[error("reading body: {0}")]
    Read(String),
    /// A compressed body that does not decompress (400).
    #[error("bad {encoding} body: {message}")]
    Corrupt {
        /// The content coding.
        encoding: String,
        /// What the decoder said.
        message: String,
    },
    /// A content coding we do not support (415).
    #[error("unsupported Content-Encoding {0:?}")]
    Unsupported(String),
}

/// Reads the whole body, failing past `max` bytes.
pub(crate) async fn read(body: Incoming, max: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge(max)),
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// Undoes the `Content-Encoding` (`None`, `identity`, `gzip`, `x-gzip`, `deflate`), producing
/// at most `max` bytes.
pub(crate) fn decode(bytes: Bytes, encoding: Option<&str>, max: usize) -> Result<Bytes, BodyError> {
    let coding = encoding.map(|e| e.trim().to_ascii_lowercase());
    match coding.as_deref() {
        None | Some("" | "identity") => Ok(bytes),
        Some(c @ ("gzip" | "x-gzip")) => {
            inflate(flate2::read::MultiGzDecoder::new(&bytes[..]), max, c)
        }
        // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate.
        Some("deflate") => inflate(flate2::read::ZlibDecoder::new(&bytes[..]), max, "deflate")
            .or_else(|e| match e {
                BodyError::Corrupt { .. } => inflate(
                    flate2::read::DeflateDecoder::new(&bytes[..]),
                    max,
                    "deflate",
                ),
                other => Err(other),
            }),
        Some(other) => Err(BodyError::Unsupported(other.to_owned())),
    }
}

fn inflate(decoder: impl Read, max: usize, encoding: &str) -> Result<Bytes, BodyError> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Corrupt {
            encoding: encoding.to_owned(),
            message: e.to_string(),
        })?;
    if out.len() > max {
        return Err(BodyError::TooLarge(max));
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("write");
        Bytes::from(e.finish().expect("finish"))
    }

    #[test]
    fn gzip_and_deflate_round_trip() {
        let data = b"<soap-env:Envelope/>".repeat(10);
        assert_eq!(
            decode(gzip(&data), Some("gzip"), 1000).expect("gz"),
            &data[..]
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).expect("write");
        let z = Bytes::from(z.finish().expect("finish"));
        assert_eq!(decode(z, Some("deflate"), 1000).expect("zlib"), &data[..]);
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        d.write_all(&data).expect("write");
        let d = Bytes::from(d.finish().expect("finish"));
        assert_eq!(decode(d, Some("deflate"), 1000).expect("raw"), &data[..]);
    }

    #[test]
    fn decompression_is_bounded() {
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert!(matches!(
            decode(bomb, Some("gzip"), 4096),
            Err(BodyError::TooLarge(4096))
        ));
        assert!(matches!(
            decode(Bytes::from_static(b"nope"), Some("gzip"), 4096),
            Err(BodyError::Corrupt { .. })
        ));
        assert!(matches!(
            decode(Bytes::from_static(b"x"), Some("br"), 4096),
            Err(BodyError::Unsupported(_))
        ));
    }
}
