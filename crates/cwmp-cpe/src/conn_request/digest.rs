//! Server-side HTTP authentication of Connection Requests (TR-069 §3.2.2: Digest required,
//! RFC 7616 with `qop=auth`, MD5 and SHA-256; Basic only when configured).
//!
//! The agent issues every nonce itself, remembers it with its issue time and the highest
//! `nc` seen, and answers `stale=true` when a correct response used an expired (or
//! forgotten) nonce, so the ACS retries without asking anyone for a password (RFC 7616
//! §3.3). A request whose `nc` is not above the last one seen for its nonce is a replay.

use std::collections::HashMap;
use std::time::Duration;

use cwmp::http_auth::digest::{Challenge, Response, ResponseError, constant_time_eq, ha1};
use cwmp::http_auth::{hex, parse_basic, split_scheme};
use rand::RngCore;
use rand::rngs::StdRng;

pub use cwmp::http_auth::digest::Algorithm;

/// Most nonces remembered; the oldest is forgotten first (its user then gets `stale=true`).
const MAX_NONCES: usize = 256;

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
        let mut out: Vec<String> = self
            .config
            .algorithms
            .iter()
            .map(|&algorithm| {
                Challenge {
                    opaque: Some(self.opaque.clone()),
                    stale,
                    ..Challenge::new(&self.config.realm, &nonce, algorithm)
                }
                .to_header()
            })
            .collect();
        if self.config.allow_basic {
            out.push(format!(
                "Basic realm={}",
                cwmp::http_auth::quote(&self.config.realm)
            ));
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
        let header = authorization.ok_or(AuthError::Missing)?;
        let (scheme, rest) = split_scheme(header);
        if scheme.eq_ignore_ascii_case("Basic") {
            return self.verify_basic(rest);
        }
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Scheme);
        }
        let r = Response::parse(rest).map_err(|e| match e {
            ResponseError::Malformed(field) => AuthError::Malformed(field),
            ResponseError::Algorithm => AuthError::Algorithm,
            ResponseError::Qop => AuthError::Qop,
        })?;
        if !self.config.algorithms.contains(&r.algorithm) {
            return Err(AuthError::Algorithm);
        }
        if !r.uri_matches(uri) {
            return Err(AuthError::Uri);
        }
        let c = &self.config;
        if c.username.is_empty()
            || !constant_time_eq(r.username.as_bytes(), c.username.as_bytes())
            || r.realm != c.realm
        {
            return Err(AuthError::Credentials);
        }
        if !r.verify(
            &ha1(r.algorithm, &r.username, &r.realm, &c.password),
            method,
        ) {
            return Err(AuthError::Credentials);
        }
        let lifetime = c.nonce_lifetime;
        let state = self.nonces.get_mut(&r.nonce).ok_or(AuthError::Stale)?;
        if now.saturating_sub(state.issued) > lifetime {
            return Err(AuthError::Stale);
        }
        if r.nc <= state.last_nc {
            return Err(AuthError::Replay);
        }
        state.last_nc = r.nc;
        Ok(())
    }

    fn verify_basic(&self, token: &str) -> Result<(), AuthError> {
        if !self.config.allow_basic {
            return Err(AuthError::Scheme);
        }
        let (user, pass) = parse_basic(token).map_err(AuthError::Malformed)?;
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
