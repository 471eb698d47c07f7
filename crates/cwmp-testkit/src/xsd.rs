//! Validates written messages against the Broadband Forum CWMP schemas in `../shared/ref`
//! with `xmllint --schema` (package libxml2-utils), one xmllint run for many files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use cwmp::CwmpVersion;

/// The schemas folder, beside the checkout.
pub const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/ref/schemas");

/// The schema a version is validated against: 1.3 and 1.4 share the 1-2 namespace, and the
/// 1-4 schema includes 1-3 and 1-2.
pub fn schema(version: CwmpVersion) -> &'static str {
    match version {
        CwmpVersion::V1_0 => "cwmp-1-0.xsd",
        CwmpVersion::V1_1 => "cwmp-1-1.xsd",
        CwmpVersion::V1_2 => "cwmp-1-2.xsd",
        CwmpVersion::V1_3 | CwmpVersion::V1_4 => "cwmp-1-4.xsd",
    }
}

/// Why schema validation cannot run here (no schemas folder, no xmllint), if it cannot.
pub fn skip_reason() -> Option<String> {
    let schemas = Path::new(SCHEMAS);
    if !schemas.join("catalog.xml").is_file() {
        return Some(format!("schemas folder {} not found", schemas.display()));
    }
    match Command::new("xmllint").arg("--version").output() {
        Ok(_) => None,
        Err(e) => Some(format!("xmllint not runnable ({e}); install libxml2-utils")),
    }
}

/// Runs xmllint on `files` against `schema`; returns the files that fail, with xmllint's
/// messages about them. Panics when the schema itself does not load, so that a validation that
/// silently does not happen cannot pass.
pub fn invalid_files(schema: &str, files: &[PathBuf]) -> BTreeMap<PathBuf, String> {
    let schemas = Path::new(SCHEMAS).canonicalize().expect("schemas folder");
    let output = Command::new("xmllint")
        .current_dir(&schemas)
        .env("XML_CATALOG_FILES", schemas.join("catalog.xml"))
        .args(["--nonet", "--noout", "--schema", schema])
        .args(files)
        .output()
        .expect("run xmllint");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !stderr.contains("failed to compile") && !stderr.contains("WXS schema"),
        "schema {schema} did not load:\n{stderr}"
    );
    let mut invalid = BTreeMap::new();
    for file in files {
        let name = file.display().to_string();
        if !stderr
            .lines()
            .any(|line| line == format!("{name} validates"))
        {
            let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&name)).collect();
            invalid.insert(file.clone(), lines.join("\n"));
        }
    }
    if invalid.is_empty() {
        assert!(output.status.success(), "xmllint failed:\n{stderr}");
    }
    invalid
}
