//! HTTP Digest computations of RFC 7616 §3.4 for `qop=auth` (the only one the ACS
//! offers), with the MD5 and SHA-256 algorithms, plus the HA1 check of a Basic password.

use md5::Md5;
use sha2::{Digest as _, Sha256};

use cwmp::http_auth::hex;

/// A Digest hash algorithm the ACS offers (RFC 7616 §3.4.1; no `-sess` variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `SHA-256`, offered first (RFC 7616 §3.7: the server lists its preference first).
    Sha256,
    /// `MD5`, also the meaning of a response that names no algorithm.
    Md5,
}

impl Algorithm {
    /// Both algorithms in the order challenges offer them.
    pub const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

    /// The token in the headers.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Md5 => "MD5",
        }
    }

    /// The algorithm named by `token` (case-insensitive).
    pub fn parse(token: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(token))
    }

    /// Lower-case hex digest of `data`.
    pub fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
            Algorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
        }
    }

    /// Length of a digest in hex digits.
    pub fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Md5 => 32,
        }
    }
}

/// `H(username:realm:password)`, what the ACS stores instead of the password.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash(&format!("{username}:{realm}:{password}"))
}

/// The fields of a Digest response that enter the computation.
#[derive(Debug, Clone, Copy)]
pub struct ResponseInput<'a> {
    /// Request method.
    pub method: &'a str,
    /// The `uri` field.
    pub uri: &'a str,
    /// The `nonce` field.
    pub nonce: &'a str,
    /// The `nc` field, as sent (8 hex digits).
    pub nc: &'a str,
    /// The `cnonce` field.
    pub cnonce: &'a str,
}

/// The expected `response` for `qop=auth`:
/// `H(HA1:nonce:nc:cnonce:auth:H(method:uri))` (RFC 7616 §3.4.1).
pub fn expected_response(algorithm: Algorithm, ha1: &str, input: &ResponseInput<'_>) -> String {
    let ha2 = algorithm.hash(&format!("{}:{}", input.method, input.uri));
    algorithm.hash(&format!(
        "{ha1}:{}:{}:{}:auth:{ha2}",
        input.nonce, input.nc, input.cnonce
    ))
}

/// Equality that takes the same time wherever the inputs differ (for secrets and digests).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A stored HA1 normalised to lower case, or `None` when it is not `algorithm`'s length
/// of hex digits.
pub fn normalize_ha1(algorithm: Algorithm, text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == algorithm.hex_len() && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7616 §3.9.1: the worked examples, MD5 then SHA-256, same request.
    #[test]
    fn rfc7616_examples() {
        let input = ResponseInput {
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            nc: "00000001",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        };
        let cases = [
            (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
            (
                Algorithm::Sha256,
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
        ];
        for (algorithm, expected) in cases {
            let h = ha1(
                algorithm,
                "Mufasa",
                "http-auth@example.org",
                "Circle of Life",
            );
            assert_eq!(expected_response(algorithm, &h, &input), expected);
            let wrong = ha1(
                algorithm,
                "Mufasa",
                "http-auth@example.org",
                "circle of life",
            );
            assert_ne!(expected_response(algorithm, &wrong, &input), expected);
        }
    }

    #[test]
    fn names_and_ha1_normalisation() {
        assert_eq!(Algorithm::parse("sha-256"), Some(Algorithm::Sha256));
        assert_eq!(Algorithm::parse("MD5"), Some(Algorithm::Md5));
        assert_eq!(Algorithm::parse("MD5-sess"), None);
        let md5 = "8CA523F5E9506FED4657C9700EEBDBEC";
        assert_eq!(
            normalize_ha1(Algorithm::Md5, md5).as_deref(),
            Some("8ca523f5e9506fed4657c9700eebdbec")
        );
        assert_eq!(normalize_ha1(Algorithm::Sha256, md5), None);
        assert_eq!(normalize_ha1(Algorithm::Md5, &"g".repeat(32)), None);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
