//! Console passwords: argon2id (the `argon2` crate's default parameters, OWASP's minimum:
//! 19 MiB, 2 passes) in PHC strings, computed off the async threads, at most
//! [`CONCURRENT_HASHES`] at once so that a burst of logins cannot take all memory and CPU.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use rand::TryRngCore as _;
use tokio::sync::Semaphore;

/// Hashes computed at once.
pub const CONCURRENT_HASHES: usize = 2;

/// Shortest and longest password accepted.
pub const PASSWORD_LEN: std::ops::RangeInclusive<usize> = 8..=256;

static SLOTS: Semaphore = Semaphore::const_new(CONCURRENT_HASHES);

/// A hash of a password nobody has, verified when the user does not exist so that the
/// answer takes as long as for a wrong password.
static DUMMY: LazyLock<Option<String>> = LazyLock::new(|| hash_blocking("not a password").ok());

/// Why a password cannot be used.
pub fn check_password(password: &str) -> Result<(), String> {
    if !PASSWORD_LEN.contains(&password.chars().count()) {
        return Err(format!(
            "password: {} to {} characters",
            PASSWORD_LEN.start(),
            PASSWORD_LEN.end()
        ));
    }
    Ok(())
}

/// Why a user name cannot be used (1–64 of `A-Za-z0-9._@-`).
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "user name {name:?}: 1 to 64 letters, digits, '.', '_', '@' or '-'"
        ))
    }
}

fn hash_blocking(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The PHC string of `password` (a fresh random salt).
pub async fn hash(password: String) -> Result<String, String> {
    let _slot = SLOTS.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Whether `password` matches `phc`; with `None` (no such user) a dummy hash is verified
/// and the answer is `false`.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    let Ok(_slot) = SLOTS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            if let Some(dummy) = DUMMY.as_deref() {
                verify_blocking(&password, dummy);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Hashes `password` on the calling thread (the CLI).
pub fn hash_now(password: &str) -> Result<String, String> {
    hash_blocking(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let phc = hash("correct horse".into()).await.expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(phc.clone())).await);
        assert!(!verify("wrong horse".into(), Some(phc)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("x".into(), Some("not a phc".into())).await);
    }

    #[test]
    fn names_and_passwords_are_bounded() {
        assert!(check_user_name("ann.o-b@x_y").is_ok());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("a b").is_err());
        assert!(check_user_name(&"a".repeat(65)).is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
    }
}
