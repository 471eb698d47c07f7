//! Server-side HTTP authentication of Connection Requests (TR-069 §3.2.2: Digest required,
//! RFC 7616 with `qop=auth`, MD5 and SHA-256; Basic only when configured).
//!
//! The agent issues every nonce itself, remembers it with its issue time and the highest
//! `nc` seen, and answers `stale=true` when a correct response used an expired (or
//! forgotten) nonce, so the ACS retries without asking anyone for a password (RFC 7616
//! §3.3). A request whose `nc` is not above the last one seen for its nonce is a replay.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use md5::Md5;
use rand::RngCore;
use rand::rngs::StdRng;
use sha2::{Digest as _, Sha256};

pub(crate) use cwmp::http_auth::{digest_uri_matches as uri_matches, parse_params, quote};

use cwmp::http_auth::hex;

use super::constant_time_eq;

/// Most nonces remembered; the oldest is forgotten first (its user then gets `stale=true`).
const MAX_NONCES: usize = 256;

/// A Digest hash algorithm (RFC 7616 §3.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5` (the default when the header names none).
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
}

impl Algorithm {
    /// The token in the headers.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Md5Sess => "MD5-sess",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha256Sess => "SHA-256-sess",
        }
    }

    pub(crate) fn parse(token: &str) -> Option<Self> {
        [
            Algorithm::Md5,
            Algorithm::Md5Sess,
            Algorithm::Sha256,
            Algorithm::Sha256Sess,
        ]
        .into_iter()
        .find(|a| a.name().eq_ignore_ascii_case(token))
    }

    pub(crate) fn hash(self, data: &str) -> String {
        match self {
            Algorithm::Md5 | Algorithm::Md5Sess => hex(&Md5::digest(data.as_bytes())),
            Algorithm::Sha256 | Algorithm::Sha256Sess => hex(&Sha256::digest(data.as_bytes())),
        }
    }

    pub(crate) fn is_sess(self) -> bool {
        matches!(self, Algorithm::Md5Sess | Algorithm::Sha256Sess)
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
        let text = String::deserialize(deserializer)?;
        Algorithm::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown digest algorithm {text:?}: expected MD5, MD5-sess, SHA-256 or SHA-256-sess"
            ))
        })
    }
}

/// The challenges offered by default: MD5 alone, the one algorithm every ACS computes,
/// whichever challenge it reads. ACSs differ in which of several challenges they answer: RFC
/// 7616 §3.7 clients take the first they support, some take only the first, and GenieACS
/// reads the header values joined into one, so the parameters of the LAST challenge win
/// while it always computes MD5 (labelled with that last challenge's algorithm). An order
/// is only safe for all of them when the first and the last challenge are both MD5, and then
/// a client following the RFC never uses anything else: offering SHA-256 is an operator's
/// choice (`[cpe] digest_algorithms`) for an ACS known to answer it.
pub const DEFAULT_ALGORITHMS: [Algorithm; 1] = [Algorithm::Md5];

/// Who may make Connection Requests and how.
#[derive(Debug, Clone)]
pub struct DigestConfig {
    /// The realm announced in challenges.
    pub realm: String,
    /// `ManagementServer.ConnectionRequestUsername`.
    pub username: String,
    /// `ManagementServer.ConnectionRequestPassword`.
    pub password: String,
    /// Accept HTTP Basic too (only sensible over TLS).
    pub allow_basic: bool,
    /// How long an issued nonce stays fresh.
    pub nonce_lifetime: Duration,
    /// Algorithms offered, one challenge each, in this order (RFC 7616 §3.7: the server's
    /// preference first). Default [`DEFAULT_ALGORITHMS`]: MD5 alone.
    pub algorithms: Vec<Algorithm>,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            realm: "cwmp".into(),
            username: String::new(),
            password: String::new(),
            allow_basic: false,
            nonce_lifetime: Duration::from_secs(300),
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
        }
    }
}

