//! Serial numbers from a pattern such as `SIM{n:08}`: a prefix, the device number (zero-padded
//! to a width) and a suffix; parsed back to find the device a Connection Request is for.

use std::fmt;

/// Longest serial number (`SerialNumber` is a string(64) in the Inform's DeviceId).
const MAX_SERIAL_LEN: usize = 64;

/// A pattern `PREFIX{n}SUFFIX` or `PREFIX{n:0W}SUFFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPattern {
    prefix: String,
    width: usize,
    suffix: String,
}

/// A serial pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("serial pattern {pattern:?}: {message}")]
pub struct PatternError {
    pattern: String,
    message: &'static str,
}

impl SerialPattern {
    /// Parses `PREFIX{n}SUFFIX` or `PREFIX{n:0W}SUFFIX`; prefix and suffix are letters,
    /// digits, `-` or `_` (they end up in a URL path), and the suffix may not start with a
    /// digit (the number must be readable back).
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        let err = |message| PatternError {
            pattern: pattern.to_owned(),
            message,
        };
        let (prefix, rest) = pattern.split_once('{').ok_or_else(|| err("no {n}"))?;
        let (spec, suffix) = rest.split_once('}').ok_or_else(|| err("unclosed {"))?;
        let width = match spec {
            "n" => 0,
            _ => spec
                .strip_prefix("n:0")
                .and_then(|w| w.parse::<usize>().ok())
                .filter(|w| (1..=20).contains(w))
                .ok_or_else(|| err("use {n} or {n:0W} with W from 1 to 20"))?,
        };
        let safe = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !safe(prefix) || !safe(suffix) {
            return Err(err("only letters, digits, - and _ around {n}"));
        }
        if suffix.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err("the suffix may not start with a digit"));
        }
        if prefix.len() + width.max(10) + suffix.len() > MAX_SERIAL_LEN {
            return Err(err("serial numbers would exceed 64 characters"));
        }
        Ok(SerialPattern {
            prefix: prefix.to_owned(),
            width,
            suffix: suffix.to_owned(),
        })
    }

    /// The serial number of device number `n`.
    pub fn format(&self, n: u32) -> String {
        format!(
            "{}{:0width$}{}",
            self.prefix,
            n,
            self.suffix,
            width = self.width
        )
    }

    /// The device number of `serial`, if it matches the pattern exactly (same padding).
    pub fn parse_serial(&self, serial: &str) -> Option<u32> {
        let digits = serial
            .strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        (self.format(n) == serial).then_some(n)
    }
}

impl Default for SerialPattern {
    /// `SIM{n:08}`.
    fn default() -> Self {
        SerialPattern {
            prefix: "SIM".into(),
            width: 8,
            suffix: String::new(),
        }
    }
}

impl fmt::Display for SerialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.width {
            0 => write!(f, "{}{{n}}{}", self.prefix, self.suffix),
            w => write!(f, "{}{{n:0{w}}}{}", self.prefix, self.suffix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_back() {
        let p = SerialPattern::parse("SIM{n:08}").unwrap();
        assert_eq!(p.format(42), "SIM00000042");
        assert_eq!(p.parse_serial("SIM00000042"), Some(42));
        assert_eq!(p.parse_serial("SIM0000042"), None, "padding must match");
        assert_eq!(p.parse_serial("XIM00000042"), None);
        assert_eq!(p.to_string(), "SIM{n:08}");
        let q = SerialPattern::parse("A-{n}-Z").unwrap();
        assert_eq!(q.format(7), "A-7-Z");
        assert_eq!(q.parse_serial("A-7-Z"), Some(7));
        assert_eq!(q.parse_serial("A-07-Z"), None);
    }

    #[test]
    fn refuses_bad_patterns() {
        for bad in [
            "SIM", "SIM{n", "SIM{x}", "SIM{n:0}", "a/b{n}", "{n}9", "S{n:099}",
        ] {
            assert!(SerialPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
