//! Metadata of files served to CPEs.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// Metadata of a file served to CPEs (the bytes live elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Unique name.
    pub name: String,
    /// TR-069 file type, e.g. `1 Firmware Upgrade Image`.
    pub file_type: String,
    /// Target OUI (empty: any).
    pub oui: String,
    /// Target product class (empty: any).
    pub product_class: String,
    /// Version.
    pub version: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Upload time.
    pub uploaded: Timestamp,
}
