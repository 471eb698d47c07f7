//! The STUN messages TR-111 Part 2 uses (RFC 3489 "classic" STUN: no magic cookie, a 128-bit
//! transaction id): Binding Request with TR-111's CONNECTION-REQUEST-BINDING and
//! BINDING-CHANGE attributes (TR-111 §2.2.1), USERNAME and MESSAGE-INTEGRITY (RFC 3489 §11.2.8),
//! and the Binding Response / Binding Error Response the server answers with.
//!
//! Parsing is bounded by [`MAX_MESSAGE`] and never panics on hostile bytes; unknown attributes
//! are skipped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Largest STUN message built or parsed (RFC 3489 messages fit well under it).
pub const MAX_MESSAGE: usize = 548;
/// The value of CONNECTION-REQUEST-BINDING (TR-111 §2.2.1: 20 bytes, trailing space included).
pub const CONNECTION_REQUEST_BINDING: &[u8; 20] = b"dslforum.org/TR-111 ";

const HEADER: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_RESPONSE: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;

const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
const ATTR_USERNAME: u16 = 0x0006;
const ATTR_MESSAGE_INTEGRITY: u16 = 0x0008;
const ATTR_ERROR_CODE: u16 = 0x0009;
/// XOR-MAPPED-ADDRESS (RFC 5389), and its pre-standard number still sent by some servers.
const ATTR_XOR_MAPPED: [u16; 2] = [0x0020, 0x8020];
const ATTR_CONNECTION_REQUEST_BINDING: u16 = 0xC001;
const ATTR_BINDING_CHANGE: u16 = 0xC002;
/// RFC 5389's magic cookie, the XOR key of XOR-MAPPED-ADDRESS.
const MAGIC_COOKIE: u32 = 0x2112_A442;

/// A STUN transaction id (RFC 3489 §11.1: 128 bits).
pub type TransactionId = [u8; 16];

/// Credentials for MESSAGE-INTEGRITY (STUNUsername / STUNPassword).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunCredentials {
    /// USERNAME.
    pub username: String,
    /// The HMAC-SHA1 key.
    pub password: String,
}

/// A Binding Request as the CPE sends it from its UDP Connection Request port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRequest {
    /// Its transaction id.
    pub id: TransactionId,
    /// Adds BINDING-CHANGE: the mapped address changed since the last response (TR-111 §2.2.1).
    pub binding_change: bool,
    /// Adds USERNAME and MESSAGE-INTEGRITY.
    pub credentials: Option<StunCredentials>,
}

/// Why a STUN message could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunError {
    /// Not a STUN message: too short or long, bad length, truncated attribute.
    #[error("not a STUN message: {0}")]
    Malformed(&'static str),
    /// A STUN message of a type the CPE does not handle.
    #[error("unexpected STUN message type {0:#06x}")]
    Type(u16),
    /// A Binding Response without a usable (XOR-)MAPPED-ADDRESS.
    #[error("binding response without a mapped address")]
    NoAddress,
    /// The username does not fit in one message.
    #[error("STUN username too long")]
    TooLong,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingAnswer {
    /// Binding Response: the public address the server saw.
    Mapped(SocketAddr),
    /// Binding Error Response with its code (401: integrity required, RFC 3489 §11.2.9).
    Error(u16),
}

/// A parsed response (or request, for test servers): type, transaction id, attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Message type.
    pub kind: u16,
    /// Transaction id.
    pub id: TransactionId,
    bytes: &'a [u8],
}

impl BindingRequest {
    /// The request's bytes; [`StunError::TooLong`] if USERNAME does not fit.
    pub fn encode(&self) -> Result<Vec<u8>, StunError> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.id);
        put_attr(
            &mut out,
            ATTR_CONNECTION_REQUEST_BINDING,
            CONNECTION_REQUEST_BINDING,
        );
        if self.binding_change {
            put_attr(&mut out, ATTR_BINDING_CHANGE, &[]);
        }
        if let Some(c) = &self.credentials {
            put_attr(&mut out, ATTR_USERNAME, c.username.as_bytes());
            // RFC 3489 §11.2.8: the length in the header already counts MESSAGE-INTEGRITY.
            set_length(&mut out, 24);
            let mac = integrity(&out, &c.password);
            put_attr(&mut out, ATTR_MESSAGE_INTEGRITY, &mac);
        }
        set_length(&mut out, 0);
        if out.len() > MAX_MESSAGE {
            return Err(StunError::TooLong);
        }
        Ok(out)
    }
}

