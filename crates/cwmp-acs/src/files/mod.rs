//! Files and firmware: the files operators store through the API (content under
//! `<data_dir>/files/`, metadata in the [`Store`]), the files CPEs upload ([`uploads`]), the
//! signed URLs CPEs get them with ([`signing`]) and the file server that serves them on its
//! own listener ([`server`]).

pub mod blobs;
pub mod idle_io;
pub mod range;
pub mod server;
pub mod signing;
pub mod task_urls;
pub mod uploads;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;

use blobs::{BlobDir, FileName, WriteError};
use signing::{Grant, UrlSigner};
use uploads::Uploads;

use crate::config::Config;
use crate::store::{DeviceId, FileMeta, Store, StoreError, Timestamp};

/// Limits and addresses of the file service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// Public base URL of the file server, as CPEs reach it (e.g. `https://acs:7567`);
    /// empty: derived for each CPE from the host it reached the CWMP endpoint at
    /// ([`FileService::base_for`]).
    pub base_url: String,
    /// The file server's port, for a derived base URL.
    pub port: u16,
    /// The file server speaks HTTPS, for a derived base URL.
    pub tls: bool,
    /// Largest file stored through the API.
    pub max_file_bytes: u64,
    /// Largest file a CPE may upload.
    pub max_upload_bytes: u64,
    /// Most transfers served at once.
    pub max_concurrent: usize,
    /// A connection idle this long is closed.
    pub idle_timeout: Duration,
    /// Lifetime of a signed URL past the transfer's earliest start; also the time a CPE has
    /// to report a transfer it accepted.
    pub transfer_timeout: Duration,
}

impl FileSettings {
    /// See [`FileService::base_for`].
    pub fn base_for(&self, reached: Option<&str>) -> Option<String> {
        if !self.base_url.is_empty() {
            return Some(self.base_url.clone());
        }
        let authority: axum::http::uri::Authority = reached?.parse().ok()?;
        let scheme = if self.tls { "https" } else { "http" };
        Some(format!("{scheme}://{}:{}", authority.host(), self.port))
    }

    /// The settings of a server configuration.
    pub fn from_config(config: &Config) -> FileSettings {
        FileSettings {
            base_url: config.file_base_url.trim_end_matches('/').to_owned(),
            port: config.file_listen.port(),
            tls: config.file_tls_cert_file.is_some(),
            max_file_bytes: config.max_file_bytes,
            max_upload_bytes: config.max_upload_bytes,
            max_concurrent: config.max_concurrent_transfers.max(1),
            idle_timeout: Duration::from_secs(config.file_idle_timeout_secs.max(1)),
            transfer_timeout: Duration::from_secs(config.transfer_timeout_secs.max(1)),
        }
    }
}

/// Why a file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The name is not acceptable.
    #[error("{0}")]
    BadName(String),
    /// No such file.
    #[error("no file {0}")]
    NotFound(String),
    /// Writing the content failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The disk failed.
    #[error("file storage: {0}")]
    Io(#[from] std::io::Error),
}

/// Metadata given with a file stored through the API (GenieACS headers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// TR-069 file type, e.g. `1 Firmware Upgrade Image`.
    pub file_type: String,
    /// Target OUI.
    pub oui: String,
    /// Target product class.
    pub product_class: String,
    /// Version.
    pub version: String,
}

/// Stored files, uploads and URL signing, shared by the API, the file server and the
/// session engine.
pub struct FileService {
    store: Arc<dyn Store>,
    files: BlobDir,
    uploads: Uploads,
    signer: UrlSigner,
    settings: FileSettings,
}

