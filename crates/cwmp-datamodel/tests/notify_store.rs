//! Change tracking, the Inform parameter list, live backends and persistence.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{mini_model, mini_tree};
use cwmp::Value;
use cwmp::rpc::ParameterValueStruct;
use cwmp_datamodel::store::{save_with, temp_path};
use cwmp_datamodel::{LinuxBackend, NoBackend, SaveStep, Tree};

fn notif(t: &mut Tree, name: &str, n: u32) {
    t.set_parameter_attributes(&[common::notification(name, n)])
        .expect("spa");
}

fn names(v: &[ParameterValueStruct]) -> Vec<&str> {
    v.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn local_changes_are_recorded_by_notification() {
    let mut t = mini_tree();
    notif(&mut t, "Device.DeviceInfo.HostName", 1);
    notif(&mut t, "Device.Interface.1.Name", 2);
    let s = t
        .set_local("Device.ManagementServer.URL", "http://x")
        .expect("set");
    assert!(!s.recorded, "notification off");
    let s = t
        .set_local("Device.DeviceInfo.HostName", "new")
        .expect("set");
    assert!(s.recorded && !s.active);
    assert!(!t.take_active_request());
    let s = t.set_local("Device.Interface.1.Name", "eth9").expect("set");
    assert!(s.recorded && s.active);
    // Same value again: no change.
    assert!(
        !t.set_local("Device.Interface.1.Name", "eth9")
            .expect("set")
            .recorded
    );
    // Forced notification always counts.
    let s = t
        .set_local("Device.DeviceInfo.SoftwareVersion", "2.0")
        .expect("set");
    assert!(s.active);
    assert!(t.take_active_request());
    assert!(!t.take_active_request());
    // Changes by the ACS are not recorded.
    t.set_parameter_values(
        &[common::pv("Device.ManagementServer.URL", "http://acs")],
        "",
        &mut NoBackend,
    )
    .expect("spv");
    let inform = t.inform_parameters(&NoBackend);
    assert!(inform.value_change);
    let n = names(&inform.parameters);
    assert!(n.contains(&"Device.DeviceInfo.HostName"));
    assert!(n.contains(&"Device.Interface.1.Name"));
    assert!(n.contains(&"Device.ManagementServer.ConnectionRequestURL"));
    assert!(!n.contains(&"Device.ManagementServer.URL"));
    assert_eq!(
        n.iter()
            .filter(|x| **x == "Device.DeviceInfo.SoftwareVersion")
            .count(),
        1,
        "forced and changed listed once"
    );
    let taken = t.take_changes(&NoBackend);
    assert_eq!(taken.len(), 3);
    assert!(!t.inform_parameters(&NoBackend).value_change);
    // Errors.
    assert_eq!(
        t.set_local("Device.Nope", "x")
            .expect_err("9005")
            .code
            .value(),
        9005
    );
    assert_eq!(
        t.set_local("Device.ManagementServer.Even", "3")
            .expect_err("9007")
            .code
            .value(),
        9007
    );
}

#[test]
fn local_add_delete_update_counts_and_notify() {
    let mut t = mini_tree();
    notif(&mut t, "Device.HostNumberOfEntries", 2);
    let (n, s) = t
        .add_instance_local("Device.Host.")
        .expect("read-only table, local add");
    assert_eq!(n, 1);
    assert!(s.active);
    t.set_local("Device.Host.1.MAC", "00:11:22:33:44:55")
        .expect("set");
    let ch = t.take_changes(&NoBackend);
    assert_eq!(ch[0].value, Value::UnsignedInt(1));
    let s = t.delete_instance_local("Device.Host.1.").expect("delete");
    assert!(s.recorded);
    assert_eq!(t.add_instance_local("Device.Host.").expect("add").0, 2);
}

fn fake_sys() -> (PathBuf, LinuxBackend) {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cwmp-dm-linux-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let stats = dir.join("sys/class/net/eth0/statistics");
    std::fs::create_dir_all(&stats).expect("mkdir");
    std::fs::create_dir_all(dir.join("proc")).expect("mkdir");
    std::fs::write(dir.join("proc/uptime"), "12345.67 999.0\n").expect("w");
    std::fs::write(
        dir.join("proc/meminfo"),
        "MemTotal:  1000 kB\nMemFree:  250 kB\n",
    )
    .expect("w");
    std::fs::write(stats.join("tx_bytes"), "4242\n").expect("w");
    let b = LinuxBackend::with_roots(dir.join("proc"), dir.join("sys"));
    (dir, b)
}

#[test]
fn linux_backend_live_values_and_polling() {
    let (dir, b) = fake_sys();
    let mut t = mini_tree();
    let v = t
        .get_parameter_values(
            &[
                "Device.DeviceInfo.UpTime",
                "Device.Interface.1.Stats.BytesSent",
            ],
            &b,
        )
        .expect("gpv");
    assert_eq!(v[0].value, Value::UnsignedInt(12345));
    assert_eq!(
        v[1].value,
        Value::UnsignedLong(4242),
        "via the interface's Name"
    );
    // Polling: passive notification on a live counter records its change.
    notif(&mut t, "Device.Interface.1.Stats.BytesSent", 1);
    let s = t.refresh_live(&b);
    assert!(s.recorded && !s.active);
    assert_eq!(t.take_changes(&b)[0].value, Value::UnsignedLong(4242));
    assert!(!t.refresh_live(&b).recorded, "unchanged");
    std::fs::write(dir.join("sys/class/net/eth0/statistics/tx_bytes"), "5000").expect("w");
    assert!(t.refresh_live(&b).recorded);
    let _ = std::fs::remove_dir_all(dir);
}

fn temp_file(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmp-dm-store-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir.join("tree.json")
}

fn modified() -> Tree {
    let mut t = mini_tree();
    t.set_parameter_values(
        &[common::pv("Device.DeviceInfo.HostName", "saved")],
        "pk-1",
        &mut NoBackend,
    )
    .expect("spv");
    t.add_object("Device.Interface.", "pk-2", &mut NoBackend)
        .expect("add");
    t.add_object("Device.Interface.2.Address.", "pk-3", &mut NoBackend)
        .expect("add");
    t.add_object("Device.Interface.", "pk-4", &mut NoBackend)
        .expect("add");
    t.delete_object("Device.Interface.3.", "pk-5", &mut NoBackend)
        .expect("delete");
    notif(&mut t, "Device.Interface.2.Name", 1);
    t.set_local("Device.Interface.2.Name", "eth2")
        .expect("local");
    t
}

#[test]
fn save_and_reload_gives_an_equal_tree() {
    let path = temp_file("roundtrip");
    let t = modified();
    t.save(&path).expect("save");
    let back = Tree::load(t.model().clone(), &path)
        .expect("load")
        .expect("exists");
    assert_eq!(back, t);
    // Numbering survives a restart: 3 was used (and deleted), next is 4.
    let mut back = back;
    assert_eq!(
        back.add_object("Device.Interface.", "x", &mut NoBackend)
            .expect("add")
            .instance_number,
        4
    );
    assert!(
        Tree::load(mini_model(), &path.with_file_name("absent.json"))
            .expect("ok")
            .is_none()
    );
}

#[test]
fn crash_between_steps_leaves_old_or_new_state() {
    let path = temp_file("crash");
    let old = mini_tree();
    old.save(&path).expect("save old");
    let new = modified();
    for step in [SaveStep::TempWritten, SaveStep::TempSynced] {
        let bytes = new.to_bytes();
        let r = save_with(&path, &bytes, &mut |s| {
            if s == step {
                // Simulate a crash that also left a truncated temp file.
                std::fs::write(temp_path(&path), &bytes[..bytes.len() / 2])?;
                Err(std::io::Error::other("crash"))
            } else {
                Ok(())
            }
        });
        assert!(r.is_err());
        assert!(temp_path(&path).exists(), "temp left behind");
        let loaded = Tree::load(old.model().clone(), &path)
            .expect("load")
            .expect("exists");
        assert_eq!(
            loaded.to_bytes(),
            old.to_bytes(),
            "old state after crash at {step:?}"
        );
    }
    // Crash after the rename: the new state is there.
    let r = save_with(&path, &new.to_bytes(), &mut |s| {
        if s == SaveStep::Renamed {
            Err(std::io::Error::other("crash"))
        } else {
            Ok(())
        }
    });
    assert!(r.is_err());
    let loaded = Tree::load(new.model().clone(), &path)
        .expect("load")
        .expect("exists");
    assert_eq!(loaded.to_bytes(), new.to_bytes());
    // A normal save overwrites any leftover temp file.
    new.save(&path).expect("save");
    assert!(!temp_path(&path).exists());
    // A corrupt target is an error, not a silent reset.
    std::fs::write(&path, b"{\"format\":1").expect("w");
    assert!(Tree::load(new.model().clone(), &path).is_err());
}
