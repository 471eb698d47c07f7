//! Digest nonces the ACS need not remember: each is `issued time ‖ random ‖ HMAC` (hex),
//! signed with a key drawn at start, so that its age can be checked without state and a
//! flood of unauthenticated requests costs no memory. Only nonces that authenticated a
//! request are remembered, with the last `nc` seen, to refuse replays (RFC 7616 §3.3).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::TryRngCore as _;
use sha2::Sha256;

use super::digest::constant_time_eq;
use cwmp::http_auth::hex;

/// Bytes of the issue time (milliseconds of the auth clock, big-endian).
const TIME_BYTES: usize = 8;
/// Random bytes, so that two nonces of one millisecond differ.
const RANDOM_BYTES: usize = 8;
/// Bytes of the truncated HMAC-SHA-256.
const MAC_BYTES: usize = 16;
/// Length of a nonce in hex digits.
pub const NONCE_HEX_LEN: usize = 2 * (TIME_BYTES + RANDOM_BYTES + MAC_BYTES);

/// Why a nonce is not acceptable (either way the client should retry with a fresh one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceError {
    /// Not one of ours (other process, restart, or forged).
    Unknown,
    /// Ours but older than the lifetime.
    Expired,
}

/// Issues and checks signed nonces.
pub struct NonceIssuer {
    key: [u8; 32],
    lifetime: Duration,
}

