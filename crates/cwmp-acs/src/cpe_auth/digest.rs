//! What the ACS adds to the project's one Digest implementation ([`cwmp::http_auth::digest`]):
//! the algorithms it offers CPEs, in order, and the check of stored HA1 values.

pub use cwmp::http_auth::digest::{Algorithm, constant_time_eq, ha1};

/// The algorithms the ACS offers, in the order of its challenges (RFC 7616 §3.7: the
/// server's preference first). No `-sess` variants: the ACS keeps one HA1 per hash.
pub const OFFERED: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

/// A stored HA1 normalised to lower case, or `None` when it is not `algorithm`'s length
/// of hex digits.
pub fn normalize_ha1(algorithm: Algorithm, text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == algorithm.hex_len() && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_normalisation() {
        let md5 = "8CA523F5E9506FED4657C9700EEBDBEC";
        assert_eq!(
            normalize_ha1(Algorithm::Md5, md5).as_deref(),
            Some("8ca523f5e9506fed4657c9700eebdbec")
        );
        assert_eq!(normalize_ha1(Algorithm::Sha256, md5), None);
        assert_eq!(normalize_ha1(Algorithm::Md5, &"g".repeat(32)), None);
        assert!(OFFERED.iter().all(|a| !a.is_sess()));
    }
}
