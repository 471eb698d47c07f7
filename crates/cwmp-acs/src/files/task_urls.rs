//! Transfer tasks that name what to transfer rather than a URL, as GenieACS tasks do:
//! `download`/`scheduleDownload` with `file` (a stored file) or `upload` (a device's earlier
//! upload), `upload` without `url`. Before the request is built the payload gets a signed
//! URL for the device, the file's size and, when absent, its file type.

use serde_json::{Value as Json, json};

use super::FileService;
use super::signing::Grant;
use crate::session::InvalidTask;
use crate::store::{DeviceId, Timestamp};

/// Upload file type of a configuration backup, and the download type that restores it.
const CONFIG_UPLOAD: &str = "1 Vendor Configuration File";
const CONFIG_DOWNLOAD: &str = "3 Vendor Configuration File";

fn bad(msg: impl Into<String>) -> InvalidTask {
    InvalidTask(msg.into())
}

fn seconds(p: &Json, key: &str) -> u64 {
    p.get(key).and_then(Json::as_u64).unwrap_or(0)
}

/// Latest `windowEnd` of a `scheduleDownload`'s `timeWindows` (seconds from now).
fn latest_window_end(p: &Json) -> u64 {
    p.get("timeWindows")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|w| seconds(w, "windowEnd"))
        .max()
        .unwrap_or(0)
}

/// The payload of task `task_id` (`name`, `payload`) for `device` with its file server
/// references turned into signed URLs, valid from `now` until the transfer's latest start
/// plus the transfer timeout. Payloads with a `url`, and other tasks, are returned as they
/// are.
pub async fn resolve(
    files: Option<&FileService>,
    device: &DeviceId,
    task_id: &str,
    name: &str,
    payload: &Json,
    now: Timestamp,
) -> Result<Json, InvalidTask> {
    let is_download = matches!(name, "download" | "scheduleDownload");
    if !(is_download || name == "upload") || payload.get("url").is_some() {
        return Ok(payload.clone());
    }
    let file = payload.get("file").and_then(Json::as_str);
    let upload = payload.get("upload").and_then(Json::as_str);
    if is_download && file.is_none() && upload.is_none() {
        return Err(bad("a download needs \"url\", \"file\" or \"upload\""));
    }
    let files = files.ok_or_else(|| bad("no file server is configured"))?;
    if files.settings().base_url.is_empty() {
        return Err(bad("no file server URL is configured (file_base_url)"));
    }
    let start = if name == "scheduleDownload" {
        latest_window_end(payload)
    } else {
        seconds(payload, "delaySeconds")
    };
    let now_secs = u64::try_from(now.as_millis() / 1000).unwrap_or(0);
    let expires = now_secs
        .saturating_add(start)
        .saturating_add(files.settings().transfer_timeout.as_secs());
    let mut out = payload.clone();
    let Some(obj) = out.as_object_mut() else {
        return Err(bad("a task must be a JSON object"));
    };
    if !is_download {
        let url = files.signed_url(Grant::Upload, task_id, device, expires);
        obj.insert("url".into(), json!(url));
        return Ok(out);
    }
    let (url, size, file_type) = match (file, upload) {
        (Some(file), _) => {
            let (meta, _) = files.file(file).await.map_err(|e| bad(e.to_string()))?;
            let url = files.signed_url(Grant::File, &meta.name, device, expires);
            (url, meta.size, meta.file_type)
        }
        (None, Some(uid)) => {
            let (meta, _) = files
                .uploads()
                .get(device, uid)
                .await
                .map_err(|e| bad(format!("reading upload {uid}: {e}")))?
                .ok_or_else(|| bad(format!("device has no upload {uid}")))?;
            let url = files.signed_url(Grant::Uploaded, &meta.id, device, expires);
            let file_type = if meta.file_type == CONFIG_UPLOAD {
                CONFIG_DOWNLOAD.to_owned()
            } else {
                String::new()
            };
            (url, meta.size, file_type)
        }
        (None, None) => return Err(bad("a download needs \"url\", \"file\" or \"upload\"")),
    };
    obj.insert("url".into(), json!(url));
    // FileSize is an unsignedInt; 0 means "unknown" (TR-069 §A.4.1.5).
    obj.insert("fileSize".into(), json!(u32::try_from(size).unwrap_or(0)));
    if obj.get("fileType").is_none_or(Json::is_null) {
        if file_type.is_empty() {
            return Err(bad("fileType is required"));
        }
        obj.insert("fileType".into(), json!(file_type));
    }
    Ok(out)
}