/// Writes the header's length field: the attributes so far plus `extra` bytes to come.
fn set_length(out: &mut [u8], extra: usize) {
    let len = u16::try_from(out.len() - HEADER + extra).unwrap_or(u16::MAX);
    out[2..4].copy_from_slice(&len.to_be_bytes());
}

/// Appends a TLV attribute padded to a multiple of 4 bytes.
fn put_attr(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&value[..usize::from(len)]);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// RFC 3489 §11.2.8: HMAC-SHA1 keyed with the password over the message so far, padded with
/// zeroes to a multiple of 64 bytes.
fn integrity(message: &[u8], password: &str) -> [u8; 20] {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(password.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    let pad = message.len().next_multiple_of(64) - message.len();
    mac.update(&[0u8; 64][..pad]);
    mac.finalize().into_bytes().into()
}

impl<'a> Message<'a> {
    /// Parses the header and checks the attribute framing.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, StunError> {
        if bytes.len() < HEADER || bytes.len() > MAX_MESSAGE {
            return Err(StunError::Malformed("size"));
        }
        let kind = u16::from_be_bytes([bytes[0], bytes[1]]);
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        if kind & 0xC000 != 0 || HEADER + len != bytes.len() {
            return Err(StunError::Malformed("header"));
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[4..HEADER]);
        let m = Message { kind, id, bytes };
        for a in m.attributes() {
            a?;
        }
        Ok(m)
    }

    /// The attributes in order, as (type, value); an error ends the walk.
    pub fn attributes(&self) -> impl Iterator<Item = Result<(u16, &'a [u8]), StunError>> + 'a {
        let mut rest = &self.bytes[HEADER..];
        std::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            if rest.len() < 4 {
                rest = &[];
                return Some(Err(StunError::Malformed("attribute header")));
            }
            let kind = u16::from_be_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            let padded = len.next_multiple_of(4);
            if rest.len() < 4 + padded {
                rest = &[];
                return Some(Err(StunError::Malformed("attribute length")));
            }
            let value = &rest[4..4 + len];
            rest = &rest[4 + padded..];
            Some(Ok((kind, value)))
        })
    }

    /// The first attribute of `kind`.
    pub fn attribute(&self, kind: u16) -> Option<&'a [u8]> {
        self.attributes()
            .filter_map(Result::ok)
            .find(|(k, _)| *k == kind)
            .map(|(_, v)| v)
    }

    /// True for a Binding Request carrying TR-111's CONNECTION-REQUEST-BINDING.
    pub fn is_cr_binding_request(&self) -> bool {
        self.kind == BINDING_REQUEST
            && self.attribute(ATTR_CONNECTION_REQUEST_BINDING)
                == Some(CONNECTION_REQUEST_BINDING.as_slice())
    }

    /// True if the request carries BINDING-CHANGE.
    pub fn has_binding_change(&self) -> bool {
        self.attribute(ATTR_BINDING_CHANGE).is_some()
    }

    /// USERNAME, if present.
    pub fn username(&self) -> Option<&'a [u8]> {
        self.attribute(ATTR_USERNAME)
    }

    /// True if MESSAGE-INTEGRITY is present and verifies under `password` (RFC 3489 §11.2.8).
    pub fn integrity_valid(&self, password: &str) -> bool {
        let mut offset = HEADER;
        for a in self.attributes() {
            let Ok((kind, value)) = a else { return false };
            if kind == ATTR_MESSAGE_INTEGRITY {
                return value.len() == 20 && integrity(&self.bytes[..offset], password) == value;
            }
            offset += 4 + value.len().next_multiple_of(4);
        }
        false
    }

    /// Reads a Binding Response or Binding Error Response.
    pub fn answer(&self) -> Result<BindingAnswer, StunError> {
        match self.kind {
            BINDING_RESPONSE => {
                let xor = ATTR_XOR_MAPPED
                    .iter()
                    .find_map(|&k| self.attribute(k))
                    .and_then(|v| address(v, Some(&self.id)));
                xor.or_else(|| address(self.attribute(ATTR_MAPPED_ADDRESS)?, None))
                    .map(BindingAnswer::Mapped)
                    .ok_or(StunError::NoAddress)
            }
            BINDING_ERROR => {
                let v = self
                    .attribute(ATTR_ERROR_CODE)
                    .filter(|v| v.len() >= 4)
                    .ok_or(StunError::Malformed("error code"))?;
                Ok(BindingAnswer::Error(
                    u16::from(v[2] & 7) * 100 + u16::from(v[3]),
                ))
            }
            other => Err(StunError::Type(other)),
        }
    }
}

