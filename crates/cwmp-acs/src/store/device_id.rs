//! Device ids compatible with GenieACS.
//!
//! GenieACS builds the id in `generateDeviceId` (`lib/common.ts`, genieacs/genieacs): each of
//! OUI, ProductClass and SerialNumber is escaped by replacing every character outside
//! `[A-Za-z0-9_]` with `%` followed by the upper-case hex of each of its UTF-8 bytes, written
//! with `Number.toString(16)` and therefore *not* zero-padded (`"\n"` becomes `%A`, `"-"` `%2D`).
//! The parts are joined with `-`; when ProductClass is empty the id is `OUI-SerialNumber`.
//! JavaScript matches per UTF-16 code unit, so a character outside the Basic Multilingual
//! Plane is two lone surrogates, each encoded by Node as U+FFFD (`%EF%BF%BD`); we do the same
//! so that ids match GenieACS byte for byte.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A device id `OUI-ProductClass-SerialNumber`, escaped exactly as GenieACS escapes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeviceId(String);

impl DeviceId {
    /// The id of the device with this `DeviceIdStruct` (from the Inform).
    pub fn from_identity(oui: &str, product_class: &str, serial_number: &str) -> DeviceId {
        let mut id =
            String::with_capacity(oui.len() + product_class.len() + serial_number.len() + 2);
        escape_into(oui, &mut id);
        id.push('-');
        if !product_class.is_empty() {
            escape_into(product_class, &mut id);
            id.push('-');
        }
        escape_into(serial_number, &mut id);
        DeviceId(id)
    }

    /// Wraps an id that is already escaped (from the API or the store), unchecked.
    pub fn from_escaped(id: impl Into<String>) -> DeviceId {
        DeviceId(id.into())
    }

    /// The escaped id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DeviceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Appends GenieACS's escaping of `part` to `out`.
fn escape_into(part: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let push_byte = |b: u8, out: &mut String| {
        out.push('%');
        if b >= 0x10 {
            out.push(char::from(HEX[usize::from(b >> 4)]));
        }
        out.push(char::from(HEX[usize::from(b & 0x0F)]));
    };
    for c in part.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if u32::from(c) > 0xFFFF {
            // Two UTF-16 surrogates, each replaced by U+FFFD when Node encodes it alone.
            for _ in 0..2 {
                for b in [0xEF, 0xBF, 0xBD] {
                    push_byte(b, out);
                }
            }
        } else {
            let mut buf = [0u8; 4];
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                push_byte(b, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeviceId;

    #[test]
    fn plain() {
        assert_eq!(
            DeviceId::from_identity("00259E", "HG8245H", "4857544312345678").as_str(),
            "00259E-HG8245H-4857544312345678"
        );
    }

    #[test]
    fn escaping_matches_genieacs() {
        // '-' -> %2D, ' ' -> %20, '.' -> %2E, '\n' -> %A (no zero padding), 'é' -> %C3%A9.
        assert_eq!(
            DeviceId::from_identity("00-1", "Home Gw.", "a\né").as_str(),
            "00%2D1-Home%20Gw%2E-a%A%C3%A9"
        );
        assert_eq!(DeviceId::from_identity("x", "", "_~").as_str(), "x-_%7E");
        assert_eq!(
            DeviceId::from_identity("o", "p", "\u{1F600}").as_str(),
            "o-p-%EF%BF%BD%EF%BF%BD"
        );
    }
}
