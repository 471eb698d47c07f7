//! Signed file server URLs: no file is public, each URL the ACS hands a CPE names one file,
//! one device and an expiry, and carries an HMAC-SHA-256 over them made with a key kept in
//! the data directory (`file-url-key`, 32 random bytes, hex, created on first start).

use std::path::Path;

use hmac::{Hmac, Mac};
use rand::TryRngCore as _;
use sha2::Sha256;

use crate::api::auth::{parse_hex32, write_atomically};
use cwmp::http_auth::hex;

/// File name of the signing key inside the data directory.
pub const KEY_FILE: &str = "file-url-key";

/// Hex digits of the signature kept in a URL (128 bits: CWMP URLs are at most 256
/// characters, TR-069 §A.4.1.5).
const SIGNATURE_HEX: usize = 32;

/// What a signed URL grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Download of a file stored through the API (`/files/{name}`).
    File,
    /// Upload for a task (`/uploads/{task}`), by the device the task is for.
    Upload,
    /// Download of a file a device uploaded earlier (`/uploaded/{uid}`).
    Uploaded,
}

impl Grant {
    fn tag(self) -> &'static str {
        match self {
            Grant::File => "file",
            Grant::Upload => "upload",
            Grant::Uploaded => "uploaded",
        }
    }
}

/// Makes and checks URL signatures.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    /// A signer with `key` (tests; the server uses [`UrlSigner::load_or_init`]).
    pub fn with_key(key: [u8; 32]) -> UrlSigner {
        UrlSigner { key }
    }

    /// The signer of the key in `data_dir`, created (written, synced, renamed) when absent.
    pub fn load_or_init(data_dir: &Path) -> std::io::Result<UrlSigner> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_hex32(text.trim())
                .map(UrlSigner::with_key)
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: not 32 hex-encoded bytes", path.display()),
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng
                    .try_fill_bytes(&mut key)
                    .map_err(std::io::Error::other)?;
                std::fs::create_dir_all(data_dir)?;
                write_atomically(&path, &format!("{}\n", hex(&key)))?;
                Ok(UrlSigner::with_key(key))
            }
            Err(e) => Err(e),
        }
    }

    fn mac(&self, grant: Grant, name: &str, device: &str, expires: u64) -> Hmac<Sha256> {
        // HMAC accepts keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        for part in [grant.tag(), name, device, &expires.to_string()] {
            // Length-prefixed, so that no two different tuples sign the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    /// The signature (hex) of `grant` on `name` for `device` until `expires` (Unix seconds).
    pub fn sign(&self, grant: Grant, name: &str, device: &str, expires: u64) -> String {
        let tag = self
            .mac(grant, name, device, expires)
            .finalize()
            .into_bytes();
        let mut text = hex(&tag);
        text.truncate(SIGNATURE_HEX);
        text
    }

    /// Whether `signature` is that of `grant` on `name` for `device` until `expires`, and
    /// `expires` is not before `now` (Unix seconds). Compared in constant time.
    pub fn verify(
        &self,
        grant: Grant,
        name: &str,
        device: &str,
        expires: u64,
        signature: &str,
        now: u64,
    ) -> bool {
        if expires < now || signature.len() != SIGNATURE_HEX {
            return false;
        }
        let expected = self.sign(grant, name, device, expires);
        expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_every_field_and_expire() {
        let s = UrlSigner::with_key([7; 32]);
        let sig = s.sign(Grant::File, "fw.bin", "dev-1", 100);
        assert!(s.verify(Grant::File, "fw.bin", "dev-1", 100, &sig, 100));
        assert!(!s.verify(Grant::File, "fw.bin", "dev-1", 100, &sig, 101));
        assert!(!s.verify(Grant::File, "fw.bin", "dev-2", 100, &sig, 0));
        assert!(!s.verify(Grant::File, "fw.bi", "dev-1", 100, &sig, 0));
        assert!(!s.verify(Grant::Uploaded, "fw.bin", "dev-1", 100, &sig, 0));
        assert!(!s.verify(Grant::File, "fw.bin", "dev-1", 1000, &sig, 0));
        let other = UrlSigner::with_key([8; 32]);
        assert!(!other.verify(Grant::File, "fw.bin", "dev-1", 100, &sig, 0));
    }

    #[test]
    fn key_is_created_once_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = UrlSigner::load_or_init(dir.path()).expect("init");
        let b = UrlSigner::load_or_init(dir.path()).expect("reload");
        assert_eq!(a.key, b.key);
        std::fs::write(dir.path().join(KEY_FILE), "nope").expect("write");
        assert!(UrlSigner::load_or_init(dir.path()).is_err());
    }
}
