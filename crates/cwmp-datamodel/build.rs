//! Compresses the built-in compact schemas (`schemas/*.jsonl`, committed as text so that a
//! regeneration shows as a readable diff) into `OUT_DIR` for `include_bytes!`: raw deflate
//! keeps them at about a tenth of their size in the binary, whose mapped pages count in the
//! agent's idle RSS (docs/BENCHMARKS.md).

use std::path::PathBuf;

/// The schema files under `schemas/`, without `.jsonl`.
const SCHEMAS: [&str; 2] = ["tr-181-2-17-0-cwmp", "tr-098-1-8-0"];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in SCHEMAS {
        let src = format!("schemas/{name}.jsonl");
        println!("cargo::rerun-if-changed={src}");
        let text = std::fs::read(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let packed = miniz_oxide::deflate::compress_to_vec(&text, 9);
        let dst = out.join(format!("{name}.jsonl.deflate"));
        std::fs::write(&dst, packed).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
    }
}
