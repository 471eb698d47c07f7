//! Device profiles (TOML): which part of a data model a device implements,
//! its initial values and instances, and vendor (`X_<OUI>_`) extensions.
//!
//! ```toml
//! name = "example"
//! root = "Device."
//! [[object]]
//! path = "Device.WiFi.SSID.{i}."
//! parameters = ["Enable", "SSID"]      # or ["*"] for every schema parameter
//! values = { Enable = false }           # initial value in every instance
//! count = 2                             # instances created under each parent instance
//! [[instance]]
//! path = "Device.WiFi.SSID.1."
//! values = { SSID = "acme-2g" }
//! [[parameter]]                         # a vendor parameter
//! path = "Device.WiFi.X_ACME-COM_Band"
//! type = "string"
//! access = "readWrite"
//! enumeration = ["2.4GHz", "5GHz"]
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::schema::{ActiveNotify, ObjectAccess, ParamAccess};

/// The TR-181 home-gateway profile shipped with the crate.
pub const TR181_GATEWAY: &str = include_str!("../profiles/tr181-gateway.toml");
/// The TR-098 home-gateway profile shipped with the crate.
pub const TR098_GATEWAY: &str = include_str!("../profiles/tr098-gateway.toml");

/// A parsed device profile.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile name (saved with persisted state).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Root object, `Device.` or `InternetGatewayDevice.`.
    pub root: String,
    /// Implemented objects (ancestors are added automatically).
    #[serde(default, rename = "object")]
    pub objects: Vec<ProfileObject>,
    /// Explicit instances with their own values.
    #[serde(default, rename = "instance")]
    pub instances: Vec<ProfileInstance>,
    /// Vendor parameters (not in the schema).
    #[serde(default, rename = "parameter")]
    pub parameters: Vec<VendorParameter>,
}

/// One implemented object (schema path, `{i}` for tables).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileObject {
    /// Schema path, e.g. `Device.WiFi.SSID.{i}.`.
    pub path: String,
    /// Names of implemented schema parameters; `"*"` means all of them.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// Initial values (every instance), by parameter name.
    #[serde(default)]
    pub values: BTreeMap<String, toml::Value>,
    /// Tables: instances created under each parent instance (numbered 1..=count).
    #[serde(default)]
    pub count: u32,
    /// Vendor objects only: access (`readOnly` / `readWrite`).
    #[serde(default)]
    pub access: Option<ProfileObjectAccess>,
    /// Vendor tables only: maximum number of entries.
    #[serde(default)]
    pub max_entries: Option<u32>,
}

/// An explicit instance: an instance path and values overriding the object's.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileInstance {
    /// Instance path, e.g. `Device.IP.Interface.1.IPv4Address.1.`.
    pub path: String,
    /// Values by parameter name.
    #[serde(default)]
    pub values: BTreeMap<String, toml::Value>,
}

/// Object access as written in a profile.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ProfileObjectAccess {
    /// Fixed instances.
    ReadOnly,
    /// AddObject / DeleteObject allowed.
    ReadWrite,
}

impl From<ProfileObjectAccess> for ObjectAccess {
    fn from(a: ProfileObjectAccess) -> Self {
        match a {
            ProfileObjectAccess::ReadOnly => ObjectAccess::ReadOnly,
            ProfileObjectAccess::ReadWrite => ObjectAccess::ReadWrite,
        }
    }
}

/// Parameter access as written in a profile.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ProfileParamAccess {
    /// Only the CPE sets it.
    #[default]
    ReadOnly,
    /// The ACS may set it.
    ReadWrite,
    /// The ACS may set it once.
    WriteOnceReadOnly,
}

impl From<ProfileParamAccess> for ParamAccess {
    fn from(a: ProfileParamAccess) -> Self {
        match a {
            ProfileParamAccess::ReadOnly => ParamAccess::ReadOnly,
            ProfileParamAccess::ReadWrite => ParamAccess::ReadWrite,
            ProfileParamAccess::WriteOnceReadOnly => ParamAccess::WriteOnceReadOnly,
        }
    }
}

