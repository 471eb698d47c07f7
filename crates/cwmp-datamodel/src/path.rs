//! Schema paths (`Device.IP.Interface.{i}.Enable`) and the conversion of
//! instance paths (`Device.IP.Interface.3.Enable`) to them.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// Longest accepted path, in bytes (TR-069 limits parameter names to 256 characters).
pub const MAX_PATH_LEN: usize = 256;

/// The placeholder that stands for an instance number in a schema path.
pub const PLACEHOLDER: &str = "{i}";

/// Why a string is not a valid schema or instance path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty.
    #[error("empty path")]
    Empty,
    /// The path is longer than [`MAX_PATH_LEN`].
    #[error("path is {0} bytes long, the limit is {MAX_PATH_LEN}")]
    TooLong(usize),
    /// Two consecutive dots, or a leading dot.
    #[error("empty segment at byte {0}")]
    EmptySegment(usize),
    /// A segment is neither a valid name nor an instance number / `{i}`.
    #[error("invalid path segment {0:?}")]
    InvalidSegment(Box<str>),
    /// An instance number is 0, has leading zeros or exceeds `u32::MAX`.
    #[error("invalid instance number {0:?}")]
    InvalidInstance(Box<str>),
    /// The first segment must be a name.
    #[error("path must start with a name, not {0:?}")]
    LeadingInstance(Box<str>),
    /// `instantiate` was given the wrong number of instance numbers.
    #[error("path has {expected} placeholders but {given} instance numbers were given")]
    InstanceCount {
        /// Placeholders in the path.
        expected: usize,
        /// Instance numbers supplied.
        given: usize,
    },
}

/// A validated schema path: names separated by dots, `{i}` standing for
/// instance numbers; objects end with `.`, parameters do not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaPath(Box<str>);

/// True if `s` is a TR-106 name: a letter or `_`, then letters, digits, `_` or `-`.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses an instance number: 1..=u32::MAX, no sign, no leading zeros.
pub fn parse_instance_number(s: &str) -> Result<u32, PathError> {
    let bad = || PathError::InvalidInstance(s.into());
    if s.is_empty() || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    s.parse::<u32>().map_err(|_| bad())
}

/// Iterates the segments of a path, rejecting empty ones; the trailing dot of
/// an object path does not produce a segment.
fn segments(path: &str) -> Result<Vec<&str>, PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong(path.len()));
    }
    let body = path.strip_suffix('.').unwrap_or(path);
    let mut out = Vec::with_capacity(8);
    let mut offset = 0;
    for seg in body.split('.') {
        if seg.is_empty() {
            return Err(PathError::EmptySegment(offset));
        }
        offset += seg.len() + 1;
        out.push(seg);
    }
    Ok(out)
}

impl SchemaPath {
    /// Validates a schema path (names and `{i}`; no instance numbers).
    pub fn parse(path: &str) -> Result<Self, PathError> {
        for (i, seg) in segments(path)?.into_iter().enumerate() {
            if seg == PLACEHOLDER {
                if i == 0 {
                    return Err(PathError::LeadingInstance(seg.into()));
                }
            } else if !is_valid_name(seg) {
                return Err(PathError::InvalidSegment(seg.into()));
            }
        }
        Ok(SchemaPath(path.into()))
    }

