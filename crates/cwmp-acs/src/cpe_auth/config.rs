//! The `[cpe_auth]` section of the server configuration: how CPEs authenticate towards the
//! ACS. Passwords are hashed into HA1 values at start and never shown or logged.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::digest::{Algorithm, ha1, normalize_ha1};
use super::throttle::ThrottleConfig;

/// How CPEs authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpeAuthMode {
    /// No authentication: any client may open sessions (the default with nothing
    /// configured, announced by a warning).
    Open,
    /// One username and password for every device.
    Global,
    /// Credentials of each device from the store (imported through the API or set by
    /// provisioning); global credentials, when also configured, are accepted for any device.
    PerDevice,
}

impl CpeAuthMode {
    /// The name shown in the API and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CpeAuthMode::Open => "open",
            CpeAuthMode::Global => "global",
            CpeAuthMode::PerDevice => "per-device",
        }
    }
}

/// A configured secret: kept as given for the configuration's own round trip, shown as
/// `<redacted>` in `Debug` and by [`CpeAuthConfig::redacted`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `text`.
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "<redacted>"
        })
    }
}

/// The `[cpe_auth]` configuration section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CpeAuthConfig {
    /// `open`, `global` or `per-device`; unset: `global` when global credentials are given,
    /// else `open`.
    pub mode: Option<CpeAuthMode>,
    /// Digest realm of the challenges (and of the HA1 values).
    pub realm: String,
    /// Global username (empty: no global credentials).
    pub username: String,
    /// Global password, hashed at start (give this or the HA1 values).
    pub password: Secret,
    /// Global HA1 for MD5, `MD5(username:realm:password)` in hex.
    pub ha1_md5: Secret,
    /// Global HA1 for SHA-256, `SHA-256(username:realm:password)` in hex.
    pub ha1_sha256: Secret,
    /// Accept HTTP Basic over plain HTTP too (it is always accepted over TLS).
    pub basic_over_http: bool,
    /// How long a Digest nonce stays fresh (seconds).
    pub nonce_lifetime_secs: u64,
    /// Most nonces whose `nc` is remembered.
    pub max_tracked_nonces: usize,
    /// Failed attempts from one address within the window that block it (0: never).
    pub max_failures: u32,
    /// Window of the failure count (seconds).
    pub failure_window_secs: u64,
    /// How long a blocked address is refused (seconds).
    pub block_secs: u64,
    /// Most addresses whose failures are tracked.
    pub max_tracked_addresses: usize,
}

impl Default for CpeAuthConfig {
    fn default() -> CpeAuthConfig {
        CpeAuthConfig {
            mode: None,
            realm: "cwmp".into(),
            username: String::new(),
            password: Secret::default(),
            ha1_md5: Secret::default(),
            ha1_sha256: Secret::default(),
            basic_over_http: false,
            nonce_lifetime_secs: 300,
            max_tracked_nonces: 100_000,
            max_failures: 10,
            failure_window_secs: 60,
            block_secs: 300,
            max_tracked_addresses: 100_000,
        }
    }
}

/// Global credentials as the verifier keeps them: HA1 per algorithm.
#[derive(Clone, PartialEq, Eq)]
pub struct GlobalCredentials {
    /// The username.
    pub username: String,
    /// HA1 for MD5, lower-case hex.
    pub ha1_md5: Option<String>,
    /// HA1 for SHA-256, lower-case hex.
    pub ha1_sha256: Option<String>,
}

impl std::fmt::Debug for GlobalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalCredentials")
            .field("username", &self.username)
            .field("md5", &self.ha1_md5.is_some())
            .field("sha256", &self.ha1_sha256.is_some())
            .finish()
    }
}

/// The checked settings the verifier runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpeAuthSettings {
    /// Effective mode.
    pub mode: CpeAuthMode,
    /// Realm of the challenges.
    pub realm: String,
    /// Global credentials, if any.
    pub global: Option<GlobalCredentials>,
    /// Basic accepted over plain HTTP.
    pub basic_over_http: bool,
    /// Nonce lifetime.
    pub nonce_lifetime: Duration,
    /// Most nonces tracked for replay.
    pub max_tracked_nonces: usize,
    /// Failure throttling.
    pub throttle: ThrottleConfig,
}

impl CpeAuthConfig {
    /// A copy fit for display: secrets replaced by `<redacted>`.
    pub fn redacted(&self) -> CpeAuthConfig {
        let hide = |s: &Secret| {
            if s.is_empty() {
                Secret::default()
            } else {
                Secret::new("<redacted>")
            }
        };
        CpeAuthConfig {
            password: hide(&self.password),
            ha1_md5: hide(&self.ha1_md5),
            ha1_sha256: hide(&self.ha1_sha256),
            ..self.clone()
        }
    }

