//! Applying downloaded files end to end: firmware through its hook with a reboot, its
//! TransferComplete exactly once across restarts of the agent from its state dir, the rollback
//! of an upgrade the ACS never saw, and configuration files through their hook.

mod common;
mod transfer_world;

use std::time::Duration;

use cwmp_cpe::agent::{Agent, Local};
use transfer_world::{FIRMWARE, VERSION, World, by_key, download, fault_code, hook, session};

#[tokio::test(flavor = "current_thread")]
async fn config_file_goes_through_its_hook() {
    let Some(mut w) = World::new(&[("good", b"good"), ("bad", b"bad")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let log = hook_dir.path().join("hook.log");
    let cmd = format!(
        "sh -c 'echo \"$2\" >> {}; test \"$(cat \"$1\")\" = good' hook",
        log.display()
    );
    w.transfer = format!("apply_config = \"{}\"", cmd.replace('"', "\\\""));
    let mut agent = w.agent();
    w.send(download(
        "good",
        &w.url("good"),
        "3 Vendor Configuration File",
        4,
        0,
    ));
    w.send(download(
        "bad",
        &w.url("bad"),
        "3 Vendor Configuration File",
        3,
        0,
    ));
    session(&mut agent).await;
    session(&mut agent).await;
    let tcs = w.completes();
    assert_eq!(fault_code(by_key(&tcs, "good")), 0);
    let bad = by_key(&tcs, "bad");
    assert_eq!(fault_code(bad), 9010);
    assert!(
        bad.fault_struct
            .fault_string
            .contains("applying the configuration"),
        "{bad:?}"
    );
    let calls = std::fs::read_to_string(&log).expect("the hook ran");
    assert_eq!(calls.lines().count(), 2, "{calls}");
    assert!(
        calls.lines().all(|l| l == "3 Vendor Configuration File"),
        "{calls}"
    );
    assert!(
        w.dir.path().join("config-backup.bin").is_file(),
        "the configuration was backed up"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn firmware_upgrade_reported_once_across_restarts() {
    let Some(mut w) = World::new(&[("fw", b"2.0")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let (cmd, log) = hook(hook_dir.path());
    w.transfer = format!(
        "apply_firmware = \"{}\"\nreboot = \"exit\"",
        cmd.replace('"', "\\\"")
    );
    let mut agent = w.agent();
    w.send(download("fw1", &w.url("fw"), FIRMWARE, 3, 0));
    session(&mut agent).await;
    assert!(agent.restart_requested(), "the install asks for a restart");
    let hook_log = std::fs::read_to_string(&log).expect("the hook ran");
    assert!(hook_log.contains(&format!("|{FIRMWARE}")), "{hook_log}");
    drop(agent);

    // Restarted (the process exits; here: reopened); killed again before any session.
    let agent = w.agent();
    assert_eq!(
        agent
            .tree()
            .stored_value(VERSION)
            .map(|v| v.as_text().into_owned()),
        Some("2.0".into())
    );
    drop(agent);
    // The ACS is down for the first session after the reboot; the agent is killed after it.
    w.script.lock().expect("lock").down = true;
    let mut agent = w.agent();
    let out = agent.step().await.expect("step").expect("a session");
    assert!(out.result.is_err());
    drop(agent);
    w.script.lock().expect("lock").down = false;
    let mut agent = w.agent();
    session(&mut agent).await;
    let events = w.last_inform();
    for e in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
    for e in ["1 BOOT", "M Download"] {
        assert_eq!(events.iter().filter(|x| *x == e).count(), 1, "{e} once");
    }
    drop(agent);
    // Reopened after the acknowledgement: nothing is reported twice.
    let mut agent = w.agent();
    session(&mut agent).await;
    let events = w.last_inform();
    assert!(
        !events.contains(&"7 TRANSFER COMPLETE".to_owned()),
        "{events:?}"
    );
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1, "exactly once: {tcs:?}");
    assert_eq!(fault_code(&tcs[0]), 0);
    assert!(agent.transfers().transfers().is_empty());
    assert!(
        agent.transfers().upgrade().is_none(),
        "confirmed by the sessions"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn unconfirmed_upgrade_is_rolled_back() {
    let Some(mut w) = World::new(&[("fw", b"3.0")], None).await else {
        return;
    };
    let hook_dir = tempfile::tempdir().expect("tempdir");
    let (cmd, log) = hook(hook_dir.path());
    w.transfer = format!("apply_firmware = \"{}\"", cmd.replace('"', "\\\""));
    w.backup_delay = 60;
    // The image installed now, with its version.
    let store = w.dir.path().join("firmware");
    std::fs::create_dir_all(&store).expect("mkdir");
    std::fs::write(store.join("installed.img"), b"1.0").expect("write");
    let mut agent = w.agent();
    agent
        .local(Local::Set {
            path: VERSION.into(),
            value: "1.0".into(),
        })
        .expect("set");
    w.send(download("fw2", &w.url("fw"), FIRMWARE, 3, 0));
    session(&mut agent).await;
    // Installed, rebooted (simulated, in process).
    assert_eq!(agent.boots(), 2);
    let version = |a: &Agent| {
        a.tree()
            .stored_value(VERSION)
            .map(|v| v.as_text().into_owned())
    };
    assert_eq!(version(&agent).as_deref(), Some("3.0"));
    w.script.lock().expect("lock").down = true;
    let out = agent.step().await.expect("step").expect("a session");
    assert!(out.result.is_err());
    drop(agent);
    w.clock.advance(Duration::from_secs(61));
    let mut agent = w.agent();
    // The deadline passed with no session: the first step rolls back (and boots again).
    let boots = agent.boots();
    let _ = agent.step().await.expect("step");
    let _ = agent.step().await.expect("step");
    assert_eq!(agent.boots(), boots + 1, "rebooted after the rollback");
    assert_eq!(version(&agent).as_deref(), Some("1.0"));
    let hook_log = std::fs::read_to_string(&log).expect("the hook ran");
    assert!(hook_log.contains("backup.img|"), "{hook_log}");
    assert_eq!(
        std::fs::read(store.join("installed.img")).expect("restored"),
        b"1.0"
    );
    w.script.lock().expect("lock").down = false;
    w.clock.advance(Duration::from_secs(3600));
    session(&mut agent).await;
    let tcs = w.completes();
    assert_eq!(tcs.len(), 1, "{tcs:?}");
    assert_eq!(fault_code(&tcs[0]), 9010);
    assert!(
        tcs[0].fault_struct.fault_string.contains("rolled back"),
        "{tcs:?}"
    );
    let events = w.last_inform();
    for e in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(events.contains(&e.to_owned()), "{e} in {events:?}");
    }
}
