//! Files CPEs upload (configuration backups, logs), kept per device: under
//! `<data_dir>/uploads/<device key>/` each upload is a blob `<uid>` and its metadata
//! `<uid>.json`, written after the blob (an upload without metadata is never listed).

use std::path::PathBuf;

use axum::body::Body;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::blobs::{BlobDir, FileName, WriteError};
use crate::api::auth::write_atomically;
use crate::store::{DeviceId, Timestamp, new_object_id};
use cwmp::http_auth::hex;

/// Most uploads listed per device.
pub const MAX_LISTED: usize = 1000;

/// One stored upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadMeta {
    /// Its id (`uid`).
    #[serde(rename = "_id")]
    pub id: String,
    /// The device that sent it.
    pub device: String,
    /// The upload task it answered.
    pub task: String,
    /// TR-069 upload file type, e.g. `1 Vendor Configuration File`.
    pub file_type: String,
    /// Bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// When it arrived (Unix milliseconds).
    pub timestamp: i64,
}

/// The uploads directory.
#[derive(Debug, Clone)]
pub struct Uploads {
    root: PathBuf,
}

impl Uploads {
    /// Uploads under `root` (created if needed); temporary files left by a crash are
    /// removed.
    pub fn open(root: PathBuf) -> std::io::Result<Uploads> {
        std::fs::create_dir_all(&root)?;
        for entry in std::fs::read_dir(&root)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                BlobDir::open(entry.path())?;
            }
        }
        Ok(Uploads { root })
    }

    /// The device's directory: device ids may hold any character, so it is named by a hash.
    fn device_dir(&self, device: &DeviceId) -> PathBuf {
        let digest = Sha256::digest(device.as_str().as_bytes());
        self.root.join(&hex(&digest)[..32])
    }

    /// Stores `body` (at most `limit` bytes) as an upload of `device` for `task`.
    pub async fn store(
        &self,
        device: &DeviceId,
        task: &str,
        file_type: &str,
        body: Body,
        limit: u64,
    ) -> Result<UploadMeta, WriteError> {
        let dir = self.device_dir(device);
        let blobs = BlobDir::at(dir).await?;
        let id = new_object_id();
        let name = FileName::parse(&id).map_err(std::io::Error::other)?;
        let written = blobs.write(&name, body, limit).await?;
        let meta = UploadMeta {
            id: id.clone(),
            device: device.as_str().to_owned(),
            task: task.to_owned(),
            file_type: file_type.to_owned(),
            size: written.size,
            sha256: written.sha256,
            timestamp: Timestamp::now().as_millis(),
        };
        let text = serde_json::to_string(&meta).map_err(std::io::Error::other)?;
        let path = blobs.path(&name).with_extension("json");
        tokio::task::spawn_blocking(move || write_atomically(&path, &text))
            .await
            .map_err(std::io::Error::other)??;
        Ok(meta)
    }

    /// One upload of `device` and the path of its content; `None` when unknown.
    pub async fn get(
        &self,
        device: &DeviceId,
        uid: &str,
    ) -> std::io::Result<Option<(UploadMeta, PathBuf)>> {
        let Ok(name) = FileName::parse(uid) else {
            return Ok(None);
        };
        let blob = self.device_dir(device).join(name.as_str());
        match tokio::fs::read(blob.with_extension("json")).await {
            Ok(text) => {
                let meta: UploadMeta =
                    serde_json::from_slice(&text).map_err(std::io::Error::other)?;
                Ok(Some((meta, blob)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The device's uploads, oldest first, at most [`MAX_LISTED`] (the newest).
    pub async fn list(&self, device: &DeviceId) -> std::io::Result<Vec<UploadMeta>> {
        let dir = self.device_dir(device);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = tokio::fs::read(&path).await?;
            match serde_json::from_slice::<UploadMeta>(&text) {
                Ok(meta) => out.push(meta),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "unreadable upload metadata");
                }
            }
        }
        out.sort_by(|a, b| (a.timestamp, &a.id).cmp(&(b.timestamp, &b.id)));
        let excess = out.len().saturating_sub(MAX_LISTED);
        out.drain(..excess);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uploads_are_kept_per_device() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uploads = Uploads::open(dir.path().join("uploads")).expect("open");
        let a = DeviceId::from_escaped("A/../x");
        let b = DeviceId::from_escaped("B");
        let meta = uploads
            .store(
                &a,
                "t1",
                "1 Vendor Configuration File",
                Body::from("cfg"),
                10,
            )
            .await
            .expect("store");
        assert_eq!(meta.size, 3);
        assert_eq!(uploads.list(&a).await.expect("list"), vec![meta.clone()]);
        assert!(uploads.list(&b).await.expect("list").is_empty());
        let (got, path) = uploads.get(&a, &meta.id).await.expect("get").expect("some");
        assert_eq!(got, meta);
        assert_eq!(std::fs::read(path).expect("read"), b"cfg");
        assert!(uploads.get(&b, &meta.id).await.expect("get").is_none());
        assert!(uploads.get(&a, "../x").await.expect("get").is_none());
        let big = uploads.store(
            &a,
            "t2",
            "2 Vendor Log File",
            Body::from("x".repeat(11)),
            10,
        );
        assert!(matches!(big.await, Err(WriteError::TooLarge { .. })));
        assert_eq!(uploads.list(&a).await.expect("list").len(), 1);
    }
}