impl std::fmt::Debug for FileService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileService")
            .field("files", &self.files)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl FileService {
    /// The service over `data_dir` (`files/`, `uploads/` and the signing key, created when
    /// absent) and `store`.
    pub fn open(
        data_dir: &Path,
        store: Arc<dyn Store>,
        settings: FileSettings,
    ) -> std::io::Result<FileService> {
        Ok(FileService {
            store,
            files: BlobDir::open(data_dir.join("files"))?,
            uploads: Uploads::open(data_dir.join("uploads"))?,
            signer: UrlSigner::load_or_init(data_dir)?,
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &FileSettings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The URL signer.
    pub fn signer(&self) -> &UrlSigner {
        &self.signer
    }

    /// The uploads of CPEs.
    pub fn uploads(&self) -> &Uploads {
        &self.uploads
    }

    /// Stores `body` as file `name` with `info`: content first (synced, renamed), then its
    /// metadata, so that listed metadata always has its content.
    pub async fn put_file(
        &self,
        name: &str,
        info: FileInfo,
        body: Body,
    ) -> Result<FileMeta, FileError> {
        let name = FileName::parse(name).map_err(FileError::BadName)?;
        let written = self
            .files
            .write(&name, body, self.settings.max_file_bytes)
            .await?;
        let meta = FileMeta {
            name: name.as_str().to_owned(),
            file_type: info.file_type,
            oui: info.oui,
            product_class: info.product_class,
            version: info.version,
            size: written.size,
            sha256: written.sha256,
            uploaded: Timestamp::now(),
        };
        self.store.put_file(meta.clone()).await?;
        Ok(meta)
    }

    /// Deletes file `name`: metadata first, then content. `false` when unknown.
    pub async fn delete_file(&self, name: &str) -> Result<bool, FileError> {
        let name = FileName::parse(name).map_err(FileError::BadName)?;
        let known = self.store.delete_file(name.as_str()).await?;
        let had_content = self.files.remove(&name).await?;
        Ok(known || had_content)
    }

    /// File `name`'s metadata and content path.
    pub async fn file(&self, name: &str) -> Result<(FileMeta, std::path::PathBuf), FileError> {
        let parsed = FileName::parse(name).map_err(FileError::BadName)?;
        let meta = self
            .store
            .get_file(parsed.as_str())
            .await?
            .ok_or_else(|| FileError::NotFound(name.to_owned()))?;
        Ok((meta, self.files.path(&parsed)))
    }

    /// The base URL a CPE that reached the CWMP endpoint at `reached` (its `Host` header)
    /// gets: `file_base_url` when configured, else the same host on the file server's port
    /// and scheme. `None` when neither is known.
    pub fn base_for(&self, reached: Option<&str>) -> Option<String> {
        self.settings.base_for(reached)
    }

    /// The signed URL granting `device` `grant` on `name` until `expires` (Unix seconds),
    /// under the configured base URL.
    pub fn signed_url(&self, grant: Grant, name: &str, device: &DeviceId, expires: u64) -> String {
        self.signed_url_at(&self.settings.base_url, grant, name, device, expires)
    }

    /// [`FileService::signed_url`] under base URL `base`.
    pub fn signed_url_at(
        &self,
        base: &str,
        grant: Grant,
        name: &str,
        device: &DeviceId,
        expires: u64,
    ) -> String {
        let path = match grant {
            Grant::File => "files",
            Grant::Upload => "uploads",
            Grant::Uploaded => "uploaded",
        };
        let signature = self.signer.sign(grant, name, device.as_str(), expires);
        format!(
            "{}/{path}/{}?d={}&e={expires}&s={signature}",
            base.trim_end_matches('/'),
            percent_encode(name),
            percent_encode(device.as_str())
        )
    }
}

/// Percent-encodes all but the unreserved characters (RFC 3986 §2.3).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::FileSettings;
    use crate::config::Config;

    #[test]
    fn file_urls_follow_the_host_the_cpe_reached_unless_configured() {
        let mut settings = FileSettings::from_config(&Config::default());
        settings.port = 7567;
        assert_eq!(
            settings.base_for(Some("acs.example.net:7547")).as_deref(),
            Some("http://acs.example.net:7567")
        );
        assert_eq!(
            settings.base_for(Some("[2001:db8::1]:7547")).as_deref(),
            Some("http://[2001:db8::1]:7567")
        );
        assert_eq!(settings.base_for(Some("bad host/x")), None);
        assert_eq!(settings.base_for(None), None);
        settings.tls = true;
        assert_eq!(
            settings.base_for(Some("10.0.0.1")).as_deref(),
            Some("https://10.0.0.1:7567")
        );
        settings.base_url = "https://files.example.net".into();
        assert_eq!(
            settings.base_for(Some("acs.example.net")).as_deref(),
            Some("https://files.example.net")
        );
    }

    use super::percent_encode;

    #[test]
    fn encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(
            percent_encode("00259E-HG 8245/x%"),
            "00259E-HG%208245%2Fx%25"
        );
    }
}
