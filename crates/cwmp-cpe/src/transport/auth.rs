//! The client side of HTTP authentication towards the ACS: Basic and Digest (RFC 7616,
//! MD5 and SHA-256, with or without `-sess`, `qop=auth`, and the RFC 2069 form without
//! `qop`), computed by [`cwmp::http_auth`].

use cwmp::http_auth::basic_authorization;
use cwmp::http_auth::digest::Challenge;
use rand::SeedableRng as _;
use rand::rngs::StdRng;

use crate::conn_request::digest::random_token;

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

/// How requests are authenticated after a challenge.
#[derive(Debug)]
pub(crate) enum AuthState {
    Basic,
    Digest {
        challenge: Challenge,
        nc: u32,
        rng: Box<StdRng>,
    },
}

impl AuthState {
    /// Picks the strongest challenge we support among the `WWW-Authenticate` values:
    /// Digest SHA-256 over Digest MD5 over Basic.
    pub(crate) fn from_challenges<'h>(values: impl Iterator<Item = &'h str>) -> Option<AuthState> {
        let values: Vec<&str> = values.collect();
        if let Some(challenge) = Challenge::best(values.iter().copied()) {
            return Some(AuthState::Digest {
                challenge,
                nc: 0,
                rng: Box::new(StdRng::from_os_rng()),
            });
        }
        values
            .iter()
            .any(|v| {
                cwmp::http_auth::split_scheme(v)
                    .0
                    .eq_ignore_ascii_case("Basic")
            })
            .then_some(AuthState::Basic)
    }

    /// True for a Digest challenge with `stale=true` (retry with the new nonce).
    pub(crate) fn is_stale(&self) -> bool {
        matches!(self, AuthState::Digest { challenge, .. } if challenge.stale)
    }

    /// The `Authorization` header of a `method` request for `uri` (the request-target).
    pub(crate) fn authorization(&mut self, creds: &Credentials, method: &str, uri: &str) -> String {
        match self {
            AuthState::Basic => basic_authorization(&creds.username, &creds.password),
            AuthState::Digest { challenge, nc, rng } => {
                *nc = nc.wrapping_add(1);
                let cnonce = random_token(rng);
                challenge.authorization(&creds.username, &creds.password, method, uri, *nc, &cnonce)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn_request::{Algorithm, DigestAuth, DigestConfig};
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
