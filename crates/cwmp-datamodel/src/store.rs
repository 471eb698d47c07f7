//! Crash-safe persistence of a device's writable state: values, instances,
//! next instance numbers, attributes, ParameterKey and pending changes.
//!
//! A save writes a temporary file in the same directory, fsyncs it, renames
//! it over the target and fsyncs the directory, so a crash at any instant
//! leaves either the old or the new file. Loading reads only the target; a
//! temporary file left behind by a crash is ignored (and overwritten by the next save).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Model, Resolved};
use crate::tree::{Attr, State, Tree, key};

/// Format version written in every file.
const FORMAT: u32 = 1;

/// Persistence failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The file is not a saved tree.
    #[error("{}: {message}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A step of [`save_with`] (for crash-injection tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveStep {
    /// The temporary file has been written (not yet synced).
    TempWritten,
    /// The temporary file has been fsynced.
    TempSynced,
    /// The temporary file has been renamed over the target.
    Renamed,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    format: u32,
    model: String,
    profile: String,
    parameter_key: String,
    /// Instance path → parameter name → value.
    instances: BTreeMap<String, BTreeMap<String, String>>,
    /// Parameter path → (notification, subscriber).
    attributes: BTreeMap<String, (u8, bool)>,
    /// Table path → next instance number.
    next: BTreeMap<String, u32>,
    /// Parameters with a pending value change.
    changed: Vec<String>,
    active_pending: bool,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The temporary file used while saving `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

impl Tree {
    /// Serializes the writable state (JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        let m = &self.model;
        let mut saved = Saved {
            format: FORMAT,
            model: m.schema().model_name().to_owned(),
            profile: m.profile_name().to_owned(),
            parameter_key: self.st.parameter_key.to_string(),
            instances: BTreeMap::new(),
            attributes: BTreeMap::new(),
            next: BTreeMap::new(),
            changed: Vec::new(),
            active_pending: self.st.active_pending,
        };
        for (k, inst) in &self.st.instances {
            let (obj, nums) = (k[0], &k[1..]);
            let (a, _) = m.obj(obj).params;
            let mut values = BTreeMap::new();
            // Only values differing from the model's initial ones are stored.
            for (local, v) in &inst.values {
                let p = a + local;
                if m.param(p).derived.is_none() {
                    values.insert(m.param(p).name.to_string(), v.to_string());
                }
            }
            for (local, attr) in &inst.attrs {
                saved.attributes.insert(
                    m.param_path(a + local, nums),
                    (attr.notification, attr.subscriber),
                );
            }
            saved.instances.insert(m.object_path(obj, nums), values);
        }
        for (k, n) in &self.st.next {
            saved.next.insert(m.object_path(k[0], &k[1..]), *n);
        }
        for k in &self.st.changed {
            saved.changed.push(m.param_path(k[0], &k[1..]));
        }
        // Serializing plain maps and strings cannot fail.
        serde_json::to_vec(&saved).unwrap_or_default()
    }

    /// Rebuilds a tree from [`Tree::to_bytes`] output. Instances, values and
    /// attributes the model no longer implements are skipped.
    pub fn from_bytes(model: Arc<Model>, bytes: &[u8]) -> Result<Tree, String> {
        let saved: Saved = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if saved.format != FORMAT {
            return Err(format!("unknown format {}", saved.format));
        }
        if saved.model != model.schema().model_name() {
            return Err(format!(
                "saved for model {}, not {}",
                saved.model,
                model.schema().model_name()
            ));
        }
        let m = &*model;
        let mut st = State {
            parameter_key: saved.parameter_key.into(),
            active_pending: saved.active_pending,
            ..State::default()
        };
        // Parents sort before their children (a path is a prefix of its children's).
        for (path, values) in &saved.instances {
            let Some(Resolved::Object { obj, nums }) = m.resolve(path) else {
                continue;
            };
            let parent_ok = match m.obj(obj).parent {
                None => true,
                Some(p) => st.exists(p, &nums[..m.obj(p).depth]),
            };
            if !parent_ok {
                continue;
            }
            if !st.exists(obj, &nums) {
                st.create_instance(m, obj, &nums);
            }
            for (name, v) in values {
                if let Some(p) = m.param_by_name(obj, name) {
                    st.store(m, p, &nums, v.as_str().into());
                }
            }
        }
        for (path, (n, sub)) in &saved.attributes {
            if let Some(Resolved::Param { param, nums }) = m.resolve(path) {
                let default = Attr {
                    notification: m.default_notification(param),
                    subscriber: false,
                };
                let local = m.local(param) as u32;
                if let Some(inst) = st.get_mut(m.param(param).object, &nums) {
                    let attr = Attr {
                        notification: *n,
                        subscriber: *sub,
                    };
                    inst.set_attr(local, attr, default);
                }
            }
        }
        st.next.clear();
        for (k, _) in st.instances.iter() {
            let (obj, nums) = (k[0], &k[1..]);
            if let Some((&n, parent)) = nums.split_last().filter(|_| m.obj(obj).multi) {
                let e = st.next.entry(key(obj, parent).into()).or_insert(1);
                *e = (*e).max(n.saturating_add(1));
            }
        }
        for (path, n) in &saved.next {
            if let Some(Resolved::Table { obj, nums }) = m.resolve(path) {
                let e = st.next.entry(key(obj, &nums).into()).or_insert(1);
                *e = (*e).max(*n);
            }
        }
        for path in &saved.changed {
            if let Some(Resolved::Param { param, nums }) = m.resolve(path) {
                if st.exists(m.param(param).object, &nums) {
                    st.changed.insert(key(param, &nums).into());
                }
            }
        }
        Ok(Tree { model, st })
    }

    /// Saves atomically to `path` (see the module documentation).
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        save_with(path, &self.to_bytes(), &mut |_| Ok(()))
    }

    /// Loads a tree saved by [`Tree::save`]; `Ok(None)` if the file does not exist.
    pub fn load(model: Arc<Model>, path: &Path) -> Result<Option<Tree>, StoreError> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(path)(e)),
        };
        Tree::from_bytes(model, &bytes)
            .map(Some)
            .map_err(|message| StoreError::Corrupt {
                path: path.to_owned(),
                message,
            })
    }
}

/// Writes `bytes` to `path` atomically, calling `hook` after each step; an
/// error from the hook aborts the save there, as a crash would.
pub fn save_with(
    path: &Path,
    bytes: &[u8],
    hook: &mut dyn FnMut(SaveStep) -> io::Result<()>,
) -> Result<(), StoreError> {
    save_steps(path, &temp_path(path), bytes, hook).map_err(io_err(path))
}

fn save_steps(
    path: &Path,
    tmp: &Path,
    bytes: &[u8],
    hook: &mut dyn FnMut(SaveStep) -> io::Result<()>,
) -> io::Result<()> {
    {
        let mut f = File::create(tmp)?;
        f.write_all(bytes)?;
        hook(SaveStep::TempWritten)?;
        f.sync_all()?;
        drop(f);
        hook(SaveStep::TempSynced)?;
        fs::rename(tmp, path)?;
        hook(SaveStep::Renamed)?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
}
