//! The signed UDP Connection Request message of TR-111 Part 2 (§2.2.2, also TR-069 Annex G):
//! an HTTP-like datagram
//! `GET http://host:port?ts=…&id=…&un=…&cn=…&sig=… HTTP/1.1`, where `sig` is the hex
//! HMAC-SHA1, keyed with ConnectionRequestPassword, of the concatenation ts‖id‖un‖cn.
//!
//! Only the message format lives here (build, parse, sign, verify; no I/O), so that the ACS
//! that sends it and the CPE that checks it share one definition. Replay and timestamp checks
//! belong to the receiver.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::http_auth::hex;

/// Largest datagram built or parsed.
pub const MAX_DATAGRAM: usize = 1024;

/// The fields of a UDP Connection Request (query values percent-decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpRequest {
    /// Timestamp, Unix seconds.
    pub ts: u64,
    /// Message id (the same in every repeat of one request).
    pub id: String,
    /// Username (must be ConnectionRequestUsername).
    pub un: String,
    /// Random cnonce.
    pub cn: String,
    /// The signature as sent (hex).
    pub sig: String,
}

/// Why a datagram is not a well-formed UDP Connection Request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UdpRequestError {
    /// Too big, not text, or not `GET <uri> HTTP/1.1`.
    #[error("not a UDP connection request: {0}")]
    Malformed(&'static str),
    /// A required query field is missing, repeated or badly encoded.
    #[error("missing or repeated field {0}")]
    Field(&'static str),
}

impl UdpRequest {
    /// A request signed with `password` (the CPE's ConnectionRequestPassword).
    pub fn signed(ts: u64, id: &str, un: &str, cn: &str, password: &str) -> Self {
        let mut req = UdpRequest {
            ts,
            id: id.to_owned(),
            un: un.to_owned(),
            cn: cn.to_owned(),
            sig: String::new(),
        };
        req.sig = hex(&req.mac(password).finalize().into_bytes());
        req
    }

    /// The datagram for the CPE at `authority` (`host:port`, its UDPConnectionRequestAddress);
    /// query values are percent-encoded. Fails if it would exceed [`MAX_DATAGRAM`].
    pub fn to_datagram(&self, authority: &str) -> Result<Vec<u8>, UdpRequestError> {
        let text = format!(
            "GET http://{authority}?ts={}&id={}&un={}&cn={}&sig={} HTTP/1.1\r\nHost: {authority}\r\n\r\n",
            self.ts,
            percent_encode(&self.id),
            percent_encode(&self.un),
            percent_encode(&self.cn),
            percent_encode(&self.sig),
        );
        if text.len() > MAX_DATAGRAM || authority.contains(char::is_whitespace) {
            return Err(UdpRequestError::Malformed("too large or bad authority"));
        }
        Ok(text.into_bytes())
    }

    /// Parses a datagram (no signature check).
    pub fn parse(datagram: &[u8]) -> Result<Self, UdpRequestError> {
        if datagram.len() > MAX_DATAGRAM {
            return Err(UdpRequestError::Malformed("too large"));
        }
        let text =
            std::str::from_utf8(datagram).map_err(|_| UdpRequestError::Malformed("not UTF-8"))?;
        let line = text.lines().next().unwrap_or("");
        let mut parts = line.split(' ');
        let (Some(method), Some(uri), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(UdpRequestError::Malformed("request line"));
        };
        if method != "GET" || !version.starts_with("HTTP/1.") {
            return Err(UdpRequestError::Malformed("request line"));
        }
        let query = uri
            .split_once('?')
            .ok_or(UdpRequestError::Malformed("no query"))?
            .1;
        let mut fields: [Option<String>; 5] = Default::default();
        const NAMES: [&str; 5] = ["ts", "id", "un", "cn", "sig"];
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if let Some(i) = NAMES.iter().position(|n| *n == name) {
                if fields[i].is_some() {
                    return Err(UdpRequestError::Field(NAMES[i]));
                }
                fields[i] = Some(percent_decode(value).ok_or(UdpRequestError::Field(NAMES[i]))?);
            }
        }
        let [ts, id, un, cn, sig] = fields;
        let ts = ts.ok_or(UdpRequestError::Field("ts"))?;
        Ok(UdpRequest {
            ts: ts.parse().map_err(|_| UdpRequestError::Field("ts"))?,
            id: id.ok_or(UdpRequestError::Field("id"))?,
            un: un.ok_or(UdpRequestError::Field("un"))?,
            cn: cn.ok_or(UdpRequestError::Field("cn"))?,
            sig: sig.ok_or(UdpRequestError::Field("sig"))?,
        })
    }

    /// The text that is signed: ts‖id‖un‖cn (decimal `ts`, decoded values).
    pub fn signed_text(&self) -> String {
        format!("{}{}{}{}", self.ts, self.id, self.un, self.cn)
    }

    fn mac(&self, password: &str) -> Hmac<Sha1> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(password.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(self.signed_text().as_bytes());
        mac
    }

    /// True if `sig` is the HMAC-SHA1 of [`signed_text`](Self::signed_text) under `password`
    /// (hex compared case-insensitively, in constant time).
    pub fn signature_valid(&self, password: &str) -> bool {
        let Some(sig) = hex_decode(&self.sig) else {
            return false;
        };
        self.mac(password).verify_slice(&sig).is_ok()
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2)
        .map(|p| Some(hex_val(p[0])? << 4 | hex_val(p[1])?))
        .collect()
}