    /// Converts an instance path to its schema path plus the instance numbers
    /// in order: `A.3.B.1.` gives (`A.{i}.B.{i}.`, `[3, 1]`).
    pub fn from_instance_path(path: &str) -> Result<(Self, Vec<u32>), PathError> {
        let segs = segments(path)?;
        let mut out = String::with_capacity(path.len() + 8);
        let mut instances = Vec::new();
        for (i, seg) in segs.iter().enumerate() {
            if seg.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                if i == 0 {
                    return Err(PathError::LeadingInstance((*seg).into()));
                }
                instances.push(parse_instance_number(seg)?);
                out.push_str(PLACEHOLDER);
            } else if is_valid_name(seg) {
                out.push_str(seg);
            } else {
                return Err(PathError::InvalidSegment((*seg).into()));
            }
            out.push('.');
        }
        if !path.ends_with('.') {
            out.pop();
        }
        Ok((SchemaPath(out.into_boxed_str()), instances))
    }

    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an object path (ends with `.`).
    pub fn is_object(&self) -> bool {
        self.0.ends_with('.')
    }

    /// True for a multi-instance object path (ends with `{i}.`).
    pub fn is_multi_instance(&self) -> bool {
        self.0.ends_with("{i}.")
    }

    /// Number of `{i}` placeholders.
    pub fn placeholder_count(&self) -> usize {
        self.0.matches(PLACEHOLDER).count()
    }

    /// Replaces each `{i}` by the next instance number.
    pub fn instantiate(&self, instances: &[u32]) -> Result<String, PathError> {
        let expected = self.placeholder_count();
        if expected != instances.len() {
            return Err(PathError::InstanceCount {
                expected,
                given: instances.len(),
            });
        }
        let mut out = String::with_capacity(self.0.len() + instances.len() * 8);
        let mut rest: &str = &self.0;
        for n in instances {
            match rest.split_once(PLACEHOLDER) {
                Some((head, tail)) => {
                    out.push_str(head);
                    out.push_str(&n.to_string());
                    rest = tail;
                }
                None => break,
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Splits a parameter path into its object path and name (`None` for objects).
    pub fn split_parameter(&self) -> Option<(&str, &str)> {
        split_parameter(&self.0)
    }
}

/// Splits `A.B.Name` into (`A.B.`, `Name`); `None` for object paths or dot-less strings.
pub fn split_parameter(path: &str) -> Option<(&str, &str)> {
    if path.ends_with('.') {
        return None;
    }
    let dot = path.rfind('.')?;
    Some((&path[..=dot], &path[dot + 1..]))
}

/// Parent object of an object path: `A.B.{i}.C.` gives `A.B.{i}.`, `A.B.{i}.` gives `A.`.
pub fn parent_object_path(path: &str) -> Option<&str> {
    let body = path.strip_suffix('.')?;
    let body = match body.strip_suffix(".{i}") {
        Some(b) => b,
        None => body,
    };
    let dot = body.rfind('.')?;
    Some(&path[..=dot])
}

/// Converts an instance path to (schema path, instance numbers); see
/// [`SchemaPath::from_instance_path`].
pub fn to_schema_path(instance_path: &str) -> Result<(SchemaPath, Vec<u32>), PathError> {
    SchemaPath::from_instance_path(instance_path)
}

impl fmt::Display for SchemaPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for SchemaPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SchemaPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SchemaPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for SchemaPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SchemaPath::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_to_schema() {
        let (p, n) = to_schema_path("Device.IP.Interface.3.IPv4Address.1.").expect("valid");
        assert_eq!(p.as_str(), "Device.IP.Interface.{i}.IPv4Address.{i}.");
        assert_eq!(n, vec![3, 1]);
        assert!(p.is_object() && p.is_multi_instance());
        let (p, n) = to_schema_path("Device.IP.Interface.4294967295.Enable").expect("valid");
        assert_eq!(p.as_str(), "Device.IP.Interface.{i}.Enable");
        assert_eq!(n, vec![u32::MAX]);
        assert_eq!(
            p.split_parameter(),
            Some(("Device.IP.Interface.{i}.", "Enable"))
        );
        let (p, n) = to_schema_path("Device.").expect("valid");
        assert_eq!((p.as_str(), n.len()), ("Device.", 0));
    }

    #[test]
    fn instance_numbers_rejected() {
        for bad in [
            "Device.IP.Interface.0.",
            "Device.IP.Interface.01.",
            "Device.IP.Interface.4294967296.",
            "Device.IP.Interface.+1.",
            "Device.IP.Interface.1a.",
        ] {
            assert!(
                matches!(
                    to_schema_path(bad),
                    Err(PathError::InvalidInstance(_) | PathError::InvalidSegment(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            to_schema_path("1.Device."),
            Err(PathError::LeadingInstance(_))
        ));
        assert!(matches!(
            to_schema_path("Device.IP.[cpe-1].Enable"),
            Err(PathError::InvalidSegment(_))
        ));
        assert!(matches!(
            to_schema_path("Device.IP.{i}.Enable"),
            Err(PathError::InvalidSegment(_))
        ));
    }

    #[test]
    fn shape_errors() {
        assert_eq!(to_schema_path(""), Err(PathError::Empty));
        assert_eq!(
            to_schema_path("Device..IP"),
            Err(PathError::EmptySegment(7))
        );
        assert_eq!(to_schema_path(".Device"), Err(PathError::EmptySegment(0)));
        let long = format!("Device.{}", "A".repeat(250));
        assert_eq!(to_schema_path(&long), Err(PathError::TooLong(257)));
        let ok = format!("Device.{}", "A".repeat(249));
        assert!(to_schema_path(&ok).is_ok());
    }

    #[test]
    fn schema_path_parse_and_instantiate() {
        let p = SchemaPath::parse("Device.IP.Interface.{i}.IPv4Address.{i}.Enable").expect("ok");
        assert_eq!(p.placeholder_count(), 2);
        assert_eq!(
            p.instantiate(&[3, 1]).expect("ok"),
            "Device.IP.Interface.3.IPv4Address.1.Enable"
        );
        assert!(matches!(
            p.instantiate(&[3]),
            Err(PathError::InstanceCount {
                expected: 2,
                given: 1
            })
        ));
        assert!(SchemaPath::parse("Device.IP.3.").is_err());
        assert!(SchemaPath::parse("{i}.IP.").is_err());
        assert!(SchemaPath::parse("Device.X_ACME-COM_Foo.").is_ok());
        assert!("Device.Bad Name".parse::<SchemaPath>().is_err());
    }

    #[test]
    fn parents() {
        assert_eq!(parent_object_path("A.B.{i}.C."), Some("A.B.{i}."));
        assert_eq!(parent_object_path("A.B.{i}."), Some("A."));
        assert_eq!(parent_object_path("A.B."), Some("A."));
        assert_eq!(parent_object_path("A."), None);
        assert_eq!(parent_object_path("A.Param"), None);
    }
}
