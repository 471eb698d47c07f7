//! GenieACS parameter paths as scripts write them (`docs/provisions.rst`): dot-separated
//! segments where a segment is a name, the wildcard `*`, or an alias filter
//! `[Key:value,Other.Key:value]` that selects the instances whose parameters have those
//! values (`Device.WiFi.SSID.[SSID:guest].Enable`).
//!
//! Parsed once where a script hands a path over, and bounded: a path is at most
//! [`MAX_PATH_BYTES`] long with at most [`MAX_SEGMENTS`] segments.

use std::fmt;

/// Longest path a script may declare (bytes).
pub const MAX_PATH_BYTES: usize = 1024;
/// Most segments in one path.
pub const MAX_SEGMENTS: usize = 64;
/// Most `key:value` pairs in one alias filter.
pub const MAX_ALIAS_PAIRS: usize = 16;

/// One segment of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A parameter or object name, or an instance number.
    Name(String),
    /// `*`: every instance (or child).
    Wildcard,
    /// `[k:v,…]`: the instances whose parameter `k` (relative, may be dotted) has value `v`.
    Alias(Vec<(String, String)>),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Path {
    /// Segments in order; a path written with a trailing dot has none extra.
    pub segments: Vec<Segment>,
}

/// Why a path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?}: {reason}")]
pub struct InvalidPath {
    /// The path as given (cut to 100 characters).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

fn invalid(path: &str, reason: impl Into<String>) -> InvalidPath {
    InvalidPath {
        path: path.chars().take(100).collect(),
        reason: reason.into(),
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

impl Path {
    /// Parses a script's path. The empty string is the root (no segments).
    pub fn parse(text: &str) -> Result<Path, InvalidPath> {
        if text.len() > MAX_PATH_BYTES {
            return Err(invalid(text, format!("longer than {MAX_PATH_BYTES} bytes")));
        }
        let body = text.strip_suffix('.').unwrap_or(text);
        let mut segments = Vec::new();
        if body.is_empty() {
            return Ok(Path { segments });
        }
        let bytes = body.as_bytes();
        let mut i = 0;
        loop {
            if segments.len() >= MAX_SEGMENTS {
                return Err(invalid(text, format!("more than {MAX_SEGMENTS} segments")));
            }
            if bytes.get(i) == Some(&b'[') {
                let close = body[i..].find(']').map(|c| c + i).ok_or_else(|| {
                    invalid(text, format!("alias filter at byte {i} is not closed"))
                })?;
                segments.push(Segment::Alias(parse_alias(text, &body[i + 1..close])?));
                i = close + 1;
            } else {
                let end = body[i..].find('.').map_or(body.len(), |e| e + i);
                let seg = &body[i..end];
                if seg == "*" {
                    segments.push(Segment::Wildcard);
                } else if valid_name(seg) {
                    segments.push(Segment::Name(seg.to_owned()));
                } else if seg.is_empty() {
                    return Err(invalid(text, format!("empty segment at byte {i}")));
                } else {
                    return Err(invalid(text, format!("invalid segment {seg:?}")));
                }
                i = end;
            }
            match bytes.get(i) {
                None => break,
                Some(b'.') if i + 1 < bytes.len() => i += 1,
                Some(b'.') => return Err(invalid(text, "empty last segment")),
                Some(_) => return Err(invalid(text, format!("expected '.' at byte {i}"))),
            }
        }
        Ok(Path { segments })
    }

    /// True when no segment is a wildcard or an alias filter.
    pub fn is_concrete(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Name(_)))
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    /// True for the root.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The first `n` segments.
    pub fn prefix(&self, n: usize) -> Path {
        Path {
            segments: self.segments[..n.min(self.segments.len())].to_vec(),
        }
    }

    /// The concrete store path of a concrete path (no trailing dot).
    pub fn concrete(&self) -> Option<String> {
        if !self.is_concrete() {
            return None;
        }
        Some(self.to_string())
    }

    /// First segment of the virtual namespaces GenieACS keeps outside the CPE's tree.
    pub fn root_name(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }
}

fn parse_alias(text: &str, inner: &str) -> Result<Vec<(String, String)>, InvalidPath> {
    let mut pairs = Vec::new();
    if inner.is_empty() {
        return Err(invalid(text, "empty alias filter"));
    }
    for part in inner.split(',') {
        if pairs.len() >= MAX_ALIAS_PAIRS {
            return Err(invalid(
                text,
                format!("more than {MAX_ALIAS_PAIRS} alias pairs"),
            ));
        }
        let (k, v) = part
            .split_once(':')
            .ok_or_else(|| invalid(text, format!("alias pair {part:?} has no ':'")))?;
        let key = k.trim();
        if key.is_empty() || !key.split('.').all(valid_name) {
            return Err(invalid(text, format!("alias key {key:?} is not a path")));
        }
        pairs.push((key.to_owned(), v.to_owned()));
    }
    Ok(pairs)
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Name(n) => f.write_str(n),
            Segment::Wildcard => f.write_str("*"),
            Segment::Alias(pairs) => {
                f.write_str("[")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}:{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_wildcards_and_alias_filters() {
        let p = Path::parse("Device.WiFi.SSID.[SSID:guest,Alias:x y].Enable").expect("path");
        assert_eq!(p.len(), 5);
        assert_eq!(
            p.segments[3],
            Segment::Alias(vec![
                ("SSID".into(), "guest".into()),
                ("Alias".into(), "x y".into())
            ])
        );
        assert_eq!(
            p.to_string(),
            "Device.WiFi.SSID.[SSID:guest,Alias:x y].Enable"
        );
        let w = Path::parse("Device.WiFi.SSID.*.SSID").expect("path");
        assert_eq!(w.segments[3], Segment::Wildcard);
        assert!(!w.is_concrete());
        assert_eq!(Path::parse("Device.").expect("p").to_string(), "Device");
        assert!(Path::parse("").expect("root").is_empty());
        assert!(Path::parse("Device.X.1.Y").expect("p").is_concrete());
    }

    #[test]
    fn refuses_broken_paths_with_a_reason() {
        for bad in [
            "Device..X",
            "Device.[SSID:guest",
            "Device.[]",
            "Device.[nocolon]",
            "Device.X$",
            "Device.[a:b]x",
            "..",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
        assert!(Path::parse(&"a.".repeat(600)).is_err());
        assert!(Path::parse(&"a.".repeat(MAX_SEGMENTS + 1)).is_err());
    }
}