/// `%XX` for everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XX` decoding (`+` is kept: TR-111 values are not form-encoded); `None` if invalid.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = hex_val(*b.get(i + 1)?)?;
            let lo = hex_val(*b.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_datagrams_parse_back_and_verify() {
        let req = UdpRequest::signed(1_120_673_700, "1234", "cpe user&x", "n+1%", "pw");
        let d = req.to_datagram("10.1.1.1:8080").unwrap();
        let text = String::from_utf8(d.clone()).unwrap();
        assert!(text.starts_with(
            "GET http://10.1.1.1:8080?ts=1120673700&id=1234&un=cpe%20user%26x&cn=n%2B1%25&sig="
        ));
        let back = UdpRequest::parse(&d).unwrap();
        assert_eq!(back, req);
        assert!(back.signature_valid("pw"));
        assert!(!back.signature_valid("other"));
    }

    #[test]
    fn known_signature() {
        // Computed independently (Python hmac) over "1120673700" "1234" "CPE57689" "XTGRWIPC6D3IPXS3".
        let r = UdpRequest::signed(1_120_673_700, "1234", "CPE57689", "XTGRWIPC6D3IPXS3", "pw");
        assert_eq!(r.sig, "715d51cae3d872cea6c45c1d8b9d25af830d7360");
        let upper = UdpRequest {
            sig: r.sig.to_uppercase(),
            ..r.clone()
        };
        assert!(upper.signature_valid("pw"));
        let short = UdpRequest {
            sig: r.sig[..38].to_owned(),
            ..r
        };
        assert!(!short.signature_valid("pw"));
    }

    #[test]
    fn oversized_messages_are_refused() {
        let req = UdpRequest::signed(1, "1", &"é".repeat(200), "c", "pw");
        assert!(req.to_datagram("h:1").is_err());
        assert!(
            UdpRequest::signed(1, "1", "u", "c", "pw")
                .to_datagram("h 1")
                .is_err()
        );
    }

    #[test]
    fn hostile_bytes_never_panic() {
        const ALPHABET: &[u8] = b"GET http://?ts=&id=un%cnsig HTTP/1.1\r\n\xff0aF";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..2000usize {
            let bytes: Vec<u8> = (0..len % 300)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ALPHABET[(state % ALPHABET.len() as u64) as usize]
                })
                .collect();
            if let Ok(r) = UdpRequest::parse(&bytes) {
                let _ = r.signature_valid("pw");
            }
        }
    }
}
