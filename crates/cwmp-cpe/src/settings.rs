//! Operator settings that are not data-model parameters (`config timeout`, `download`,
//! `upload`, `backup --delay-time`, `cpe-url`'s port and path), persisted by the daemon in the
//! state dir (write-then-rename) and applied over the config file's values at start.

use std::io;
use std::path::Path;

use cwmp_datamodel::store::{StoreError, save_with};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The settings file in the state dir.
pub const FILE_NAME: &str = "settings.json";

/// What the operator changed through the CLI; `None`: the config file's value holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalSettings {
    /// Session timeout (seconds).
    pub session_timeout: Option<u32>,
    /// Accept `Download` requests.
    pub download: Option<bool>,
    /// Accept `Upload` requests.
    pub upload: Option<bool>,
    /// Backup delay (seconds).
    pub backup_delay: Option<u32>,
    /// Connection Request listener port (from `cpe-url`).
    pub cr_port: Option<u16>,
    /// Connection Request listener path (from `cpe-url`).
    pub cr_path: Option<String>,
}

impl LocalSettings {
    /// Reads the file; a missing file means no override.
    pub fn load(path: &Path) -> Result<LocalSettings, StoreError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.to_owned(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(LocalSettings::default()),
            Err(source) => Err(StoreError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Saves atomically (write-then-rename, fsynced).
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Corrupt {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        save_with(path, &bytes, &mut |_| Ok(()))
    }

    /// Overrides the config file's values with the ones set here.
    pub fn apply(&self, config: &mut Config) {
        if let Some(t) = self.session_timeout {
            config.session_timeout = t;
        }
        if let Some(d) = self.download {
            config.transfer.download = d;
        }
        if let Some(u) = self.upload {
            config.transfer.upload = u;
        }
        if let Some(d) = self.backup_delay {
            config.backup.delay = d;
        }
        if let Some(p) = self.cr_port {
            config.cpe.port = p;
        }
        if let Some(p) = &self.cr_path {
            config.cpe.path.clone_from(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_override() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        assert_eq!(
            LocalSettings::load(&path).expect("missing is fine"),
            LocalSettings::default()
        );
        let s = LocalSettings {
            session_timeout: Some(12),
            upload: Some(false),
            cr_port: Some(8000),
            cr_path: Some("/cr".into()),
            ..LocalSettings::default()
        };
        s.save(&path).expect("save");
        let back = LocalSettings::load(&path).expect("load");
        assert_eq!(back, s);
        let mut c = Config::parse(
            "state_dir = \"/x\"\n[acs]\nurl = \"http://a/\"\n[data_model]\nfile = \"f\"\n",
        )
        .expect("config");
        back.apply(&mut c);
        assert_eq!(c.session_timeout, 12);
        assert!(!c.transfer.upload && c.transfer.download);
        assert_eq!((c.cpe.port, c.cpe.path.as_str()), (8000, "/cr"));
        std::fs::write(&path, b"{\"bogus\":1}").expect("write");
        assert!(LocalSettings::load(&path).is_err());
    }
}
