//! The client side of HTTP authentication towards the ACS: Basic and Digest (RFC 7616,
//! MD5 and SHA-256, with or without `-sess`, `qop=auth`, and the RFC 2069 form without
//! `qop`), reusing the hash and header helpers of [`crate::conn_request::digest`].

use base64::Engine as _;
use rand::SeedableRng as _;
use rand::rngs::StdRng;

use crate::conn_request::Algorithm;
use crate::conn_request::digest::{parse_params, quote, random_token};

/// The username and password the CPE uses towards the ACS
/// (`ManagementServer.Username` / `Password`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ManagementServer.Username`.
    pub username: String,
    /// `ManagementServer.Password`.
    pub password: String,
}

impl Credentials {
    /// Credentials from a username and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// A Digest challenge accepted by the client.
#[derive(Debug, Clone)]
pub(crate) struct DigestChallenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: Algorithm,
    qop_auth: bool,
    stale: bool,
}

/// How requests are authenticated after a challenge.
#[derive(Debug)]
pub(crate) enum AuthState {
    Basic,
    Digest {
        challenge: DigestChallenge,
        nc: u32,
        rng: Box<StdRng>,
    },
}

impl AuthState {
    /// Picks the strongest challenge we support among the `WWW-Authenticate` values:
    /// Digest SHA-256 over Digest MD5 over Basic.
    pub(crate) fn from_challenges<'h>(values: impl Iterator<Item = &'h str>) -> Option<AuthState> {
        let mut best: Option<(u8, AuthState)> = None;
        for value in values {
            let value = value.trim();
            let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
            let candidate = if scheme.eq_ignore_ascii_case("Basic") {
                Some((1, AuthState::Basic))
            } else if scheme.eq_ignore_ascii_case("Digest") {
                parse_digest(rest).map(|c| {
                    let rank = match c.algorithm {
                        Algorithm::Sha256 | Algorithm::Sha256Sess => 3,
                        Algorithm::Md5 | Algorithm::Md5Sess => 2,
                    };
                    let rng = Box::new(StdRng::from_os_rng());
                    (
                        rank,
                        AuthState::Digest {
                            challenge: c,
                            nc: 0,
                            rng,
                        },
                    )
                })
            } else {
                None
            };
            if let Some((rank, state)) = candidate {
                if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                    best = Some((rank, state));
                }
            }
        }
        best.map(|(_, s)| s)
    }

    /// True for a Digest challenge with `stale=true` (retry with the new nonce).
    pub(crate) fn is_stale(&self) -> bool {
        matches!(self, AuthState::Digest { challenge, .. } if challenge.stale)
    }

    /// The `Authorization` header of a `method` request for `uri` (the request-target).
    pub(crate) fn authorization(&mut self, creds: &Credentials, method: &str, uri: &str) -> String {
        match self {
            AuthState::Basic => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", creds.username, creds.password));
                format!("Basic {token}")
            }
            AuthState::Digest {
                challenge: c,
                nc,
                rng,
            } => {
                *nc = nc.wrapping_add(1);
                let nc_text = format!("{nc:08x}");
                let cnonce = random_token(rng);
                let alg = c.algorithm;
                let mut ha1 = alg.hash(&format!(
                    "{}:{}:{}",
                    creds.username, c.realm, creds.password
                ));
                if alg.is_sess() {
                    ha1 = alg.hash(&format!("{ha1}:{}:{cnonce}", c.nonce));
                }
                let ha2 = alg.hash(&format!("{method}:{uri}"));
                let response = if c.qop_auth {
                    alg.hash(&format!("{ha1}:{}:{nc_text}:{cnonce}:auth:{ha2}", c.nonce))
                } else {
                    alg.hash(&format!("{ha1}:{}:{ha2}", c.nonce))
                };
                let mut h = format!(
                    "Digest username={}, realm={}, nonce={}, uri={}, algorithm={}, response=\"{response}\"",
                    quote(&creds.username),
                    quote(&c.realm),
                    quote(&c.nonce),
                    quote(uri),
                    alg.name(),
                );
                if c.qop_auth {
                    h.push_str(&format!(", qop=auth, nc={nc_text}, cnonce=\"{cnonce}\""));
                }
                if let Some(o) = &c.opaque {
                    h.push_str(&format!(", opaque={}", quote(o)));
                }
                h
            }
        }
    }
}

fn parse_digest(rest: &str) -> Option<DigestChallenge> {
    let params = parse_params(rest)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let algorithm = match get("algorithm") {
        None => Algorithm::Md5,
        Some(t) => Algorithm::parse(t)?,
    };
    let qop = get("qop");
    let qop_auth = match qop {
        None => false,
        Some(q) if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) => true,
        Some(_) => return None, // only auth-int offered
    };
    Some(DigestChallenge {
        realm: get("realm")?.to_owned(),
        nonce: get("nonce")?.to_owned(),
        opaque: get("opaque").map(str::to_owned),
        algorithm,
        qop_auth,
        stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn_request::{DigestAuth, DigestConfig};
    use std::time::Duration;

    /// The client answers the server's challenges so that the server's verifier accepts.
    #[test]
    fn answers_our_own_verifier() {
        for algs in [
            vec![Algorithm::Md5],
            vec![Algorithm::Md5, Algorithm::Sha256],
        ] {
            let config = DigestConfig {
                username: "cpe".into(),
                password: "secret".into(),
                algorithms: algs,
                ..DigestConfig::default()
            };
            let mut server = DigestAuth::new(config, StdRng::seed_from_u64(1));
            let challenges = server.challenge(Duration::ZERO, false);
            let mut state = AuthState::from_challenges(challenges.iter().map(String::as_str))
                .expect("a digest challenge");
            let creds = Credentials::new("cpe", "secret");
            for _ in 0..3 {
                let h = state.authorization(&creds, "POST", "/acs");
                assert_eq!(
                    server.verify(Duration::ZERO, "POST", "/acs", Some(&h)),
                    Ok(())
                );
            }
            let wrong = Credentials::new("cpe", "nope").clone();
            let h = state.authorization(&wrong, "POST", "/acs");
            assert!(
                server
                    .verify(Duration::ZERO, "POST", "/acs", Some(&h))
                    .is_err()
            );
        }
    }

    #[test]
    fn prefers_sha256_and_digest_over_basic() {
        let values = [
            "Basic realm=\"x\"",
            "Digest realm=\"x\", nonce=\"n\", qop=\"auth\", algorithm=MD5",
            "Digest realm=\"x\", nonce=\"n\", qop=\"auth,auth-int\", algorithm=SHA-256, stale=TRUE",
        ];
        let s = AuthState::from_challenges(values.into_iter()).expect("one");
        assert!(s.is_stale());
        assert!(
            matches!(&s, AuthState::Digest { challenge, .. } if challenge.algorithm == Algorithm::Sha256)
        );
        let b = AuthState::from_challenges(["Basic realm=\"x\"", "Bearer"].into_iter());
        assert!(matches!(b, Some(AuthState::Basic)));
        assert!(
            AuthState::from_challenges(
                ["Digest realm=\"x\", nonce=\"n\", qop=auth-int"].into_iter()
            )
            .is_none()
        );
    }
}
