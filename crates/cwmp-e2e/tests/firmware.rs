//! Files and firmware end to end: the real `cwmp-cpe` agent (its `[transfer]` hooks are
//! shell scripts in a temporary directory) against the real `cwmp-acs` and its file server
//! on 127.0.0.1. A firmware preset upgrades the agent; a configuration is backed up by an
//! Upload and restored by a Download of that upload; disabled transfers fault. Every wait is
//! bounded.

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use common::acs::Acs;
use common::agent::{Agent, DEVICE_ID};
use common::api::param_value;
use common::{GUARD, datamodels_dir, enc, eventually};
use serde_json::{Value as Json, json};

const VERSION: &str = "Device.DeviceInfo.SoftwareVersion";
const FIRMWARE: &str = "1 Firmware Upgrade Image";
/// Size of the test image: large enough for a throughput figure, small for the CI machine.
const IMAGE_BYTES: usize = 4 << 20;

fn has(events: &[String], code: &str) -> bool {
    events.iter().any(|e| e == code)
}

/// A hook script in `dir` that appends `<sha256 of $1> <$2>` to `<name>.log` and prints the
/// file's own `version=` line (so the image decides the SoftwareVersion it installs); while
/// `<name>.hold` exists and holds that line, it waits (at most 60 s) before answering. Its
/// path and its log's path.
fn hook(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let script = dir.join(format!("{name}.sh"));
    let log = dir.join(format!("{name}.log"));
    let hold = dir.join(format!("{name}.hold"));
    let text = format!(
        "#!/bin/sh\nset -e\nsum=$(sha256sum \"$1\" | cut -d' ' -f1)\n\
         v=$(head -c 64 \"$1\" | grep -m1 '^version=' || true)\n\
         echo \"$sum $2\" >> '{log}'\n\
         i=0\nwhile [ -e '{hold}' ] && [ \"$(cat '{hold}')\" = \"$v\" ] && [ $i -lt 600 ]; do\n\
         sleep 0.1; i=$((i+1)); done\necho \"$v\"\n",
        log = log.display(),
        hold = hold.display(),
    );
    std::fs::write(&script, text).expect("write the hook");
    let mut perms = std::fs::metadata(&script).expect("hook").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).expect("chmod the hook");
    (script, log)
}

