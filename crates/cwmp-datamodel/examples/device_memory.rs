//! Measures the memory of many devices built from the default TR-181 profile:
//! RSS growth per device and the tree's own heap estimate.
//!
//! `cargo run --release --example device_memory -- [COUNT]` (default 100,000).

use std::path::PathBuf;
use std::sync::Arc;

use cwmp_datamodel::{LoadOptions, Model, ModelOptions, Profile, Schema, Tree};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let file = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
    ));
    let schema = match Schema::from_file(&file, &LoadOptions::default()) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("cannot load {}: {e}", file.display());
            return;
        }
    };
    let profile = match Profile::tr181_gateway() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let model = match Model::new(schema, &profile, ModelOptions::default()) {
        Ok(m) => Arc::new(m),
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let before = rss_kib();
    let trees: Vec<Tree> = (0..count).map(|_| Tree::new(model.clone())).collect();
    let after = rss_kib();
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / count as f64;
    println!(
        "{count} devices: RSS +{} KiB, {per:.0} bytes/device (RSS); heap estimate {} bytes/device; model {} bytes (shared)",
        after.saturating_sub(before),
        trees.first().map_or(0, Tree::heap_size),
        model.heap_size()
    );
}
