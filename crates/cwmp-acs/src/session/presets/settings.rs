//! Settings of the preset engine.

use std::time::Duration;

/// How presets are applied (part of [`crate::session::SessionConfig`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetSettings {
    /// Base URL firmware files are served from; a Download's URL is `<base>/<file name>`.
    /// Empty: firmware presets fault with `firmware_unconfigured`. (The file server is a
    /// separate component; this is its seam.)
    pub file_base_url: String,
    /// Give every bootstrapping device Connection Request credentials, whether or not a
    /// preset asks for them.
    pub cr_credentials_on_bootstrap: bool,
    /// Most preset RPCs in one session; beyond it the presets still changing things are
    /// stopped with a `preset_loop` fault.
    pub max_rpcs_per_session: u32,
    /// A preset that made changes in this many consecutive sessions is stopped with a
    /// `preset_loop` fault (until the fault is deleted).
    pub max_changing_sessions: u32,
    /// How long sessions reuse the presets they read ([`super::PresetCache`]); zero: each
    /// session reads them.
    pub catalog_ttl: Duration,
}

impl Default for PresetSettings {
    fn default() -> PresetSettings {
        PresetSettings {
            file_base_url: String::new(),
            cr_credentials_on_bootstrap: false,
            max_rpcs_per_session: 32,
            max_changing_sessions: 4,
            catalog_ttl: Duration::ZERO,
        }
    }
}
