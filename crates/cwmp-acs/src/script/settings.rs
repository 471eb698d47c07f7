//! The `[scripts]` section of the ACS configuration: limits of provision and virtual
//! parameter scripts, and where operator extensions live.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{ExtConfig, Limits};

/// `[scripts]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScriptConfig {
    /// Wall time of one script run (milliseconds; time inside `ext()` excluded).
    pub wall_time_ms: u64,
    /// Heap of one script run (MiB).
    pub memory_mib: u32,
    /// Most `declare()` calls in one run.
    pub max_declarations: usize,
    /// Most runs of one provision in one session before it faults (GenieACS: 32).
    pub max_iterations: u32,
    /// Directory of the extension executables `ext()` may run (unset: `ext()` faults).
    pub ext_dir: Option<PathBuf>,
    /// Longest run of one extension call (milliseconds).
    pub ext_timeout_ms: u64,
    /// Longest extension reply (bytes of JSON on stdout).
    pub ext_max_reply_bytes: usize,
}

impl Default for ScriptConfig {
    fn default() -> ScriptConfig {
        let l = Limits::default();
        ScriptConfig {
            wall_time_ms: u64::try_from(l.wall_time.as_millis()).unwrap_or(100),
            memory_mib: 16,
            max_declarations: l.max_declarations,
            max_iterations: 32,
            ext_dir: None,
            ext_timeout_ms: 3000,
            ext_max_reply_bytes: 64 * 1024,
        }
    }
}

impl ScriptConfig {
    /// The per-run limits.
    pub fn limits(&self) -> Limits {
        Limits {
            wall_time: Duration::from_millis(self.wall_time_ms.max(1)),
            memory_bytes: (self.memory_mib.max(1) as usize) << 20,
            max_declarations: self.max_declarations,
        }
    }

    /// The extension runner's settings, when a directory is configured.
    pub fn ext(&self) -> Option<Arc<ExtConfig>> {
        self.ext_dir.as_ref().map(|dir| {
            Arc::new(ExtConfig {
                dir: dir.clone(),
                timeout: Duration::from_millis(self.ext_timeout_ms.max(1)),
                max_reply_bytes: self.ext_max_reply_bytes,
            })
        })
    }
}