/// Why a Connection Request was not authenticated (answer 401 with
/// [`DigestAuth::challenge`], passing [`AuthError::is_stale`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error("no credentials")]
    Missing,
    /// The header could not be parsed, or a required field is absent.
    #[error("malformed Authorization header: {0}")]
    Malformed(&'static str),
    /// A scheme other than Digest (or Basic when allowed).
    #[error("unsupported authentication scheme")]
    Scheme,
    /// Unknown user, wrong realm or wrong password/response.
    #[error("wrong credentials")]
    Credentials,
    /// The `uri` field is not the request's target.
    #[error("digest uri does not match the request")]
    Uri,
    /// An algorithm we do not offer.
    #[error("unsupported digest algorithm")]
    Algorithm,
    /// `qop` other than `auth`, or missing.
    #[error("unsupported qop")]
    Qop,
    /// Correct response, but the nonce expired or is unknown: challenge with `stale=true`.
    #[error("stale nonce")]
    Stale,
    /// `nc` not above the last one seen with this nonce.
    #[error("replayed nonce count")]
    Replay,
}

impl AuthError {
    /// True if the challenge should carry `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthError::Stale)
    }
}

#[derive(Debug, Clone)]
struct NonceState {
    issued: Duration,
    last_nc: u32,
}

/// Verifies Connection Request credentials and issues the nonces of its challenges.
#[derive(Debug)]
pub struct DigestAuth {
    config: DigestConfig,
    nonces: HashMap<String, NonceState>,
    opaque: String,
    rng: StdRng,
}

impl DigestAuth {
    /// A verifier drawing nonces from `rng` (the agent passes `StdRng::from_os_rng()`).
    pub fn new(config: DigestConfig, mut rng: StdRng) -> Self {
        let opaque = random_token(&mut rng);
        DigestAuth {
            config,
            nonces: HashMap::new(),
            opaque,
            rng,
        }
    }

    /// Replaces the configuration (credentials changed); issued nonces stay valid.
    pub fn set_config(&mut self, config: DigestConfig) {
        self.config = config;
    }

    /// Replaces only the username and password (the tree changed them); issued nonces stay
    /// valid.
    pub fn set_credentials(&mut self, username: &str, password: &str) {
        self.config.username = username.to_owned();
        self.config.password = password.to_owned();
    }

    /// The `WWW-Authenticate` header values of a 401, one per algorithm (then Basic if
    /// allowed), with a fresh nonce issued at monotonic time `now`.
    pub fn challenge(&mut self, now: Duration, stale: bool) -> Vec<String> {
        self.forget_old(now);
        let nonce = random_token(&mut self.rng);
        self.nonces.insert(
            nonce.clone(),
            NonceState {
                issued: now,
                last_nc: 0,
            },
        );
        let realm = quote(&self.config.realm);
        let mut out: Vec<String> = self
            .config
            .algorithms
            .iter()
            .map(|a| {
                format!(
                    "Digest realm={realm}, qop=\"auth\", algorithm={}, nonce=\"{nonce}\", opaque=\"{}\"{}",
                    a.name(),
                    self.opaque,
                    if stale { ", stale=true" } else { "" }
                )
            })
            .collect();
        if self.config.allow_basic {
            out.push(format!("Basic realm={realm}"));
        }
        out
    }