/// Active-notification support as written in a profile (`activeNotify`).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ProfileNotify {
    /// Any setting.
    #[default]
    Normal,
    /// The CPE may refuse active notification.
    CanDeny,
    /// Always active.
    ForceEnabled,
    /// Active by default.
    ForceDefaultEnabled,
}

impl From<ProfileNotify> for ActiveNotify {
    fn from(n: ProfileNotify) -> Self {
        match n {
            ProfileNotify::Normal => ActiveNotify::Normal,
            ProfileNotify::CanDeny => ActiveNotify::CanDeny,
            ProfileNotify::ForceEnabled => ActiveNotify::ForceEnabled,
            ProfileNotify::ForceDefaultEnabled => ActiveNotify::ForceDefaultEnabled,
        }
    }
}

/// A vendor extension parameter declared in the profile.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VendorParameter {
    /// Schema path; its name must start with `X_`, e.g. `Device.DeviceInfo.X_ACME-COM_Boots`.
    pub path: String,
    /// Data-model base type: `string`, `int`, `unsignedInt`, `long`, `unsignedLong`,
    /// `boolean`, `dateTime`, `base64`, `hexBinary`, `decimal`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Access (default `readOnly`).
    #[serde(default)]
    pub access: ProfileParamAccess,
    /// `activeNotify` (default `normal`).
    #[serde(default)]
    pub notify: ProfileNotify,
    /// Sent in every Inform.
    #[serde(default)]
    pub forced_inform: bool,
    /// Initial value (default: the type's null value).
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// Allowed values.
    #[serde(default)]
    pub enumeration: Vec<String>,
    /// Allowed patterns (anchored regular expressions).
    #[serde(default)]
    pub pattern: Vec<String>,
    /// Minimum length (strings).
    #[serde(default)]
    pub min_length: Option<u32>,
    /// Maximum length (strings).
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Minimum value (integers).
    #[serde(default)]
    pub min: Option<i64>,
    /// Maximum value (integers).
    #[serde(default)]
    pub max: Option<i64>,
    /// The value is a comma-separated list of items of `type`.
    #[serde(default)]
    pub list: bool,
    /// Secured: reads back as the null value (passwords).
    #[serde(default)]
    pub secured: bool,
}

/// A profile that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Not valid TOML or wrong shape.
    #[error("profile: {0}")]
    Toml(#[from] toml::de::Error),
    /// The profile does not fit the schema.
    #[error("profile {profile}: {message}")]
    Invalid {
        /// Profile name.
        profile: String,
        /// What is wrong.
        message: String,
    },
}

impl Profile {
    /// Parses a profile from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ProfileError> {
        Ok(toml::from_str(text)?)
    }

    /// The shipped TR-181 gateway profile.
    pub fn tr181_gateway() -> Result<Self, ProfileError> {
        Self::from_toml(TR181_GATEWAY)
    }

    /// The shipped TR-098 gateway profile.
    pub fn tr098_gateway() -> Result<Self, ProfileError> {
        Self::from_toml(TR098_GATEWAY)
    }

    /// A profile implementing every object and parameter under `root`, without instances.
    pub fn everything(root: &str) -> Self {
        Profile {
            name: "everything".into(),
            description: None,
            root: root.into(),
            objects: vec![ProfileObject {
                path: "*".into(),
                parameters: vec!["*".into()],
                values: BTreeMap::new(),
                count: 0,
                access: None,
                max_entries: None,
            }],
            instances: Vec::new(),
            parameters: Vec::new(),
        }
    }
}

/// Text of a TOML scalar as a parameter value (`true`, `42`, `"x"` → `x`).
pub(crate) fn toml_text(v: &toml::Value) -> Option<String> {
    Some(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) | toml::Value::Table(_) => return None,
    })
}
