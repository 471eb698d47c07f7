//! CWMP protocol versions and the XML namespaces that carry them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A CWMP protocol version, 1.0 to 1.4.
///
/// Versions 1.2, 1.3 and 1.4 share the namespace `urn:dslforum-org:cwmp-1-2`: the namespace
/// alone cannot tell them apart, only the `SupportedCWMPVersions`/`UseCWMPVersion` headers can
/// (TR-069 Amendment 5, §3.5.1 and Annex I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CwmpVersion {
    /// CWMP 1.0, namespace `urn:dslforum-org:cwmp-1-0`.
    #[serde(rename = "1.0")]
    V1_0,
    /// CWMP 1.1, namespace `urn:dslforum-org:cwmp-1-1`.
    #[serde(rename = "1.1")]
    V1_1,
    /// CWMP 1.2, the first to use namespace `urn:dslforum-org:cwmp-1-2`.
    #[serde(rename = "1.2")]
    V1_2,
    /// CWMP 1.3; shares the 1-2 namespace, told apart only by the version headers.
    #[serde(rename = "1.3")]
    V1_3,
    /// CWMP 1.4; shares the 1-2 namespace, told apart only by the version headers.
    #[serde(rename = "1.4")]
    V1_4,
}

impl CwmpVersion {
    /// Every version, oldest first.
    pub const ALL: [CwmpVersion; 5] = [
        CwmpVersion::V1_0,
        CwmpVersion::V1_1,
        CwmpVersion::V1_2,
        CwmpVersion::V1_3,
        CwmpVersion::V1_4,
    ];

    /// The newest version this crate speaks.
    pub const LATEST: CwmpVersion = CwmpVersion::V1_4;

    /// The namespace URI of the `cwmp` prefix for this version.
    pub fn namespace(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "urn:dslforum-org:cwmp-1-0",
            CwmpVersion::V1_1 => "urn:dslforum-org:cwmp-1-1",
            CwmpVersion::V1_2 | CwmpVersion::V1_3 | CwmpVersion::V1_4 => {
                "urn:dslforum-org:cwmp-1-2"
            }
        }
    }

    /// The version a namespace URI stands for (1-2 maps to 1.2, the lowest that uses it).
    pub fn from_namespace(uri: &str) -> Option<CwmpVersion> {
        match uri.trim() {
            "urn:dslforum-org:cwmp-1-0" => Some(CwmpVersion::V1_0),
            "urn:dslforum-org:cwmp-1-1" => Some(CwmpVersion::V1_1),
            "urn:dslforum-org:cwmp-1-2" => Some(CwmpVersion::V1_2),
            _ => None,
        }
    }

    /// `"1.0"` … `"1.4"`, as written in the version headers.
    pub fn as_str(self) -> &'static str {
        match self {
            CwmpVersion::V1_0 => "1.0",
            CwmpVersion::V1_1 => "1.1",
            CwmpVersion::V1_2 => "1.2",
            CwmpVersion::V1_3 => "1.3",
            CwmpVersion::V1_4 => "1.4",
        }
    }
}

impl fmt::Display for CwmpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string that is not one of 1.0 … 1.4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CWMP version {0:?} (expected 1.0 to 1.4)")]
pub struct UnknownVersion(pub String);

impl FromStr for CwmpVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CwmpVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| UnknownVersion(s.to_owned()))
    }
}

/// Parses a `SupportedCWMPVersions` list such as `"1.0,1.1,1.2"`; unknown entries are skipped
/// so that a CPE newer than us still negotiates (TR-069 Annex I).
pub fn parse_version_list(s: &str) -> Vec<CwmpVersion> {
    let mut out: Vec<CwmpVersion> = s.split(',').filter_map(|v| v.parse().ok()).collect();
    out.sort();
    out.dedup();
    out
}

/// Writes a version list in the `SupportedCWMPVersions` form.
pub fn format_version_list(versions: &[CwmpVersion]) -> String {
    let parts: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_round_trip() {
        for v in [CwmpVersion::V1_0, CwmpVersion::V1_1, CwmpVersion::V1_2] {
            assert_eq!(CwmpVersion::from_namespace(v.namespace()), Some(v));
        }
        assert_eq!(CwmpVersion::V1_4.namespace(), CwmpVersion::V1_2.namespace());
        assert_eq!(
            CwmpVersion::from_namespace("urn:dslforum-org:cwmp-1-3"),
            None
        );
    }

    #[test]
    fn version_lists() {
        assert_eq!(
            parse_version_list("1.4, 1.0,9.9,1.2"),
            vec![CwmpVersion::V1_0, CwmpVersion::V1_2, CwmpVersion::V1_4]
        );
        assert_eq!(
            format_version_list(&[CwmpVersion::V1_0, CwmpVersion::V1_4]),
            "1.0,1.4"
        );
        assert!("2.0".parse::<CwmpVersion>().is_err());
    }
}