/// The lines of a hook's log (empty before its first run).
fn hook_runs(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// An image whose first line names its version, padded to `size` bytes.
fn image(version: &str, size: usize) -> Vec<u8> {
    let mut bytes = format!("version={version}\n").into_bytes();
    let pad = b"0123456789abcdef";
    while bytes.len() < size {
        bytes.push(pad[bytes.len() % pad.len()]);
    }
    bytes
}

/// Stores `content` as `name` through the API with GenieACS metadata headers.
async fn put_file(acs: &Acs, name: &str, file_type: &str, version: &str, content: Vec<u8>) {
    let headers = [("fileType", file_type), ("version", version)];
    let a = acs
        .api
        .send(
            "PUT",
            &format!("/files/{name}"),
            &headers,
            Bytes::from(content),
        )
        .await;
    assert!(a.status.is_success(), "PUT /files/{name}: {}", a.body);
}

/// The stored file `name` as `GET /files` lists it.
async fn file_entry(acs: &Acs, name: &str) -> Json {
    let list = acs.api.get("/files").await;
    list.as_array()
        .and_then(|a| a.iter().find(|f| f["_id"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("file {name} not listed: {list}"))
}

/// The agent started towards `acs` with `extra` configuration, bootstrapped (its first
/// session finished); `None` when the data model is missing (the test skips).
async fn bootstrapped(acs: &Acs, extra: &str) -> Option<Agent> {
    let models = datamodels_dir()?;
    let agent = Agent::start_with(&models, &acs.cwmp_url(), extra).await;
    let boot = acs
        .session_finished("the bootstrap session", 0, DEVICE_ID, |e| {
            has(e, "0 BOOTSTRAP")
        })
        .await;
    assert!(boot.ok(), "{}", boot.line);
    Some(agent)
}

/// The open faults the ACS records for the agent.
async fn faults(acs: &Acs) -> Vec<Json> {
    let list = acs.api.get("/faults").await;
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["device"] == DEVICE_ID)
        .cloned()
        .collect()
}

/// The task `id` as `GET /tasks` shows it; `None` once it completed (a completed task is
/// deleted, as in GenieACS).
async fn task(acs: &Acs, id: &str) -> Option<Json> {
    let list = acs
        .api
        .get(&format!(
            "/tasks?query={}",
            enc(&json!({ "_id": id }).to_string())
        ))
        .await;
    list.as_array().and_then(|a| a.first()).cloned()
}

/// Queues `body` for the agent and has it inform (one Connection Request per device is
/// allowed every few seconds, an Inform from the agent's CLI any time); the task's id.
async fn queue(acs: &Acs, agent: &Agent, body: Json) -> String {
    let answer = acs.api.task(DEVICE_ID, body, None).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let id = answer.body["_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no task id in {}", answer.body))
        .to_owned();
    agent.ok(&["inform"]).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmware_preset_upgrades_the_agent_once() {
    let acs = Acs::start(&[]);
    let hooks = tempfile::tempdir().expect("hook dir");
    let (script, log) = hook(hooks.path(), "firmware");
    let content = image("2.0", IMAGE_BYTES);
    put_file(&acs, "fw-2.0.bin", FIRMWARE, "2.0", content).await;
    let stored = file_entry(&acs, "fw-2.0.bin").await;
    assert_eq!(stored["metadata"]["version"], "2.0", "{stored}");
    let extra = format!(
        "\n[transfer]\napply_firmware = \"{}\"\nreboot = \"simulate\"\n",
        script.display()
    );
    let Some(agent) = bootstrapped(&acs, &extra).await else {
        return;
    };
    assert_eq!(agent.get(VERSION).await, "1.0.0");

    // The preset applies from the next session on.
    acs.api
        .put(
            "/presets/fw",
            json!({ "configuration": { "firmware": { "version": "2.0", "file": "fw-2.0.bin" } } }),
        )
        .await;
    let mark = acs.process.line_count();
    let started = Instant::now();
    agent.ok(&["inform"]).await;
    let sent = acs
        .session_finished("the session sending the Download", mark, DEVICE_ID, |_| {
            true
        })
        .await;
    assert!(sent.ok(), "{}", sent.line);
    let requests = acs.requests_sent(DEVICE_ID, mark, sent.index);
    assert_eq!(
        requests.iter().filter(|m| *m == "Download").count(),
        1,
        "{requests:?}"
    );

    // Downloaded, installed by the hook (same bytes), rebooted, reported.
    let report = acs
        .session_finished("the TransferComplete", sent.index + 1, DEVICE_ID, |e| {
            has(e, "7 TRANSFER COMPLETE")
        })
        .await;
    let elapsed = started.elapsed();
    assert!(report.ok(), "{}", report.line);
    assert!(has(&report.events, "1 BOOT"), "{}", report.line);
    assert!(has(&report.events, "M Download"), "{}", report.line);
    let runs = hook_runs(&log);
    assert_eq!(
        runs,
        [format!(
            "{} {FIRMWARE}",
            stored["sha256"].as_str().expect("sha256")
        )],
        "hook runs"
    );
    eprintln!(
        "firmware: {IMAGE_BYTES} bytes, preset session to TransferComplete in {elapsed:?} \
         ({:.1} MiB/s including two sessions and the reboot)",
        IMAGE_BYTES as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
    );

    // Its Inform carried the new version; the agent has it; no fault on the preset.
    let device = acs.wait_device(DEVICE_ID).await;
    assert_eq!(
        param_value(&device, VERSION).as_deref(),
        Some("2.0"),
        "{device}"
    );
    assert_eq!(device["_firmware"]["target"], "2.0", "{device}");
    assert_eq!(device["_firmware"]["status"], "upgraded", "{device}");
    assert_eq!(agent.get(VERSION).await, "2.0");
    let open = faults(&acs).await;
    assert!(open.is_empty(), "{open:?}");

    // Next session: the target version is there, nothing more to download.
    let mark = acs.process.line_count();
    agent.ok(&["inform"]).await;
    let again = acs
        .session_finished("a later session", mark, DEVICE_ID, |_| true)
        .await;
    assert!(again.ok(), "{}", again.line);
    let requests = acs.requests_sent(DEVICE_ID, mark, again.index);
    assert!(!requests.iter().any(|m| m == "Download"), "{requests:?}");
    assert_eq!(hook_runs(&log).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_image_is_rolled_back_and_reported_9010() {
    let acs = Acs::start(&[]);
    let hooks = tempfile::tempdir().expect("hook dir");
    let (script, log) = hook(hooks.path(), "firmware");
    let (good, broken) = (image("1.5", 64 << 10), image("2.0", 64 << 10));
    put_file(&acs, "fw-1.5.bin", FIRMWARE, "1.5", good).await;
    put_file(&acs, "fw-2.0.bin", FIRMWARE, "2.0", broken).await;
    let good_sum = file_entry(&acs, "fw-1.5.bin").await["sha256"].clone();
    let broken_sum = file_entry(&acs, "fw-2.0.bin").await["sha256"].clone();
    let extra = format!(
        "\n[transfer]\napply_firmware = \"{}\"\nreboot = \"simulate\"\n\n[backup]\ndelay = 2\n",
        script.display()
    );
    let Some(agent) = bootstrapped(&acs, &extra).await else {
        return;
    };
    let preset = |version: &str| json!({ "configuration": { "firmware": { "version": version, "file": format!("fw-{version}.bin") } } });

    // A good upgrade first, confirmed by the session after its reboot: the image to go back to.
    acs.api.put("/presets/fw", preset("1.5")).await;
    let mark = acs.process.line_count();
    agent.ok(&["inform"]).await;
    acs.session_finished("the 1.5 TransferComplete", mark, DEVICE_ID, |e| {
        has(e, "7 TRANSFER COMPLETE")
    })
    .await;
    assert_eq!(agent.get(VERSION).await, "1.5");

    // The broken one: installed, then the ACS is gone before any session confirms it.
    std::fs::write(hooks.path().join("firmware.hold"), "version=2.0").expect("hold");
    acs.api.put("/presets/fw", preset("2.0")).await;
    agent.ok(&["inform"]).await;
    eventually("the 2.0 install", GUARD, async || {
        (hook_runs(&log).len() == 2).then_some(())
    })
    .await;
    let stopped = acs.stop();
    std::fs::remove_file(hooks.path().join("firmware.hold")).expect("release");

    // No session within 2 s: the agent reinstalls 1.5 through the hook.
    let runs = eventually("the rollback", GUARD, async || {
        let runs = hook_runs(&log);
        (runs.len() == 3).then_some(runs)
    })
    .await;
    let sum = |v: &Json| format!("{} {FIRMWARE}", v.as_str().expect("sha256"));
    assert_eq!(runs, [sum(&good_sum), sum(&broken_sum), sum(&good_sum)]);
    assert_eq!(agent.get(VERSION).await, "1.5");

    // The ACS back: the TransferComplete says 9010; the preset and the device record it.
    let acs = stopped.start();
    agent.ok(&["inform"]).await;
    let report = acs
        .session_finished("the 9010 TransferComplete", 0, DEVICE_ID, |e| {
            has(e, "7 TRANSFER COMPLETE")
        })
        .await;
    assert!(report.ok(), "{}", report.line);
    let open = faults(&acs).await;
    assert!(
        open.iter()
            .any(|f| f["channel"] == "preset:fw" && f["code"] == "cwmp.9010"),
        "{open:?}"
    );
    let device = acs.wait_device(DEVICE_ID).await;
    assert_eq!(
        param_value(&device, VERSION).as_deref(),
        Some("1.5"),
        "{device}"
    );
    assert_eq!(device["_firmware"]["target"], "2.0", "{device}");
    assert_eq!(device["_firmware"]["status"], "failed", "{device}");
    let requests = acs.requests_sent(DEVICE_ID, 0, report.index);
    assert!(!requests.iter().any(|m| m == "Download"), "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_transfers_are_refused_with_faults_the_acs_records() {
    let acs = Acs::start(&[]);
    put_file(&acs, "fw-3.0.bin", FIRMWARE, "3.0", image("3.0", 1024)).await;
    let Some(agent) = bootstrapped(&acs, "").await else {
        return;
    };
    agent.ok(&["config", "download", "disable"]).await;
    agent.ok(&["config", "upload", "disable"]).await;

    for body in [
        json!({ "name": "download", "file": "fw-3.0.bin" }),
        json!({ "name": "upload", "fileType": "1 Vendor Configuration File" }),
    ] {
        let id = queue(&acs, &agent, body.clone()).await;
        let t = eventually(&format!("the fault of {body}"), GUARD, async || {
            let t = task(&acs, &id).await.expect("a faulted task stays");
            (t["status"] == "fault").then_some(t)
        })
        .await;
        assert_eq!(t["fault"]["code"], "cwmp.9001", "{t}");
    }
    assert_eq!(agent.get(VERSION).await, "1.0.0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_backup_is_restored_from_its_upload() {
    let acs = Acs::start(&[]);
    let hooks = tempfile::tempdir().expect("hook dir");
    let (script, log) = hook(hooks.path(), "config");
    let extra = format!("\n[transfer]\napply_config = \"{}\"\n", script.display());
    let Some(agent) = bootstrapped(&acs, &extra).await else {
        return;
    };

    // The backup: an Upload of the configuration, kept by the ACS as an upload.
    let id = queue(
        &acs,
        &agent,
        json!({ "name": "upload", "fileType": "1 Vendor Configuration File" }),
    )
    .await;
    eventually("the upload task done", GUARD, async || {
        let t = task(&acs, &id).await;
        assert!(t.as_ref().is_none_or(|t| t["status"] != "fault"), "{t:?}");
        t.is_none().then_some(())
    })
    .await;
    let uploads = acs
        .api
        .get(&format!("/devices/{}/uploads", enc(DEVICE_ID)))
        .await;
    let upload = uploads
        .as_array()
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or_else(|| panic!("no upload: {uploads}"));
    let uid = upload["_id"]
        .as_str()
        .or_else(|| upload["uid"].as_str())
        .unwrap_or_else(|| panic!("no upload id in {upload}"))
        .to_owned();
    let sha = upload["sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("no sha256 in {upload}"))
        .to_owned();

    // The restore: a Download of that upload, handed to apply_config unchanged.
    let id = queue(&acs, &agent, json!({ "name": "download", "upload": uid })).await;
    eventually("the restore task done", GUARD, async || {
        let t = task(&acs, &id).await;
        assert!(t.as_ref().is_none_or(|t| t["status"] != "fault"), "{t:?}");
        t.is_none().then_some(())
    })
    .await;
    assert_eq!(
        hook_runs(&log),
        [format!("{sha} 3 Vendor Configuration File")]
    );
}