    /// Checks the section and hashes the password; the error says what is wrong.
    pub fn resolve(&self) -> Result<CpeAuthSettings, String> {
        if self.realm.is_empty() || self.realm.contains(['"', '\\']) {
            return Err("cpe_auth.realm must be non-empty, without quotes or backslashes".into());
        }
        let has_ha1 = !self.ha1_md5.is_empty() || !self.ha1_sha256.is_empty();
        let has_secret = !self.password.is_empty() || has_ha1;
        let global = match (self.username.is_empty(), has_secret) {
            (true, false) => None,
            (true, true) => return Err("cpe_auth: a password or HA1 without a username".into()),
            (false, false) => return Err("cpe_auth: a username without a password or HA1".into()),
            (false, true) if !self.password.is_empty() && has_ha1 => {
                return Err("cpe_auth: give either the password or HA1 values, not both".into());
            }
            (false, true) if !self.password.is_empty() => {
                let (u, r, p) = (&self.username, &self.realm, self.password.expose());
                Some(GlobalCredentials {
                    username: u.clone(),
                    ha1_md5: Some(ha1(Algorithm::Md5, u, r, p)),
                    ha1_sha256: Some(ha1(Algorithm::Sha256, u, r, p)),
                })
            }
            (false, true) => {
                let parse = |alg: Algorithm, s: &Secret| -> Result<Option<String>, String> {
                    if s.is_empty() {
                        return Ok(None);
                    }
                    normalize_ha1(alg, s.expose()).map(Some).ok_or_else(|| {
                        format!(
                            "cpe_auth: the {} HA1 must be {} hex digits",
                            alg.name(),
                            alg.hex_len()
                        )
                    })
                };
                Some(GlobalCredentials {
                    username: self.username.clone(),
                    ha1_md5: parse(Algorithm::Md5, &self.ha1_md5)?,
                    ha1_sha256: parse(Algorithm::Sha256, &self.ha1_sha256)?,
                })
            }
        };
        let mode = match (self.mode, &global) {
            (None, Some(_)) => CpeAuthMode::Global,
            (None, None) => CpeAuthMode::Open,
            (Some(CpeAuthMode::Global), None) => {
                return Err("cpe_auth.mode = \"global\" needs a username and password".into());
            }
            (Some(CpeAuthMode::Open), Some(_)) => {
                return Err(
                    "cpe_auth.mode = \"open\" but credentials are configured: remove them or \
                     choose another mode"
                        .into(),
                );
            }
            (Some(m), _) => m,
        };
        Ok(CpeAuthSettings {
            mode,
            realm: self.realm.clone(),
            global,
            basic_over_http: self.basic_over_http,
            nonce_lifetime: Duration::from_secs(self.nonce_lifetime_secs.max(1)),
            max_tracked_nonces: self.max_tracked_nonces,
            throttle: ThrottleConfig {
                max_failures: self.max_failures,
                window: Duration::from_secs(self.failure_window_secs),
                block: Duration::from_secs(self.block_secs.max(1)),
                max_entries: self.max_tracked_addresses,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_is_open() {
        let s = CpeAuthConfig::default().resolve().expect("valid");
        assert_eq!(s.mode, CpeAuthMode::Open);
        assert_eq!(s.global, None);
    }

    #[test]
    fn password_is_hashed_and_implies_global() {
        let c = CpeAuthConfig {
            username: "Mufasa".into(),
            password: Secret::new("Circle of Life"),
            realm: "http-auth@example.org".into(),
            ..CpeAuthConfig::default()
        };
        let s = c.resolve().expect("valid");
        assert_eq!(s.mode, CpeAuthMode::Global);
        let g = s.global.expect("global");
        assert_eq!(
            g.ha1_md5.as_deref(),
            Some(
                ha1(
                    Algorithm::Md5,
                    "Mufasa",
                    "http-auth@example.org",
                    "Circle of Life"
                )
                .as_str()
            )
        );
        assert!(!format!("{c:?}").contains("Circle"));
        assert!(!format!("{:?}", c.redacted()).contains("Circle"));
        assert_eq!(c.redacted().password.expose(), "<redacted>");
    }

    #[test]
    fn inconsistent_sections_are_refused() {
        let base = CpeAuthConfig::default();
        let bad = [
            CpeAuthConfig {
                username: "u".into(),
                ..base.clone()
            },
            CpeAuthConfig {
                password: Secret::new("p"),
                ..base.clone()
            },
            CpeAuthConfig {
                username: "u".into(),
                password: Secret::new("p"),
                ha1_md5: Secret::new("0".repeat(32)),
                ..base.clone()
            },
            CpeAuthConfig {
                username: "u".into(),
                ha1_md5: Secret::new("xyz"),
                ..base.clone()
            },
            CpeAuthConfig {
                mode: Some(CpeAuthMode::Global),
                ..base.clone()
            },
            CpeAuthConfig {
                mode: Some(CpeAuthMode::Open),
                username: "u".into(),
                password: Secret::new("p"),
                ..base.clone()
            },
        ];
        for c in bad {
            assert!(c.resolve().is_err(), "{c:?}");
        }
        let per_device = CpeAuthConfig {
            mode: Some(CpeAuthMode::PerDevice),
            ..base
        };
        assert_eq!(
            per_device.resolve().expect("valid").mode,
            CpeAuthMode::PerDevice
        );
    }
}
