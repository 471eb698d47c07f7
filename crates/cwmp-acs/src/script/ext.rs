//! Operator extensions (`ext(file, fn, ...args)`, GenieACS `docs/extensions.rst`), adapted:
//! GenieACS loads a JavaScript file from its extensions directory and calls `fn`; here `file`
//! names an executable in the configured extensions directory, run with `fn` and the
//! arguments as its argv, no stdin, a cleared environment and a time limit. Its reply is the
//! JSON it prints on stdout (at most `max_reply_bytes`). A script never gives a path: `file`
//! is a plain name checked against the directory.
//!
//! Replies are cached per session by the full argument list, so the re-runs of a script in
//! one session do not call the program again (GenieACS does the same).

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::ScriptFault;

/// Most extension calls in one session (cached replies do not count).
pub const MAX_CALLS: usize = 32;

/// Where extensions live and how they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtConfig {
    /// Directory of the executables.
    pub dir: PathBuf,
    /// Longest run of one call.
    pub timeout: Duration,
    /// Longest reply (bytes of stdout).
    pub max_reply_bytes: usize,
}

/// The extension runner of one session, with its reply cache.
#[derive(Debug, Clone, Default)]
pub struct ExtCache {
    config: Option<Arc<ExtConfig>>,
    replies: HashMap<String, Json>,
    calls: usize,
}

fn fault(code: &str, msg: impl Into<String>) -> ScriptFault {
    ScriptFault::new(code, msg)
}

fn valid_file(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

impl ExtCache {
    /// A runner for `config` (`None`: extensions are off and `ext()` faults).
    pub fn new(config: Option<Arc<ExtConfig>>) -> ExtCache {
        ExtCache {
            config,
            replies: HashMap::new(),
            calls: 0,
        }
    }

    /// True for the default runner (no configuration given yet).
    pub fn is_unconfigured(&self) -> bool {
        self.config.is_none() && self.replies.is_empty() && self.calls == 0
    }

    /// `ext(file, fn, ...args)`.
    pub fn call(&mut self, args: &[String]) -> Result<Json, ScriptFault> {
        let key = serde_json::to_string(args).unwrap_or_default();
        if let Some(v) = self.replies.get(&key) {
            return Ok(v.clone());
        }
        let Some(config) = self.config.clone() else {
            return Err(fault(
                "ext.disabled",
                "no extensions directory is configured ([scripts] ext_dir)",
            ));
        };
        let Some(file) = args.first() else {
            return Err(fault("ext.error", "ext() needs a file name"));
        };
        if !valid_file(file) {
            return Err(fault(
                "ext.error",
                format!("{file:?} is not an extension name (letters, digits, '-', '_', '.')"),
            ));
        }
        if args.len() > 64 || args.iter().any(|a| a.len() > 4096) {
            return Err(fault(
                "ext.error",
                "ext() takes at most 64 arguments of 4096 bytes",
            ));
        }
        if self.calls >= MAX_CALLS {
            return Err(fault(
                "ext.error",
                format!("more than {MAX_CALLS} extension calls in one session"),
            ));
        }
        self.calls += 1;
        let reply = run(&config, file, &args[1..])?;
        self.replies.insert(key, reply.clone());
        Ok(reply)
    }
}

fn run(config: &ExtConfig, file: &str, argv: &[String]) -> Result<Json, ScriptFault> {
    let program = config.dir.join(file);
    if !program.is_file() {
        return Err(fault(
            "ext.error",
            format!("no extension {file:?} in the extensions directory"),
        ));
    }
    let mut child = Command::new(&program)
        .args(argv)
        .current_dir(&config.dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            fault(
                "ext.error",
                format!("extension {file:?} did not start: {e}"),
            )
        })?;
    let Some(stdout) = child.stdout.take() else {
        return Err(fault("ext.error", "no stdout"));
    };
    let limit = config.max_reply_bytes;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.take(limit as u64 + 1).read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + config.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fault(
                    "ext.timeout",
                    format!(
                        "extension {file:?} ran past {} ms",
                        config.timeout.as_millis()
                    ),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => return Err(fault("ext.error", format!("extension {file:?}: {e}"))),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(fault(
            "ext.error",
            format!("extension {file:?} exited with {status}"),
        ));
    }
    if out.len() > limit {
        return Err(fault(
            "ext.reply",
            format!("extension {file:?} replied more than {limit} bytes"),
        ));
    }
    let text = String::from_utf8_lossy(&out);
    if text.trim().is_empty() {
        return Ok(Json::Null);
    }
    serde_json::from_str(text.trim()).map_err(|e| {
        fault(
            "ext.reply",
            format!("extension {file:?} replied with invalid JSON: {e}"),
        )
    })
}
