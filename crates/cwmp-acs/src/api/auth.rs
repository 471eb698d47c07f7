//! The first-start admin tokens of the API (the middleware is [`super::principal`]).
//!
//! Tokens are kept as lower-case hex SHA-256 digests, one per line, in
//! `<data_dir>/api-tokens` (written to a temporary file, then renamed). On first start,
//! when the file does not exist, an admin token is generated (32 random bytes, hex) and
//! returned once so that the caller can print it; only its digest is stored.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cwmp::http_auth::hex;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};

/// File name of the token digests inside the data directory.
pub const TOKENS_FILE: &str = "api-tokens";

/// The set of accepted API tokens (their digests).
#[derive(Debug, Clone, Default)]
pub struct ApiTokens {
    digests: Arc<Vec<[u8; 32]>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub(crate) fn parse_hex32(line: &str) -> Option<[u8; 32]> {
    let line = line.trim();
    if line.len() != 64 || !line.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&line[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl ApiTokens {
    /// Accepts exactly these plaintext tokens (for tests and embedding).
    pub fn from_tokens<I: IntoIterator<Item = S>, S: AsRef<str>>(tokens: I) -> ApiTokens {
        ApiTokens {
            digests: Arc::new(tokens.into_iter().map(|t| digest(t.as_ref())).collect()),
        }
    }

    /// Loads `<data_dir>/api-tokens`; when it does not exist, creates it with a new admin
    /// token, which is returned (the only time it is available in plaintext).
    pub fn load_or_init(data_dir: &Path) -> std::io::Result<(ApiTokens, Option<String>)> {
        let path = data_dir.join(TOKENS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let digests = text
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .map(|l| {
                        parse_hex32(l).ok_or_else(|| {
                            std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                format!("{}: not a hex SHA-256 digest: {l:?}", path.display()),
                            )
                        })
                    })
                    .collect::<std::io::Result<Vec<_>>>()?;
                Ok((
                    ApiTokens {
                        digests: Arc::new(digests),
                    },
                    None,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut raw = [0u8; 32];
                rand::rngs::OsRng
                    .try_fill_bytes(&mut raw)
                    .map_err(std::io::Error::other)?;
                let token = hex(&raw);
                let d = digest(&token);
                std::fs::create_dir_all(data_dir)?;
                write_atomically(&path, &format!("{}\n", hex(&d)))?;
                Ok((
                    ApiTokens {
                        digests: Arc::new(vec![d]),
                    },
                    Some(token),
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `token` is accepted.
    pub fn accepts(&self, token: &str) -> bool {
        let d = digest(token);
        // Compare every digest in full so timing says nothing about the match.
        self.digests.iter().fold(false, |found, known| {
            found | (known.iter().zip(&d).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0)
        })
    }
}

pub(crate) fn write_atomically(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_generates_and_reload_accepts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tokens, token) = ApiTokens::load_or_init(dir.path()).expect("init");
        let token = token.expect("generated");
        assert_eq!(token.len(), 64);
        assert!(tokens.accepts(&token));
        let stored = std::fs::read_to_string(dir.path().join(TOKENS_FILE)).expect("read");
        assert!(!stored.contains(&token));
        let (again, none) = ApiTokens::load_or_init(dir.path()).expect("reload");
        assert!(none.is_none());
        assert!(again.accepts(&token));
        assert!(!again.accepts("nope"));
    }
}