/// Decodes a (XOR-)MAPPED-ADDRESS value; `xor_id` is the transaction id for the XOR form.
fn address(v: &[u8], xor_id: Option<&TransactionId>) -> Option<SocketAddr> {
    let family = *v.get(1)?;
    let mut port = u16::from_be_bytes([*v.get(2)?, *v.get(3)?]);
    let cookie = MAGIC_COOKIE.to_be_bytes();
    let ip = match (family, v.len()) {
        (1, 8) => {
            let mut a = [v[4], v[5], v[6], v[7]];
            if xor_id.is_some() {
                a.iter_mut().zip(cookie).for_each(|(b, k)| *b ^= k);
            }
            IpAddr::V4(Ipv4Addr::from(a))
        }
        (2, 20) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&v[4..20]);
            if let Some(id) = xor_id {
                // RFC 5389: XOR with cookie‖transaction id (its last 12 bytes in 5389 terms).
                let key = cookie.iter().chain(&id[4..]);
                a.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            }
            IpAddr::V6(Ipv6Addr::from(a))
        }
        _ => return None,
    };
    if xor_id.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    Some(SocketAddr::new(ip, port))
}

/// A Binding Response with MAPPED-ADDRESS `mapped` (what a STUN server sends; for tests and
/// tools).
pub fn binding_response(id: &TransactionId, mapped: SocketAddr) -> Vec<u8> {
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(&BINDING_RESPONSE.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(id);
    let mut v = vec![0, 0];
    v.extend_from_slice(&mapped.port().to_be_bytes());
    match mapped.ip() {
        IpAddr::V4(a) => {
            v[1] = 1;
            v.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            v[1] = 2;
            v.extend_from_slice(&a.octets());
        }
    }
    put_attr(&mut out, ATTR_MAPPED_ADDRESS, &v);
    set_length(&mut out, 0);
    out
}

/// A Binding Error Response with `code` (e.g. 401 Unauthorized).
pub fn binding_error(id: &TransactionId, code: u16, reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&BINDING_ERROR.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(id);
    let class = u8::try_from((code / 100) & 7).unwrap_or(0);
    let number = u8::try_from(code % 100).unwrap_or(0);
    let mut v = vec![0, 0, class, number];
    v.extend_from_slice(reason.as_bytes());
    v.resize(v.len().min(128), 0);
    put_attr(&mut out, ATTR_ERROR_CODE, &v);
    set_length(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: TransactionId = *b"0123456789abcdef";

    #[test]
    fn binding_request_carries_tr111_attributes() {
        let req = BindingRequest {
            id: ID,
            binding_change: true,
            credentials: None,
        };
        let bytes = req.encode().unwrap();
        assert_eq!(&bytes[..4], &[0, 1, 0, 28]);
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.id, ID);
        assert!(m.is_cr_binding_request());
        assert!(m.has_binding_change());
        assert_eq!(m.username(), None);
        let plain = BindingRequest {
            binding_change: false,
            ..req
        };
        let m2 = plain.encode().unwrap();
        assert!(!Message::parse(&m2).unwrap().has_binding_change());
    }

    #[test]
    fn message_integrity_verifies() {
        let req = BindingRequest {
            id: ID,
            binding_change: false,
            credentials: Some(StunCredentials {
                username: "cpe-1".into(),
                password: "secret".into(),
            }),
        };
        let bytes = req.encode().unwrap();
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.username(), Some(b"cpe-1".as_slice()));
        assert!(m.integrity_valid("secret"));
        assert!(!m.integrity_valid("other"));
        let mut tampered = bytes.clone();
        tampered[HEADER + 4] ^= 1;
        assert!(!Message::parse(&tampered).unwrap().integrity_valid("secret"));
        let long = BindingRequest {
            credentials: Some(StunCredentials {
                username: "u".repeat(600),
                password: String::new(),
            }),
            ..req
        };
        assert_eq!(long.encode(), Err(StunError::TooLong));
    }

    #[test]
    fn responses_decode() {
        let v4: SocketAddr = "203.0.113.7:40001".parse().unwrap();
        let r = binding_response(&ID, v4);
        let m = Message::parse(&r).unwrap();
        assert_eq!(m.answer(), Ok(BindingAnswer::Mapped(v4)));
        let v6: SocketAddr = "[2001:db8::1]:7547".parse().unwrap();
        let r = binding_response(&ID, v6);
        assert_eq!(
            Message::parse(&r).unwrap().answer(),
            Ok(BindingAnswer::Mapped(v6))
        );
        let e = binding_error(&ID, 401, "Unauthorized");
        assert_eq!(
            Message::parse(&e).unwrap().answer(),
            Ok(BindingAnswer::Error(401))
        );
    }

    #[test]
    fn xor_mapped_address_is_preferred() {
        // 192.0.2.1:32853 XORed with the magic cookie (RFC 5769 §2.2 test vector's address).
        let mut out = binding_response(&ID, "10.0.0.1:1".parse().unwrap());
        put_attr(
            &mut out,
            ATTR_XOR_MAPPED[0],
            &[0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43],
        );
        set_length(&mut out, 0);
        assert_eq!(
            Message::parse(&out).unwrap().answer(),
            Ok(BindingAnswer::Mapped("192.0.2.1:32853".parse().unwrap()))
        );
    }

    #[test]
    fn malformed_messages_are_errors() {
        let good = binding_response(&ID, "10.0.0.1:1".parse().unwrap());
        let mut bad_len = good.clone();
        bad_len[3] += 4;
        assert!(Message::parse(&bad_len).is_err());
        let mut truncated_attr = good.clone();
        truncated_attr[HEADER + 3] = 200;
        assert!(Message::parse(&truncated_attr).is_err());
        assert!(Message::parse(&good[..10]).is_err());
        assert!(Message::parse(b"GET http://x?ts=1 HTTP/1.1\r\n\r\n").is_err());
        let mut no_addr = good[..HEADER].to_vec();
        set_length(&mut no_addr, 0);
        assert_eq!(
            Message::parse(&no_addr).unwrap().answer(),
            Err(StunError::NoAddress)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let seed = binding_response(&ID, "10.0.0.1:1".parse().unwrap());
        for round in 0..20_000 {
            let mut bytes = if round % 2 == 0 {
                seed.clone()
            } else {
                (0..next() % 80).map(|_| next() as u8).collect()
            };
            for _ in 0..(next() % 4) {
                if !bytes.is_empty() {
                    let i = (next() % bytes.len() as u64) as usize;
                    bytes[i] = next() as u8;
                }
            }
            if round % 3 == 0 && bytes.len() >= 4 {
                let len = (bytes.len() - HEADER.min(bytes.len())) as u16;
                bytes[2..4].copy_from_slice(&len.to_be_bytes());
            }
            if let Ok(m) = Message::parse(&bytes) {
                let _ = m.answer();
                let _ = m.integrity_valid("pw");
                let _ = m.is_cr_binding_request();
            }
        }
    }
}