    fn forget_old(&mut self, now: Duration) {
        // Expired nonces are kept one more lifetime so that their users get `stale=true`.
        let keep = self.config.nonce_lifetime.saturating_mul(2);
        self.nonces
            .retain(|_, n| now.saturating_sub(n.issued) <= keep);
        while self.nonces.len() >= MAX_NONCES {
            let oldest = self
                .nonces
                .iter()
                .min_by_key(|(_, n)| n.issued)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.nonces.remove(&k),
                None => break,
            };
        }
    }

    /// Checks the `Authorization` header of a `method` request for `uri` (the
    /// request-target as received) at monotonic time `now`.
    pub fn verify(
        &mut self,
        now: Duration,
        method: &str,
        uri: &str,
        authorization: Option<&str>,
    ) -> Result<(), AuthError> {
        let header = authorization.ok_or(AuthError::Missing)?.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("Basic") {
            return self.verify_basic(rest.trim());
        }
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Scheme);
        }
        let params = parse_params(rest).ok_or(AuthError::Malformed("syntax"))?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let field = |name: &'static str| get(name).ok_or(AuthError::Malformed(name));
        let (username, realm, nonce) = (field("username")?, field("realm")?, field("nonce")?);
        let (digest_uri, response) = (field("uri")?, field("response")?);
        let algorithm = match get("algorithm") {
            None => Algorithm::Md5,
            Some(token) => Algorithm::parse(token).ok_or(AuthError::Algorithm)?,
        };
        if !self.config.algorithms.contains(&algorithm) {
            return Err(AuthError::Algorithm);
        }
        if !get("qop").is_some_and(|q| q.eq_ignore_ascii_case("auth")) {
            return Err(AuthError::Qop);
        }
        let (nc_text, cnonce) = (field("nc")?, field("cnonce")?);
        let nc = u32::from_str_radix(nc_text, 16).map_err(|_| AuthError::Malformed("nc"))?;
        if nc_text.len() != 8 {
            return Err(AuthError::Malformed("nc"));
        }
        if !uri_matches(digest_uri, uri) {
            return Err(AuthError::Uri);
        }
        let c = &self.config;
        if c.username.is_empty()
            || !constant_time_eq(username.as_bytes(), c.username.as_bytes())
            || realm != c.realm
        {
            return Err(AuthError::Credentials);
        }
        let mut ha1 = algorithm.hash(&format!("{username}:{realm}:{}", c.password));
        if algorithm.is_sess() {
            ha1 = algorithm.hash(&format!("{ha1}:{nonce}:{cnonce}"));
        }
        let ha2 = algorithm.hash(&format!("{method}:{digest_uri}"));
        let expected = algorithm.hash(&format!("{ha1}:{nonce}:{nc_text}:{cnonce}:auth:{ha2}"));
        if !constant_time_eq(
            expected.as_bytes(),
            response.to_ascii_lowercase().as_bytes(),
        ) {
            return Err(AuthError::Credentials);
        }
        let lifetime = c.nonce_lifetime;
        let state = self.nonces.get_mut(nonce).ok_or(AuthError::Stale)?;
        if now.saturating_sub(state.issued) > lifetime {
            return Err(AuthError::Stale);
        }
        if nc <= state.last_nc {
            return Err(AuthError::Replay);
        }
        state.last_nc = nc;
        Ok(())
    }

    fn verify_basic(&self, token: &str) -> Result<(), AuthError> {
        if !self.config.allow_basic {
            return Err(AuthError::Scheme);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .map_err(|_| AuthError::Malformed("base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| AuthError::Malformed("utf-8"))?;
        let (user, pass) = text.split_once(':').ok_or(AuthError::Malformed("colon"))?;
        let c = &self.config;
        let ok = !c.username.is_empty()
            & constant_time_eq(user.as_bytes(), c.username.as_bytes())
            & constant_time_eq(pass.as_bytes(), c.password.as_bytes());
        if ok {
            Ok(())
        } else {
            Err(AuthError::Credentials)
        }
    }

    #[cfg(test)]
    fn insert_nonce(&mut self, nonce: &str, now: Duration) {
        self.nonces.insert(
            nonce.into(),
            NonceState {
                issued: now,
                last_nc: 0,
            },
        );
    }
}

/// 16 random bytes as 32 hex digits.
pub(crate) fn random_token(rng: &mut StdRng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    hex(&bytes)
}

#[cfg(test)]
mod tests;
