//! Authentication of CPEs towards the ACS (TR-069 §3.4.4: HTTP Digest, RFC 7616 with
//! `qop=auth`, MD5 and SHA-256; Basic only over TLS unless configured).
//!
//! Credentials are global (configuration), per device (store, by the username the CPE
//! presents, which must belong to the device of the Inform), or absent (open mode). Only
//! HA1 values are kept, never passwords. Nonces are signed, not stored ([`nonce`]);
//! nonces that authenticated are remembered with their last `nc` to refuse replays; failed
//! attempts are throttled per address ([`throttle`]). The endpoint authenticates the first
//! request of a session; the session cookie carries the result.

mod config;
pub mod digest;
pub mod nonce;
pub mod throttle;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cwmp::http_auth::digest::{Challenge, Response, ResponseError};
use cwmp::http_auth::{parse_basic, quote, split_scheme};

pub use config::{CpeAuthConfig, CpeAuthMode, CpeAuthSettings, GlobalCredentials, Secret};
use digest::{Algorithm, OFFERED, constant_time_eq, normalize_ha1};
use nonce::{NcError, NcTable, NonceIssuer};
use throttle::Throttle;

use crate::store::{DeviceId, Store, StoreError};

/// Longest `Authorization` header looked at (bytes).
pub const MAX_AUTHORIZATION_BYTES: usize = 4096;

/// Monotonic time of the verifier (nonce ages, throttling); injectable for tests.
pub type AuthClock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// The request facts authentication looks at.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request target as received.
    pub uri: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The device of the Inform, when the message is one.
    pub device: Option<&'a DeviceId>,
    /// Whether the connection is TLS.
    pub secure: bool,
}

/// Who was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Nobody: open mode.
    Anonymous,
    /// The global username.
    Global(String),
    /// A device's own username.
    Device {
        /// The username.
        username: String,
        /// Its device.
        device: DeviceId,
    },
}

/// Why a request was not authenticated: answered 401 with fresh challenges.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    /// No `Authorization` header (the normal first request).
    #[error("no credentials")]
    Missing,
    /// The header could not be parsed or lacks a field.
    #[error("malformed Authorization header: {0}")]
    Malformed(&'static str),
    /// A scheme other than Digest and Basic.
    #[error("unsupported authentication scheme")]
    Scheme,
    /// Basic over plain HTTP without `basic_over_http`.
    #[error("Basic authentication refused on plain HTTP")]
    BasicNotAllowed,
    /// An algorithm we do not offer, or one the user has no HA1 for.
    #[error("unsupported digest algorithm")]
    Algorithm,
    /// `qop` other than `auth`.
    #[error("unsupported qop")]
    Qop,
    /// The `uri` field is not the request target.
    #[error("digest uri does not match the request")]
    Uri,
    /// A realm other than ours (or than the stored HA1's).
    #[error("wrong realm")]
    Realm,
    /// No such username.
    #[error("unknown username")]
    UnknownUser,
    /// Wrong password/response.
    #[error("wrong credentials")]
    Credentials,
    /// Valid credentials of another device.
    #[error("credentials belong to device {0}")]
    WrongDevice(DeviceId),
    /// A correct response with a nonce that expired, is not ours, or was forgotten: the
    /// challenge carries `stale=true` (RFC 7616 §3.3).
    #[error("stale nonce")]
    Stale,
    /// `nc` not above the last one accepted with this nonce.
    #[error("replayed nonce count")]
    Replay,
    /// The credentials could not be read.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl AuthFailure {
    /// True when the challenge should say `stale=true`.
    pub fn is_stale(&self) -> bool {
        matches!(self, AuthFailure::Stale)
    }

    /// True when the attempt counts towards throttling (not the normal first request, a
    /// stale nonce, or our own store failing).
    pub fn counts(&self) -> bool {
        !matches!(
            self,
            AuthFailure::Missing | AuthFailure::Stale | AuthFailure::Store(_)
        )
    }
}

/// Credentials found for a username.
struct Known {
    realm: String,
    ha1_md5: Option<String>,
    ha1_sha256: Option<String>,
    /// `None`: global credentials, valid for any device.
    device: Option<DeviceId>,
}

impl Known {
    fn ha1(&self, alg: Algorithm) -> Option<&str> {
        match alg {
            Algorithm::Md5 => self.ha1_md5.as_deref(),
            Algorithm::Sha256 => self.ha1_sha256.as_deref(),
            Algorithm::Md5Sess | Algorithm::Sha256Sess => None,
        }
    }
}

