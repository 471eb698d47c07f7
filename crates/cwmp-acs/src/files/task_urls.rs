//! Transfer tasks that name what to transfer rather than a URL, as GenieACS tasks do:
//! `download`/`scheduleDownload` with `file` or `fileName` (a stored file) or `upload` (a
//! device's earlier upload), `upload` without `url`. Before the request is built the task gets
//! a signed URL for the device, the file's size and, when absent, its file type.

use super::FileService;
use super::signing::Grant;
use crate::store::{DeviceId, Timestamp};
use crate::task::{InvalidTask, TaskSpec, TransferSpec};

/// Upload file type of a configuration backup, and the download type that restores it.
const CONFIG_UPLOAD: &str = "1 Vendor Configuration File";
const CONFIG_DOWNLOAD: &str = "3 Vendor Configuration File";

fn bad(msg: impl Into<String>) -> InvalidTask {
    InvalidTask(msg.into())
}

/// Where a CPE finds the file server: the base URL and the device it is signed for.
pub struct Origin<'a> {
    /// The file service.
    pub files: Option<&'a FileService>,
    /// The host the CPE reached the CWMP endpoint at (its `Host` header).
    pub reached: Option<&'a str>,
    /// The device.
    pub device: &'a DeviceId,
}

/// Task `task_id` with its file server references turned into signed URLs, valid from `now`
/// until the transfer's latest start plus the transfer timeout. Tasks with a `url`, and
/// other tasks, are returned as they are.
pub async fn resolve(
    origin: &Origin<'_>,
    task_id: &str,
    spec: TaskSpec,
    now: Timestamp,
) -> Result<TaskSpec, InvalidTask> {
    match spec {
        TaskSpec::Download(t) if t.url.is_none() => {
            let start = t.delay_seconds.unwrap_or(0);
            Ok(TaskSpec::Download(download(origin, t, start, now).await?))
        }
        TaskSpec::ScheduleDownload(t) if t.url.is_none() => {
            let start = t
                .time_windows
                .iter()
                .map(|w| w.window_end)
                .max()
                .unwrap_or(0);
            Ok(TaskSpec::ScheduleDownload(
                download(origin, t, start, now).await?,
            ))
        }
        TaskSpec::Upload(mut t) if t.url.is_none() => {
            let (files, base) = base(origin)?;
            let expires = expiry(files, now, t.delay_seconds.unwrap_or(0));
            t.url =
                Some(files.signed_url_at(&base, Grant::Upload, task_id, origin.device, expires));
            Ok(TaskSpec::Upload(t))
        }
        other => Ok(other),
    }
}

fn base<'a>(origin: &Origin<'a>) -> Result<(&'a FileService, String), InvalidTask> {
    let files = origin
        .files
        .ok_or_else(|| bad("no file server is configured"))?;
    let base = files.base_for(origin.reached).ok_or_else(|| {
        bad("no file server URL: set file_base_url (the CPE sent no usable Host header)")
    })?;
    Ok((files, base))
}

/// Unix seconds until which a URL for a transfer starting `start` seconds from `now` works.
fn expiry(files: &FileService, now: Timestamp, start: u32) -> u64 {
    u64::try_from(now.as_millis() / 1000)
        .unwrap_or(0)
        .saturating_add(u64::from(start))
        .saturating_add(files.settings().transfer_timeout.as_secs())
}

async fn download(
    origin: &Origin<'_>,
    mut t: TransferSpec,
    start: u32,
    now: Timestamp,
) -> Result<TransferSpec, InvalidTask> {
    let (files, base) = base(origin)?;
    let expires = expiry(files, now, start);
    let (url, size, file_type) = if let Some(file) = t.stored_file() {
        let (meta, _) = files.file(file).await.map_err(|e| bad(e.to_string()))?;
        let url = files.signed_url_at(&base, Grant::File, &meta.name, origin.device, expires);
        (url, meta.size, meta.file_type)
    } else if let Some(uid) = &t.upload {
        let (meta, _) = files
            .uploads()
            .get(origin.device, uid)
            .await
            .map_err(|e| bad(format!("reading upload {uid}: {e}")))?
            .ok_or_else(|| bad(format!("device has no upload {uid}")))?;
        let url = files.signed_url_at(&base, Grant::Uploaded, &meta.id, origin.device, expires);
        let file_type = if meta.file_type == CONFIG_UPLOAD {
            CONFIG_DOWNLOAD.to_owned()
        } else {
            String::new()
        };
        (url, meta.size, file_type)
    } else {
        return Err(bad("a download needs url, file, fileName or upload"));
    };
    t.url = Some(url);
    // FileSize is an unsignedInt; 0 means "unknown" (TR-069 §A.4.1.5).
    t.file_size = Some(t.file_size.unwrap_or(u32::try_from(size).unwrap_or(0)));
    if t.file_type.is_none() {
        if file_type.is_empty() {
            return Err(bad("fileType is required"));
        }
        t.file_type = Some(file_type);
    }
    Ok(t)
}
