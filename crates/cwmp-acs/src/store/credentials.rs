//! Per-device credentials (Connection Request and CPE Digest).

use super::DeviceId;

/// Per-device credentials. The Connection Request password is kept as given because the
/// ACS itself must answer the CPE's Digest challenge with it; the CPE's own password is only
/// kept as Digest HA1 values (`H(username:realm:password)`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceCredentials {
    /// Device.
    pub device: DeviceId,
    /// Connection Request username.
    pub cr_username: Option<String>,
    /// Connection Request password.
    pub cr_password: Option<String>,
    /// Username the CPE uses towards the ACS.
    pub cpe_username: Option<String>,
    /// Digest realm the HA1 values were computed for.
    pub cpe_realm: Option<String>,
    /// HA1 for `algorithm=MD5`, lower-case hex.
    pub cpe_ha1_md5: Option<String>,
    /// HA1 for `algorithm=SHA-256`, lower-case hex.
    pub cpe_ha1_sha256: Option<String>,
}
