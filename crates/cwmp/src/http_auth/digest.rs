//! HTTP Digest authentication (RFC 7616), the one implementation of the project: the hash
//! algorithms, the challenge a server writes and a client reads, the `Authorization` a client
//! computes and a server parses and verifies in constant time. Issuing nonces, refusing
//! replays and finding credentials are each side's policy and stay with it.

use md5::Md5;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::{digest_uri_matches, hex, param, parse_params, quote, split_scheme};

/// A Digest hash algorithm (RFC 7616 §3.4.1; §3.4.2 for the `-sess` variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, also the meaning of a header that names no algorithm.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Md5,
        Algorithm::Md5Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
    ];

    /// The token in the headers.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    /// The algorithm named by `token` (case-insensitive).
    pub fn parse(token: &str) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(token.trim()))
    }

    /// Lower-case hex digest of `data`.
    pub fn hash(self, data: &str) -> String {
        if self.is_sha256() {
            hex(&Sha256::digest(data.as_bytes()))
        } else {
            hex(&Md5::digest(data.as_bytes()))
        }
    }

    /// Length of a digest in hex digits.
    pub fn hex_len(self) -> usize {
        if self.is_sha256() { 64 } else { 32 }
    }

    /// `MD5-sess` or `SHA-256-sess`: HA1 is re-hashed with the nonces.
    pub fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
    }

    /// `SHA-256` or `SHA-256-sess`: the stronger family, which clients prefer.
    pub fn is_sha256(self) -> bool {
        matches!(self, Algorithm::Sha256 | Algorithm::Sha256Sess)
    }

    /// The non-`-sess` algorithm of the same hash, whose HA1 a server may store.
    pub fn base(self) -> Algorithm {
        if self.is_sha256() {
            Algorithm::Sha256
        } else {
            Algorithm::Md5
        }
    }
}

/// Written as its header token (`"SHA-256"`).
impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Read from its header token, case-insensitively; an unknown one names the known ones.
impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        Algorithm::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown digest algorithm {text:?}: expected MD5, MD5-sess, SHA-256 or SHA-256-sess"
            ))
        })
    }
}

/// `H(username:realm:password)` with the hash of `algorithm` (its `-sess` re-hash is applied
/// per request): what a server may store instead of the password.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm
        .base()
        .hash(&format!("{username}:{realm}:{password}"))
}

