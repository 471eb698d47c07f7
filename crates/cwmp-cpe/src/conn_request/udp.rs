//! Validation of the signed UDP Connection Request of TR-111 Part 2 (§2.2.2, TR-069 Annex G):
//! the message format is [`cwmp::udp_conn_request`] (shared with the ACS that builds it); this
//! adds the receiver's checks: username, signature, timestamp window and replay of `id`.
//!
//! The ACS repeats the same datagram (same `id`) for reliability; the CPE must act on it
//! once, so a seen `id` is reported as [`UdpError::Duplicate`] (drop it silently).

use std::collections::VecDeque;

pub use cwmp::udp_conn_request::{MAX_DATAGRAM, UdpRequest, UdpRequestError};

/// Message ids remembered for replay detection.
const SEEN_IDS: usize = 64;

/// Why a datagram is not a valid UDP Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UdpError {
    /// Too big, not text, or not `GET <uri> HTTP/1.1`.
    #[error("not a UDP connection request: {0}")]
    Malformed(&'static str),
    /// A required query field is missing or repeated.
    #[error("missing or repeated field {0}")]
    Field(&'static str),
    /// `un` is not ConnectionRequestUsername.
    #[error("unknown username")]
    Username,
    /// `sig` does not verify.
    #[error("bad signature")]
    Signature,
    /// `ts` is outside the accepted window around the CPE's clock.
    #[error("timestamp outside the accepted window")]
    Stale,
    /// This `id` was already accepted (a retransmission or a replay).
    #[error("duplicate message id")]
    Duplicate,
}

impl From<UdpRequestError> for UdpError {
    fn from(e: UdpRequestError) -> Self {
        match e {
            UdpRequestError::Malformed(m) => UdpError::Malformed(m),
            UdpRequestError::Field(f) => UdpError::Field(f),
        }
    }
}

/// Validates UDP Connection Requests against the configured credentials.
#[derive(Debug, Clone)]
pub struct UdpValidator {
    /// ConnectionRequestUsername.
    pub username: String,
    /// ConnectionRequestPassword (the HMAC key).
    pub password: String,
    /// Largest accepted |ts − now| in seconds.
    pub window: u64,
    seen: VecDeque<String>,
}

impl UdpValidator {
    /// A validator accepting timestamps within `window` seconds of the CPE's clock.
    pub fn new(username: &str, password: &str, window: u64) -> Self {
        UdpValidator {
            username: username.to_owned(),
            password: password.to_owned(),
            window,
            seen: VecDeque::new(),
        }
    }

    /// Validates `datagram` at Unix second `now`; `None` when the CPE's clock is not set
    /// (TR-111: `ts` can be checked only against an absolute time), skipping the window.
    /// An accepted request's `id` is remembered so a repeat is [`UdpError::Duplicate`].
    pub fn validate(&mut self, datagram: &[u8], now: Option<i64>) -> Result<UdpRequest, UdpError> {
        let req = UdpRequest::parse(datagram)?;
        if self.username.is_empty() || req.un != self.username {
            return Err(UdpError::Username);
        }
        if !req.signature_valid(&self.password) {
            return Err(UdpError::Signature);
        }
        if let Some(now) = now {
            let ts = i64::try_from(req.ts).unwrap_or(i64::MAX);
            if ts.abs_diff(now) > self.window {
                return Err(UdpError::Stale);
            }
        }
        if self.seen.contains(&req.id) {
            return Err(UdpError::Duplicate);
        }
        if self.seen.len() >= SEEN_IDS {
            self.seen.pop_front();
        }
        self.seen.push_back(req.id.clone());
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_120_673_700;

    fn sign(password: &str, ts: u64, id: &str, un: &str, cn: &str) -> String {
        UdpRequest::signed(ts, id, un, cn, password).sig
    }

    fn datagram(ts: u64, id: &str, un: &str, cn: &str, sig: &str) -> Vec<u8> {
        format!(
            "GET http://10.1.1.1:8080?ts={ts}&id={id}&un={un}&cn={cn}&sig={sig} HTTP/1.1\r\n\
             Host: 10.1.1.1:8080\r\n\r\n"
        )
        .into_bytes()
    }

    fn good(ts: u64, id: &str) -> Vec<u8> {
        let sig = sign("pw", ts, id, "CPE57689", "XTGRWIPC6D3IPXS3").to_uppercase();
        datagram(ts, id, "CPE57689", "XTGRWIPC6D3IPXS3", &sig)
    }

    #[test]
    fn valid_request_is_accepted_once() {
        let mut v = UdpValidator::new("CPE57689", "pw", 30);
        let req = v.validate(&good(NOW as u64, "1234"), Some(NOW)).unwrap();
        assert_eq!(
            (req.ts, req.id.as_str(), req.un.as_str()),
            (NOW as u64, "1234", "CPE57689")
        );
        assert_eq!(
            v.validate(&good(NOW as u64, "1234"), Some(NOW + 1)),
            Err(UdpError::Duplicate)
        );
        assert!(
            v.validate(&good(NOW as u64 + 2, "1235"), Some(NOW + 2))
                .is_ok()
        );
    }

    #[test]
    fn bad_signature_username_and_password() {
        let mut v = UdpValidator::new("CPE57689", "pw", 30);
        let ts = NOW as u64;
        let forged = datagram(ts, "1", "CPE57689", "XTGRWIPC6D3IPXS3", &"0".repeat(40));
        assert_eq!(v.validate(&forged, Some(NOW)), Err(UdpError::Signature));
        let other_key = sign("other", ts, "1", "CPE57689", "c");
        let d = datagram(ts, "1", "CPE57689", "c", &other_key);
        assert_eq!(v.validate(&d, Some(NOW)), Err(UdpError::Signature));
        // Changing a signed field breaks the signature.
        let sig = sign("pw", ts, "1", "CPE57689", "c");
        let d = datagram(ts, "2", "CPE57689", "c", &sig);
        assert_eq!(v.validate(&d, Some(NOW)), Err(UdpError::Signature));
        let d = datagram(
            ts,
            "1",
            "someone",
            "c",
            &sign("pw", ts, "1", "someone", "c"),
        );
        assert_eq!(v.validate(&d, Some(NOW)), Err(UdpError::Username));
        let d = datagram(ts, "1", "CPE57689", "c", "zz");
        assert_eq!(v.validate(&d, Some(NOW)), Err(UdpError::Signature));
    }

    #[test]
    fn stale_timestamps_are_rejected_unless_the_clock_is_unknown() {
        let mut v = UdpValidator::new("CPE57689", "pw", 30);
        let old = good(NOW as u64 - 31, "a");
        assert_eq!(v.validate(&old, Some(NOW)), Err(UdpError::Stale));
        let future = good(NOW as u64 + 31, "b");
        assert_eq!(v.validate(&future, Some(NOW)), Err(UdpError::Stale));
        assert!(v.validate(&good(NOW as u64 - 30, "c"), Some(NOW)).is_ok());
        // A rejected stale request did not burn its id.
        assert!(v.validate(&old, None).is_ok());
    }

    #[test]
    fn malformed_datagrams() {
        let mut v = UdpValidator::new("CPE57689", "pw", 30);
        let cases: [(&[u8], UdpError); 7] = [
            (
                b"POST http://h?ts=1 HTTP/1.1",
                UdpError::Malformed("request line"),
            ),
            (b"GET http://h HTTP/1.1", UdpError::Malformed("no query")),
            (
                b"GET http://h?ts=1&id=1&un=u&cn=c HTTP/1.1",
                UdpError::Field("sig"),
            ),
            (
                b"GET http://h?ts=x&id=1&un=u&cn=c&sig=0 HTTP/1.1",
                UdpError::Field("ts"),
            ),
            (b"GET http://h?ts=1&ts=2 HTTP/1.1", UdpError::Field("ts")),
            (b"GET http://h?un=%zz HTTP/1.1", UdpError::Field("un")),
            (b"\xff\xfe", UdpError::Malformed("not UTF-8")),
        ];
        for (d, e) in cases {
            assert_eq!(
                v.validate(d, Some(NOW)),
                Err(e),
                "{:?}",
                String::from_utf8_lossy(d)
            );
        }
        assert_eq!(
            v.validate(&vec![b'a'; MAX_DATAGRAM + 1], Some(NOW)),
            Err(UdpError::Malformed("too large"))
        );
    }

    #[test]
    fn percent_encoded_values_are_signed_decoded() {
        let mut v = UdpValidator::new("cpe user", "pw", 30);
        let ts = NOW as u64;
        let sig = sign("pw", ts, "7", "cpe user", "n+1");
        let d = datagram(ts, "7", "cpe%20user", "n+1", &sig);
        let req = v.validate(&d, Some(NOW)).unwrap();
        assert_eq!((req.un.as_str(), req.cn.as_str()), ("cpe user", "n+1"));
    }

    #[test]
    fn replay_memory_is_bounded() {
        let mut v = UdpValidator::new("CPE57689", "pw", 30);
        for i in 0..(SEEN_IDS + 10) {
            assert!(
                v.validate(&good(NOW as u64, &i.to_string()), Some(NOW))
                    .is_ok()
            );
        }
        assert_eq!(v.seen.len(), SEEN_IDS);
        assert_eq!(
            v.validate(&good(NOW as u64, &(SEEN_IDS + 9).to_string()), Some(NOW)),
            Err(UdpError::Duplicate)
        );
    }
}
