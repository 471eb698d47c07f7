//! Every message this crate writes must validate against the Broadband Forum schema of its
//! version: each sample body (tests/common) is written in every version that has its method and
//! checked with `xmllint --schema`, once per version for all files.
//!
//! Skipped, with a message, when `xmllint` or the schemas folder is missing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cwmp::{Body, CwmpVersion, Envelope, Header};
use cwmp_testkit::xsd::{invalid_files, schema, skip_reason};

fn write_file(dir: &Path, name: &str, xml: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, xml).expect("write temp file");
    path
}

/// Every message of every version, written to a temp dir; returns per version the files.
fn write_all(dir: &Path) -> BTreeMap<CwmpVersion, Vec<PathBuf>> {
    let mut bodies: Vec<(CwmpVersion, Body)> = common::sample_bodies()
        .into_iter()
        .map(|b| (b.since(), b))
        .collect();
    bodies.extend(
        common::versioned_bodies()
            .into_iter()
            .map(|(since, b)| (since.max(b.since()), b)),
    );
    let mut files: BTreeMap<CwmpVersion, Vec<PathBuf>> = BTreeMap::new();
    for version in CwmpVersion::ALL {
        for (i, (since, body)) in bodies.iter().enumerate() {
            let envelope = Envelope::new(version, Header::with_id(format!("id-{i}")), body.clone());
            let written = envelope.to_xml();
            if version < *since {
                assert!(
                    written.is_err(),
                    "{} (#{i}) written in {version}, before {since}",
                    body.name()
                );
                continue;
            }
            let xml = written.unwrap_or_else(|e| panic!("{} in {version}: {e}", body.name()));
            let back = Envelope::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
            assert_eq!(back.body, *body, "round trip of {xml}");
            let name = format!("{}-{i:02}-{}.xml", version.as_str(), body.name());
            files
                .entry(version)
                .or_default()
                .push(write_file(dir, &name, &xml));
        }
    }
    files
}

#[test]
fn every_message_validates_against_its_schema() {
    if let Some(reason) = skip_reason() {
        println!("SKIPPED every_message_validates_against_its_schema: {reason}");
        eprintln!("SKIPPED every_message_validates_against_its_schema: {reason}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("cwmp-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files = write_all(&dir);

    // A control that must fail, so that a schema silently not applied (lax processing of an
    // undeclared element) cannot pass: Status 7 is outside the enumeration.
    let control_xml = Envelope::new(
        CwmpVersion::V1_0,
        Header::default(),
        cwmp::rpc::SetParameterValuesResponse {
            status: cwmp::rpc::Status::Applied,
        },
    )
    .to_xml()
    .expect("write control")
    .replace("<Status>0</Status>", "<Status>7</Status>");

    let mut failures = Vec::new();
    for (version, mut paths) in files {
        let control = write_file(
            &dir,
            &format!("{}-control.xml", version.as_str()),
            &control_xml,
        );
        if version == CwmpVersion::V1_0 {
            paths.push(control.clone());
        }
        let count = paths.len();
        let invalid = invalid_files(schema(version), &paths);
        for (path, errors) in &invalid {
            if *path != control {
                failures.push(format!("{version}: {errors}"));
            }
        }
        if version == CwmpVersion::V1_0 {
            assert!(
                invalid.contains_key(&control),
                "the schema was not applied: an invalid Status validated"
            );
        }
        println!(
            "CWMP {version}: {count} messages checked against {}",
            schema(version)
        );
    }
    if std::env::var_os("CWMP_KEEP_XSD_FILES").is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    assert!(
        failures.is_empty(),
        "invalid messages:\n{}",
        failures.join("\n")
    );
}

#[test]
fn samples_cover_every_body_variant() {
    let names: Vec<&str> = common::sample_bodies().iter().map(Body::name).collect();
    for method in Body::METHODS.iter().copied().chain(["Fault"]) {
        assert!(names.contains(&method), "no sample of {method}");
    }
}