/// Equality that takes the same time wherever the inputs differ (secrets, digests, MACs);
/// only a difference in length returns early.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The `response` of RFC 7616 §3.4.1: with `qop=auth`,
/// `H(HA1':nonce:nc:cnonce:auth:H(method:uri))`, HA1' being `ha1` or, for `-sess`,
/// `H(ha1:nonce:cnonce)`; without qop (RFC 2069), `H(HA1:nonce:H(method:uri))`.
fn response(
    algorithm: Algorithm,
    ha1: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
    method: &str,
    uri: &str,
) -> String {
    let ha2 = algorithm.hash(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => {
            let key = if algorithm.is_sess() {
                algorithm.hash(&format!("{ha1}:{nonce}:{cnonce}"))
            } else {
                ha1.to_owned()
            };
            algorithm.hash(&format!("{key}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
        }
        None => algorithm.hash(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// A Digest challenge (`WWW-Authenticate: Digest …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `opaque`, echoed by the client.
    pub opaque: Option<String>,
    /// `algorithm` (MD5 when absent).
    pub algorithm: Algorithm,
    /// `qop` offers `auth`; `false`: no qop at all (RFC 2069 form).
    pub qop_auth: bool,
    /// `stale=true`: the credentials were right, the nonce was not; retry without asking.
    pub stale: bool,
}

impl Challenge {
    /// A `qop="auth"` challenge.
    pub fn new(realm: &str, nonce: &str, algorithm: Algorithm) -> Challenge {
        Challenge {
            realm: realm.to_owned(),
            nonce: nonce.to_owned(),
            opaque: None,
            algorithm,
            qop_auth: true,
            stale: false,
        }
    }

    /// A whole header value (`Digest realm=…`); `None` for another scheme or a challenge
    /// we cannot answer (no realm or nonce, unknown algorithm, only `auth-int` offered).
    pub fn from_header(value: &str) -> Option<Challenge> {
        let (scheme, rest) = split_scheme(value);
        if !scheme.eq_ignore_ascii_case("Digest") {
            return None;
        }
        let params = parse_params(rest)?;
        let algorithm = match param(&params, "algorithm") {
            None => Algorithm::Md5,
            Some(t) => Algorithm::parse(t)?,
        };
        let qop_auth = match param(&params, "qop") {
            None => false,
            Some(q) if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) => true,
            Some(_) => return None,
        };
        Some(Challenge {
            realm: param(&params, "realm")?.to_owned(),
            nonce: param(&params, "nonce")?.to_owned(),
            opaque: param(&params, "opaque").map(str::to_owned),
            algorithm,
            qop_auth,
            stale: param(&params, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// The strongest Digest challenge we can answer among `WWW-Authenticate` values
    /// (SHA-256 over MD5; among equals, the server's first).
    pub fn best<'h>(values: impl IntoIterator<Item = &'h str>) -> Option<Challenge> {
        let mut best: Option<Challenge> = None;
        for c in values.into_iter().filter_map(Challenge::from_header) {
            let stronger = best
                .as_ref()
                .is_none_or(|b| c.algorithm.is_sha256() && !b.algorithm.is_sha256());
            if stronger {
                best = Some(c);
            }
        }
        best
    }

    /// The header value a server sends.
    pub fn to_header(&self) -> String {
        let mut h = format!("Digest realm={}", quote(&self.realm));
        if self.qop_auth {
            h.push_str(", qop=\"auth\"");
        }
        h.push_str(&format!(
            ", algorithm={}, nonce={}",
            self.algorithm.name(),
            quote(&self.nonce)
        ));
        if let Some(o) = &self.opaque {
            h.push_str(&format!(", opaque={}", quote(o)));
        }
        if self.stale {
            h.push_str(", stale=true");
        }
        h
    }

    /// The `Authorization` value answering this challenge for a `method` request of `uri`
    /// (the request-target), as the `nc`-th request with this nonce, with client nonce
    /// `cnonce` (`qop=auth` when offered, else the RFC 2069 form).
    pub fn authorization(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let alg = self.algorithm;
        let nc_text = format!("{nc:08x}");
        let qop = self.qop_auth.then_some((nc_text.as_str(), cnonce));
        let key = ha1(alg, username, &self.realm, password);
        let digest = response(alg, &key, &self.nonce, qop, method, uri);
        let mut h = format!(
            "Digest username={}, realm={}, nonce={}, uri={}, algorithm={}, response=\"{digest}\"",
            quote(username),
            quote(&self.realm),
            quote(&self.nonce),
            quote(uri),
            alg.name(),
        );
        if self.qop_auth {
            h.push_str(&format!(
                ", qop=auth, nc={nc_text}, cnonce={}",
                quote(cnonce)
            ));
        }
        if let Some(o) = &self.opaque {
            h.push_str(&format!(", opaque={}", quote(o)));
        }
        h
    }
}

/// Why a Digest `Authorization` could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// Not auth-param syntax, or a field missing or malformed (named).
    #[error("malformed Digest response: {0}")]
    Malformed(&'static str),
    /// An algorithm we do not know.
    #[error("unsupported digest algorithm")]
    Algorithm,
    /// `qop` other than `auth`, or none (our challenges always ask for `auth`).
    #[error("unsupported qop")]
    Qop,
}

/// A client's Digest response (`Authorization: Digest …`), as a server reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `uri`: the request-target as the client wrote it.
    pub uri: String,
    /// `response`, lower-cased.
    pub response: String,
    /// `algorithm` (MD5 when absent).
    pub algorithm: Algorithm,
    /// `nc`, the client's count of requests with this nonce (1 or more).
    pub nc: u32,
    /// `nc` as written (8 hex digits), which enters the hash.
    pub nc_text: String,
    /// `cnonce`.
    pub cnonce: String,
}

impl Response {
    /// Parses the auth-params after `Digest` (use [`split_scheme`] first). `qop=auth`, `nc`
    /// (8 hex digits, not 0) and `cnonce` are required: our challenges always offer `auth`.
    pub fn parse(params: &str) -> Result<Response, ResponseError> {
        let params = parse_params(params).ok_or(ResponseError::Malformed("syntax"))?;
        let field = |name: &'static str| {
            param(&params, name)
                .map(str::to_owned)
                .ok_or(ResponseError::Malformed(name))
        };
        let (username, realm, nonce) = (field("username")?, field("realm")?, field("nonce")?);
        let (uri, response) = (field("uri")?, field("response")?.to_ascii_lowercase());
        let algorithm = match param(&params, "algorithm") {
            None => Algorithm::Md5,
            Some(t) => Algorithm::parse(t).ok_or(ResponseError::Algorithm)?,
        };
        if !param(&params, "qop").is_some_and(|q| q.trim().eq_ignore_ascii_case("auth")) {
            return Err(ResponseError::Qop);
        }
        let (nc_text, cnonce) = (field("nc")?, field("cnonce")?);
        let nc = u32::from_str_radix(&nc_text, 16).map_err(|_| ResponseError::Malformed("nc"))?;
        if nc_text.len() != 8 || nc == 0 {
            return Err(ResponseError::Malformed("nc"));
        }
        Ok(Response {
            username,
            realm,
            nonce,
            uri,
            response,
            algorithm,
            nc,
            nc_text,
            cnonce,
        })
    }

    /// True when the `uri` field names `target`, the request-target received.
    pub fn uri_matches(&self, target: &str) -> bool {
        digest_uri_matches(&self.uri, target)
    }

    /// The response expected from someone who knows `ha1` (`H(username:realm:password)`,
    /// [`ha1`]) for a `method` request.
    pub fn expected(&self, ha1: &str, method: &str) -> String {
        let qop = Some((self.nc_text.as_str(), self.cnonce.as_str()));
        response(self.algorithm, ha1, &self.nonce, qop, method, &self.uri)
    }

    /// True when the response proves knowledge of `ha1`, compared in constant time.
    pub fn verify(&self, ha1: &str, method: &str) -> bool {
        constant_time_eq(
            self.expected(ha1, method).as_bytes(),
            self.response.as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests;