/// The verifier. Shared by all connections (`Arc`).
pub struct CpeAuth {
    settings: CpeAuthSettings,
    nonces: Option<NonceIssuer>,
    nc: Mutex<NcTable>,
    throttle: Mutex<Throttle>,
    clock: AuthClock,
}

impl std::fmt::Debug for CpeAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpeAuth")
            .field("mode", &self.settings.mode)
            .field("realm", &self.settings.realm)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CpeAuth {
    /// No authentication.
    pub fn open() -> CpeAuth {
        match CpeAuthConfig::default().resolve() {
            Ok(settings) => CpeAuth::build(settings, None),
            Err(e) => unreachable!("the default section is valid: {e}"),
        }
    }

    /// A verifier with `settings`; `None` when the OS has no randomness for the nonce key.
    pub fn new(settings: CpeAuthSettings) -> Option<CpeAuth> {
        if settings.mode == CpeAuthMode::Open {
            return Some(CpeAuth::build(settings, None));
        }
        let issuer = NonceIssuer::new(settings.nonce_lifetime)?;
        Some(CpeAuth::build(settings, Some(issuer)))
    }

    fn build(settings: CpeAuthSettings, nonces: Option<NonceIssuer>) -> CpeAuth {
        let start = Instant::now();
        CpeAuth {
            nc: Mutex::new(NcTable::new(settings.max_tracked_nonces)),
            throttle: Mutex::new(Throttle::new(settings.throttle)),
            settings,
            nonces,
            clock: Arc::new(move || start.elapsed()),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: AuthClock) -> CpeAuth {
        self.clock = clock;
        self
    }

    /// The effective mode (for the status API and metrics).
    pub fn mode(&self) -> CpeAuthMode {
        self.settings.mode
    }

    /// The realm of the challenges.
    pub fn realm(&self) -> &str {
        &self.settings.realm
    }

    /// How long `ip` must wait before trying again, when it failed too often.
    pub fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        if self.settings.mode == CpeAuthMode::Open {
            return None;
        }
        lock(&self.throttle).blocked(ip, (self.clock)())
    }

    /// Records the outcome of an attempt from `ip`; returns the wait when this failure
    /// blocks the address.
    pub fn record(&self, ip: IpAddr, outcome: &Result<Principal, AuthFailure>) -> Option<Duration> {
        match outcome {
            Ok(Principal::Anonymous) => None,
            Ok(_) => {
                lock(&self.throttle).success(ip);
                None
            }
            Err(e) if e.counts() => lock(&self.throttle).failure(ip, (self.clock)()),
            Err(_) => None,
        }
    }

    /// The `WWW-Authenticate` values of a 401: one Digest challenge per algorithm offered
    /// (SHA-256 first) with a fresh nonce, then Basic when allowed on this connection.
    /// `None` when no nonce could be made.
    pub fn challenges(&self, stale: bool, secure: bool) -> Option<Vec<String>> {
        let nonce = self.nonces.as_ref()?.issue((self.clock)())?;
        let offered = OFFERED.into_iter().filter(|a| match &self.settings.global {
            Some(g) if self.settings.mode == CpeAuthMode::Global => match a {
                Algorithm::Sha256 => g.ha1_sha256.is_some(),
                _ => g.ha1_md5.is_some(),
            },
            _ => true,
        });
        let mut out: Vec<String> = offered
            .map(|a| {
                Challenge {
                    stale,
                    ..Challenge::new(&self.settings.realm, &nonce, a)
                }
                .to_header()
            })
            .collect();
        if secure || self.settings.basic_over_http {
            out.push(format!("Basic realm={}", quote(&self.settings.realm)));
        }
        Some(out)
    }

    /// Authenticates a request that opens a session.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        req: &AuthRequest<'_>,
    ) -> Result<Principal, AuthFailure> {
        if self.settings.mode == CpeAuthMode::Open {
            return Ok(Principal::Anonymous);
        }
        let header = req.authorization.ok_or(AuthFailure::Missing)?;
        if header.len() > MAX_AUTHORIZATION_BYTES {
            return Err(AuthFailure::Malformed("too long"));
        }
        let (scheme, rest) = split_scheme(header);
        if scheme.eq_ignore_ascii_case("Basic") {
            self.basic(store, req, rest).await
        } else if scheme.eq_ignore_ascii_case("Digest") {
            self.digest(store, req, rest).await
        } else {
            Err(AuthFailure::Scheme)
        }
    }

    async fn basic(
        &self,
        store: &dyn Store,
        req: &AuthRequest<'_>,
        token: &str,
    ) -> Result<Principal, AuthFailure> {
        if !(req.secure || self.settings.basic_over_http) {
            return Err(AuthFailure::BasicNotAllowed);
        }
        let (username, password) = parse_basic(token).map_err(AuthFailure::Malformed)?;
        let (username, password) = (username.as_str(), password.as_str());
        let known = self.lookup(store, username).await?;
        let mut checked = false;
        for alg in OFFERED {
            if let Some(stored) = known.ha1(alg) {
                let given = digest::ha1(alg, username, &known.realm, password);
                if !constant_time_eq(given.as_bytes(), stored.as_bytes()) {
                    return Err(AuthFailure::Credentials);
                }
                checked = true;
            }
        }
        if !checked {
            return Err(AuthFailure::Credentials);
        }
        principal(username, known.device, req.device)
    }

    async fn digest(
        &self,
        store: &dyn Store,
        req: &AuthRequest<'_>,
        rest: &str,
    ) -> Result<Principal, AuthFailure> {
        let r = Response::parse(rest).map_err(|e| match e {
            ResponseError::Malformed(field) => AuthFailure::Malformed(field),
            ResponseError::Algorithm => AuthFailure::Algorithm,
            ResponseError::Qop => AuthFailure::Qop,
        })?;
        if !r.uri_matches(req.uri) {
            return Err(AuthFailure::Uri);
        }
        if r.realm != self.settings.realm {
            return Err(AuthFailure::Realm);
        }
        let known = self.lookup(store, &r.username).await?;
        if known.realm != r.realm {
            return Err(AuthFailure::Realm);
        }
        let ha1 = known.ha1(r.algorithm).ok_or(AuthFailure::Algorithm)?;
        if !r.verify(ha1, req.method) {
            return Err(AuthFailure::Credentials);
        }
        let (username, nonce, nc) = (r.username.as_str(), r.nonce.as_str(), r.nc);
        let who = principal(username, known.device, req.device)?;
        let issuer = self.nonces.as_ref().ok_or(AuthFailure::Stale)?;
        let now = (self.clock)();
        let issued = issuer.check(nonce, now).map_err(|_| AuthFailure::Stale)?;
        match lock(&self.nc).accept(nonce, issued, nc, now, issuer.lifetime()) {
            Ok(()) => Ok(who),
            Err(NcError::Replay) => Err(AuthFailure::Replay),
            Err(NcError::Forgotten) => Err(AuthFailure::Stale),
        }
    }

    /// The credentials of `username`: global first, then the device's own (per-device
    /// mode).
    async fn lookup(&self, store: &dyn Store, username: &str) -> Result<Known, AuthFailure> {
        if let Some(g) = &self.settings.global
            && constant_time_eq(g.username.as_bytes(), username.as_bytes())
        {
            return Ok(Known {
                realm: self.settings.realm.clone(),
                ha1_md5: g.ha1_md5.clone(),
                ha1_sha256: g.ha1_sha256.clone(),
                device: None,
            });
        }
        if self.settings.mode != CpeAuthMode::PerDevice || username.is_empty() {
            return Err(AuthFailure::UnknownUser);
        }
        let creds = store
            .credentials_by_cpe_username(username)
            .await?
            .ok_or(AuthFailure::UnknownUser)?;
        let norm = |alg, v: &Option<String>| v.as_deref().and_then(|h| normalize_ha1(alg, h));
        Ok(Known {
            realm: creds
                .cpe_realm
                .clone()
                .unwrap_or_else(|| self.settings.realm.clone()),
            ha1_md5: norm(Algorithm::Md5, &creds.cpe_ha1_md5),
            ha1_sha256: norm(Algorithm::Sha256, &creds.cpe_ha1_sha256),
            device: Some(creds.device),
        })
    }
}

/// Who the verified `username` is, if its credentials may open a session of `inform_device`.
fn principal(
    username: &str,
    owner: Option<DeviceId>,
    inform_device: Option<&DeviceId>,
) -> Result<Principal, AuthFailure> {
    match owner {
        None => Ok(Principal::Global(username.to_owned())),
        Some(owner) if inform_device == Some(&owner) => Ok(Principal::Device {
            username: username.to_owned(),
            device: owner,
        }),
        Some(owner) => Err(AuthFailure::WrongDevice(owner)),
    }
}
