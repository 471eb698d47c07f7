//! Shared parts of the end-to-end tests: the processes ([`acs`], [`agent`], [`sim`]), the
//! API client ([`api`]) and its event stream ([`sse`]), and bounded waiting.

#![allow(dead_code)]

pub mod acs;
pub mod agent;
pub mod api;
pub mod browser;
pub mod sim;
pub mod sse;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Guard for every wait: generous, only reached when something is broken.
pub const GUARD: Duration = Duration::from_secs(60);

/// Directory of the Broadband Forum data-model XML files, or `None` (the test then says it
/// skipped) when the reference folder is not beside the checkout.
pub fn datamodels_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/ref/datamodels"
    ));
    if dir.join(agent::TR181_FILE).is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: {} not found", dir.display());
        None
    }
}

/// Polls `check` every 50 ms until it yields a value; panics naming `what` after `limit`.
pub async fn eventually<T>(
    what: &str,
    limit: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Percent-encodes a path segment (a device id) for the API.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
