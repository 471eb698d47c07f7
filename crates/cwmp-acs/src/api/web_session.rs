//! Console login sessions: a random cookie (`cwmp_session`, HttpOnly, SameSite=Strict,
//! Secure behind HTTPS) naming a session kept in this node's memory, with a CSRF token
//! that the console sends back in `X-CSRF-Token` on every state-changing request.
//!
//! Only the SHA-256 of the cookie is kept. Sessions end after [`IDLE`] without use, on
//! logout, or when their user is deleted; at most [`MAX_SESSIONS`] live at once (the
//! least recently used goes first). A restart or another cluster node asks to log in
//! again: the API tokens are the way for automation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use cwmp::http_auth::hex;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "cwmp_session";

/// Header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A session unused this long ends.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);

/// Most sessions kept at once.
pub const MAX_SESSIONS: usize = 10_000;

/// What a live session knows.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The user logged in.
    pub user: String,
    /// The CSRF token of the session.
    pub csrf: String,
    last_used: Instant,
}

/// The sessions of this node. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct WebSessions {
    inner: Arc<Mutex<HashMap<[u8; 32], WebSession>>>,
}

fn random_hex() -> Option<String> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut raw).ok()?;
    Some(hex(&raw))
}

fn key(cookie: &str) -> [u8; 32] {
    Sha256::digest(cookie.as_bytes()).into()
}

/// The value of the session cookie in the request's `Cookie` headers.
pub fn cookie_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then_some(value.trim())
        })
}

/// Whether the request reached us through HTTPS (a reverse proxy's `X-Forwarded-Proto` or
/// `Forwarded: proto=https`): the cookie is then marked `Secure`.
pub fn behind_https(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get("forwarded")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// The `Set-Cookie` value that opens a session (`cookie`), or that ends it (`None`).
pub fn set_cookie(cookie: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match cookie {
        Some(c) => format!(
            "{COOKIE_NAME}={c}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            IDLE.as_secs()
        ),
        None => format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Compares two strings in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl WebSessions {
    /// Opens a session for `user`: `(cookie, csrf token)`; `None` when the system has no
    /// randomness to give.
    pub fn open(&self, user: &str) -> Option<(String, String)> {
        let cookie = random_hex()?;
        let csrf = random_hex()?;
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_used) < IDLE);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_used).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(
            key(&cookie),
            WebSession {
                user: user.to_owned(),
                csrf: csrf.clone(),
                last_used: now,
            },
        );
        Some((cookie, csrf))
    }

    /// The live session of `cookie`, marked as used.
    pub fn get(&self, cookie: &str) -> Option<WebSession> {
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let k = key(cookie);
        let now = Instant::now();
        match map.get_mut(&k) {
            Some(s) if now.duration_since(s.last_used) < IDLE => {
                s.last_used = now;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Ends the session of `cookie`.
    pub fn close(&self, cookie: &str) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key(cookie));
    }

    /// Ends every session of `user` (deleted, or its password changed).
    pub fn close_user(&self, user: &str) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, s| s.user != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_get_close() {
        let sessions = WebSessions::default();
        let (cookie, csrf) = sessions.open("ann").expect("open");
        let s = sessions.get(&cookie).expect("live");
        assert_eq!((s.user.as_str(), s.csrf.as_str()), ("ann", csrf.as_str()));
        assert!(sessions.get("other").is_none());
        sessions.close_user("ann");
        assert!(sessions.get(&cookie).is_none());
    }

    #[test]
    fn cookie_header_and_attributes() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            "a=1; cwmp_session=abc ; b=2".parse().expect("value"),
        );
        assert_eq!(cookie_of(&h), Some("abc"));
        let c = set_cookie(Some("abc"), true);
        for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(!set_cookie(Some("abc"), false).contains("Secure"));
        h.insert("x-forwarded-proto", "https".parse().expect("value"));
        assert!(behind_https(&h));
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }
}
