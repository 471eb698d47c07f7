//! GenieACS provision scripts and virtual parameters: an embedded, sandboxed JavaScript
//! engine (QuickJS through rquickjs, chosen by measurement: docs/BENCHMARKS.md "Script
//! engine") with the GenieACS API (`declare`, `clear`, `commit`, `ext`, `log`, `args`,
//! `Date`), per-run limits on wall time, memory and declarations, and typed faults.
//!
//! A run is synchronous and CPU-bound: callers run it off the async runtime
//! ([`run_blocking`]).

pub mod declaration;
pub mod ext;
pub mod path;
mod sandbox;
pub mod seed;
mod settings;
pub mod tree;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub use declaration::{Declaration, Desired, Need, Write};
pub use ext::{ExtCache, ExtConfig};
pub use path::Path;
pub use sandbox::Facts;
pub use settings::ScriptConfig;
pub use tree::Tree;

/// Most instances a declaration may ask for (`{path: n}`).
pub const MAX_INSTANCES: u32 = 1024;

/// Limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time of one run (time inside `ext()` calls excluded).
    pub wall_time: Duration,
    /// Heap of the JavaScript runtime.
    pub memory_bytes: usize,
    /// Most `declare()` calls in one run.
    pub max_declarations: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            wall_time: sandbox::DEFAULT_WALL_TIME,
            memory_bytes: 16 << 20,
            max_declarations: 10_000,
        }
    }
}

/// A fault of a script run: `script.timeout`, `script.memory`, `script.error` (an exception,
/// with its line and column in the script), `script.declarations`, `ext.*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ScriptFault {
    /// Code.
    pub code: String,
    /// What happened.
    pub message: String,
    /// Line in the script (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// Column in the line (1-based), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl ScriptFault {
    /// A fault without a position.
    pub fn new(code: &str, message: impl Into<String>) -> ScriptFault {
        ScriptFault {
            code: code.to_owned(),
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// The message with its position, for fault records.
    pub fn describe(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{} (line {l}, column {c})", self.message),
            (Some(l), None) => format!("{} (line {l})", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A `clear(path, timestamp)` call: what the ACS knows under `path` older than `timestamp`
/// is forgotten, so that declarations read it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clear {
    /// Path (may contain wildcards).
    pub path: Path,
    /// Unix ms.
    pub timestamp: i64,
}

/// Inputs of one run.
#[derive(Debug, Clone)]
pub struct RunInput<'a> {
    /// Script text.
    pub script: &'a str,
    /// `args`.
    pub args: &'a Json,
    /// Session time (ms): `Date.now()` and `new Date()`.
    pub now: i64,
    /// Device id (seeds `Math.random()`, `Date.now(interval)`'s offset).
    pub device_id: &'a str,
    /// What the ACS knows of the device.
    pub tree: Arc<Tree>,
    /// What this session read already.
    pub facts: Arc<Facts>,
    /// Limits.
    pub limits: Limits,
    /// Extension runner and the session's cache.
    pub ext: ExtCache,
}

/// Outcome of one run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Declarations made (up to the stop).
    pub declarations: Vec<Declaration>,
    /// Reads needed before the script can go on (empty when `done`).
    pub needs: Vec<Need>,
    /// Ran to its end with everything it read known.
    pub done: bool,
    /// `clear()` calls.
    pub clears: Vec<Clear>,
    /// `log()` messages.
    pub logs: Vec<String>,
    /// Fault that ended the run.
    pub fault: Option<ScriptFault>,
    /// The script's return value as JSON (virtual parameters).
    pub return_value: Option<Json>,
    /// The extension runner, with replies cached.
    pub ext: ExtCache,
}

impl RunOutput {
    /// The writes of all declarations, when the run is done.
    pub fn writes(&self, tree: &Tree) -> Vec<Write> {
        let mut out = Vec::new();
        if self.done && self.fault.is_none() {
            for d in &self.declarations {
                d.writes(tree, &mut out);
            }
        }
        out
    }
}

/// One pass of a script, on the calling thread.
pub fn run(input: RunInput<'_>) -> RunOutput {
    sandbox::run(input)
}

/// Compiles a script without running it (PUT of a provision or virtual parameter).
pub fn check(script: &str, limits: &Limits) -> Result<(), ScriptFault> {
    sandbox::check(script, limits)
}

/// Owned inputs of [`run_blocking`].
#[derive(Debug, Clone)]
pub struct OwnedInput {
    /// Script text.
    pub script: Arc<str>,
    /// `args`.
    pub args: Json,
    /// Session time (ms).
    pub now: i64,
    /// Device id.
    pub device_id: String,
    /// What the ACS knows of the device.
    pub tree: Arc<Tree>,
    /// What this session read already.
    pub facts: Arc<Facts>,
    /// Limits.
    pub limits: Limits,
    /// Extension runner.
    pub ext: ExtCache,
}

/// [`run`] on tokio's blocking pool, so script time never stalls the sessions of other
/// devices.
pub async fn run_blocking(input: OwnedInput) -> RunOutput {
    let ext = input.ext.clone();
    tokio::task::spawn_blocking(move || {
        run(RunInput {
            script: &input.script,
            args: &input.args,
            now: input.now,
            device_id: &input.device_id,
            tree: input.tree,
            facts: input.facts,
            limits: input.limits,
            ext: input.ext,
        })
    })
    .await
    .unwrap_or_else(|e| RunOutput {
        declarations: Vec::new(),
        needs: Vec::new(),
        done: false,
        clears: Vec::new(),
        logs: Vec::new(),
        fault: Some(ScriptFault::new(
            "script.error",
            format!("script thread failed: {e}"),
        )),
        return_value: None,
        ext,
    })
}

#[cfg(test)]
mod tests;
