//! Loads a data-model file and prints load time, peak RSS and counts.
//!
//! `cargo run --release --example load_bench -- [--descriptions] [FILE...]`
//! (default: TR-181 and TR-098 from the shared reference directory).
//! VmHWM is per process: give one file per run for a clean peak figure.

use std::path::PathBuf;
use std::time::Instant;

use cwmp_datamodel::{LoadOptions, Schema};

/// Reads a `Vm*` field (kB) of /proc/self/status.
fn proc_status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn ref_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep_descriptions = args.iter().any(|a| a == "--descriptions");
    let mut files: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if files.is_empty() {
        let d = ref_dir().join("datamodels");
        files = vec![
            d.join("tr-181-2-17-0-cwmp-full.xml"),
            d.join("tr-098-1-8-0-full.xml"),
        ];
    }
    let opts = LoadOptions {
        keep_descriptions,
        ..LoadOptions::default()
    };
    for f in files {
        let before = proc_status_kb("VmRSS:").unwrap_or(0);
        let t = Instant::now();
        let schema = match Schema::from_file(&f, &opts) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let dt = t.elapsed();
        let after = proc_status_kb("VmRSS:").unwrap_or(0);
        let hwm = proc_status_kb("VmHWM:").unwrap_or(0);
        println!(
            "{}: model {} | {} objects, {} parameters, {} syntaxes, {} data types | load {:.1} ms | RSS {} -> {} kB (retained {} kB), peak RSS (VmHWM) {} kB | schema heap ~{} kB",
            f.display(),
            schema.model_name(),
            schema.object_count(),
            schema.parameter_count(),
            schema.syntax_count(),
            schema.data_types().len(),
            dt.as_secs_f64() * 1e3,
            before,
            after,
            after.saturating_sub(before),
            hwm,
            schema.heap_size() / 1024,
        );
    }
}
