//! Encodings shared by the backends: JSON kept as text, parameter values as
//! `(value, value_type)` columns, and the digest of an Inform's `ParameterList`.

use cwmp::Value;
use cwmp::http_auth::hex;
use md5::{Digest as _, Md5};

use super::{ParamValue, StoreError, StoreResult};

/// A stored value that does not decode.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// `v` as JSON text.
pub(crate) fn json_text<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| corrupt("json encode", e))
}

/// JSON text of the column `what` decoded.
pub(crate) fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// [`json`] of a column that may be NULL.
pub(crate) fn opt_json<T: serde::de::DeserializeOwned>(
    what: &str,
    text: Option<String>,
) -> StoreResult<Option<T>> {
    text.map(|t| json(what, &t)).transpose()
}

/// `(value, value_type)` columns for a value.
pub(crate) fn value_cols(v: Option<&Value>) -> (Option<String>, Option<String>) {
    match v {
        None => (None, None),
        Some(v) => (
            Some(v.as_text().into_owned()),
            v.xsi_type().map(str::to_owned),
        ),
    }
}

/// MD5 (hex) of a `ParameterList` in order: each path, type and value length-prefixed, so
/// that no two lists share an encoding. A digest only spares writes: a CPE that made two of
/// its lists collide would only keep its own second list from being stored, which it could
/// as well not have sent; SHA-256 cost 24 k instructions per Inform without SHA extensions.
pub(crate) fn inform_digest(params: &[ParamValue]) -> String {
    let mut h = Md5::new();
    for p in params {
        let (text, xsi_type) = (p.value.as_text(), p.value.xsi_type());
        for f in [p.path.as_str(), xsi_type.unwrap_or(""), &text] {
            h.update((f.len() as u64).to_le_bytes());
            h.update(f.as_bytes());
        }
        h.update([u8::from(xsi_type.is_some())]);
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use cwmp::Value;

    use super::*;
    use crate::store::ParamValue;

    fn pv(path: &str, value: Value) -> ParamValue {
        ParamValue {
            path: path.into(),
            value,
        }
    }

    #[test]
    fn the_digest_tells_lists_apart_by_path_type_value_and_order() {
        let a = pv("Device.A", Value::String("1".into()));
        let b = pv("Device.B", Value::String("2".into()));
        let base = inform_digest(&[a.clone(), b.clone()]);
        assert_eq!(base.len(), 32);
        assert_eq!(base, inform_digest(&[a.clone(), b.clone()]));
        assert_ne!(base, inform_digest(&[b.clone(), a.clone()]));
        assert_ne!(base, inform_digest(std::slice::from_ref(&a)));
        assert_ne!(
            base,
            inform_digest(&[a.clone(), pv("Device.B", Value::UnsignedInt(2))])
        );
        assert_ne!(
            base,
            inform_digest(&[a.clone(), pv("Device.B", Value::Untyped("2".into()))])
        );
        assert_ne!(
            base,
            inform_digest(&[a.clone(), pv("Device.B", Value::String("3".into()))])
        );
        // Moving bytes between fields changes the encoding.
        assert_ne!(
            inform_digest(&[pv("Device.AB", Value::String("".into()))]),
            inform_digest(&[pv("Device.A", Value::String("B".into()))])
        );
        assert_ne!(inform_digest(&[]), base);
    }
}