impl std::fmt::Debug for NonceIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceIssuer")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl NonceIssuer {
    /// An issuer with a fresh random key; `None` when the OS has no randomness.
    pub fn new(lifetime: Duration) -> Option<NonceIssuer> {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut key).ok()?;
        Some(NonceIssuer { key, lifetime })
    }

    /// How long a nonce stays fresh.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_BYTES] {
        // HMAC accepts keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }

    /// A nonce issued at `now` (auth clock); `None` when the OS has no randomness.
    pub fn issue(&self, now: Duration) -> Option<String> {
        let mut data = [0u8; TIME_BYTES + RANDOM_BYTES];
        let ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        data[..TIME_BYTES].copy_from_slice(&ms.to_be_bytes());
        rand::rngs::OsRng
            .try_fill_bytes(&mut data[TIME_BYTES..])
            .ok()?;
        let mac = self.mac(&data);
        Some(format!("{}{}", hex(&data), hex(&mac)))
    }

    /// The issue time of `nonce` if it is ours and fresh at `now`.
    pub fn check(&self, nonce: &str, now: Duration) -> Result<Duration, NonceError> {
        let bytes = parse_hex(nonce).ok_or(NonceError::Unknown)?;
        let (data, mac) = bytes.split_at(TIME_BYTES + RANDOM_BYTES);
        if !constant_time_eq(&self.mac(data), mac) {
            return Err(NonceError::Unknown);
        }
        let mut ms = [0u8; TIME_BYTES];
        ms.copy_from_slice(&data[..TIME_BYTES]);
        let issued = Duration::from_millis(u64::from_be_bytes(ms));
        if issued > now || now - issued > self.lifetime {
            return Err(NonceError::Expired);
        }
        Ok(issued)
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != NONCE_HEX_LEN || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Why an `nc` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NcError {
    /// Not above the last `nc` accepted with this nonce.
    Replay,
    /// The nonce is older than every nonce still remembered, and not remembered itself:
    /// its history was forgotten for room, so it must be renewed.
    Forgotten,
}

/// The last `nc` accepted per nonce, for nonces still fresh, at most `capacity` of them.
///
/// When full, the nonce issued first is forgotten and its issue time becomes the floor:
/// a nonce issued at or before the floor and not remembered is refused as
/// [`NcError::Forgotten`] (never accepted twice), so memory stays bounded without letting
/// a replay through.
#[derive(Debug)]
pub struct NcTable {
    capacity: usize,
    last_nc: HashMap<String, (Duration, u32)>,
    by_issue: BTreeSet<(Duration, String)>,
    floor: Option<Duration>,
}

impl NcTable {
    /// An empty table remembering at most `capacity` nonces (at least one).
    pub fn new(capacity: usize) -> NcTable {
        NcTable {
            capacity: capacity.max(1),
            last_nc: HashMap::new(),
            by_issue: BTreeSet::new(),
            floor: None,
        }
    }

    /// Nonces remembered.
    pub fn len(&self) -> usize {
        self.last_nc.len()
    }

    /// True when no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.last_nc.is_empty()
    }

    /// Accepts `nc` for `nonce` (issued at `issued`) if above the last one; forgets nonces
    /// that expired before `now` (they are refused by [`NonceIssuer::check`] anyway).
    pub fn accept(
        &mut self,
        nonce: &str,
        issued: Duration,
        nc: u32,
        now: Duration,
        lifetime: Duration,
    ) -> Result<(), NcError> {
        while let Some((t, n)) = self.by_issue.first().cloned() {
            if now.saturating_sub(t) <= lifetime {
                break;
            }
            self.by_issue.pop_first();
            self.last_nc.remove(&n);
        }
        if let Some((_, last)) = self.last_nc.get_mut(nonce) {
            if nc <= *last {
                return Err(NcError::Replay);
            }
            *last = nc;
            return Ok(());
        }
        if self.floor.is_some_and(|f| issued <= f) {
            return Err(NcError::Forgotten);
        }
        while self.last_nc.len() >= self.capacity {
            let Some((t, n)) = self.by_issue.pop_first() else {
                break;
            };
            self.last_nc.remove(&n);
            self.floor = Some(self.floor.map_or(t, |f| f.max(t)));
        }
        if self.floor.is_some_and(|f| issued <= f) {
            return Err(NcError::Forgotten);
        }
        self.last_nc.insert(nonce.to_owned(), (issued, nc));
        self.by_issue.insert((issued, nonce.to_owned()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Duration = Duration::from_secs(60);

    #[test]
    fn nonces_are_signed_and_expire() {
        let issuer = NonceIssuer::new(LIFE).expect("rng");
        let t0 = Duration::from_secs(1000);
        let n = issuer.issue(t0).expect("nonce");
        assert_eq!(n.len(), NONCE_HEX_LEN);
        assert_eq!(issuer.check(&n, t0 + LIFE), Ok(t0));
        assert_eq!(
            issuer.check(&n, t0 + LIFE + Duration::from_millis(1)),
            Err(NonceError::Expired)
        );
        let mut forged = n.clone().into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).expect("ascii");
        assert_eq!(issuer.check(&forged, t0), Err(NonceError::Unknown));
        let other = NonceIssuer::new(LIFE).expect("rng");
        assert_eq!(other.check(&n, t0), Err(NonceError::Unknown));
        assert_eq!(issuer.check("short", t0), Err(NonceError::Unknown));
    }

    #[test]
    fn nc_must_increase_per_nonce() {
        let mut t = NcTable::new(8);
        let now = Duration::from_secs(10);
        assert_eq!(t.accept("a", now, 1, now, LIFE), Ok(()));
        assert_eq!(t.accept("a", now, 1, now, LIFE), Err(NcError::Replay));
        assert_eq!(t.accept("a", now, 2, now, LIFE), Ok(()));
        assert_eq!(t.accept("b", now, 1, now, LIFE), Ok(()));
        assert_eq!(t.len(), 2);
        // Expired nonces are dropped.
        let later = now + LIFE + Duration::from_secs(1);
        assert_eq!(t.accept("c", later, 1, later, LIFE), Ok(()));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn bounded_without_letting_replays_through() {
        let mut t = NcTable::new(2);
        let at = |s: u64| Duration::from_secs(s);
        assert_eq!(t.accept("a", at(1), 1, at(3), LIFE), Ok(()));
        assert_eq!(t.accept("b", at(2), 1, at(3), LIFE), Ok(()));
        assert_eq!(t.accept("c", at(3), 1, at(3), LIFE), Ok(()));
        assert_eq!(t.len(), 2);
        // "a" was forgotten for room: its replay is refused, not accepted.
        assert_eq!(
            t.accept("a", at(1), 1, at(3), LIFE),
            Err(NcError::Forgotten)
        );
        assert_eq!(t.accept("b", at(2), 1, at(3), LIFE), Err(NcError::Replay));
        assert_eq!(t.accept("d", at(4), 1, at(4), LIFE), Ok(()));
        assert_eq!(t.len(), 2);
    }
}
