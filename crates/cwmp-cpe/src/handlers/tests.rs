//! Handlers with real programs (shell scripts in a temporary directory): routing, values
//! applied, refused and rolled back, a handler that hangs, live reads, add and delete.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cwmp::FaultCode;
use cwmp::rpc::ParameterValueStruct;
use cwmp::value::Value;
use cwmp_datamodel::{ApplyStatus, BuiltinModel, Model, ModelOptions, Profile, Tree};

use super::program::ProgramHandler;
use super::*;

fn tree() -> Tree {
    let schema = Arc::new(BuiltinModel::Tr181.load().expect("built-in TR-181"));
    let profile = Profile::tr181_gateway().expect("profile");
    Tree::new(Arc::new(
        Model::new(schema, &profile, ModelOptions::default()).expect("model"),
    ))
}

/// Writes an executable shell script; `$LOG` in it is a log file beside it.
fn script(dir: &Path, name: &str, body: &str) -> Vec<String> {
    let path = dir.join(name);
    let log = dir.join(format!("{name}.log"));
    let text = format!("#!/bin/sh\nLOG='{}'\n{body}\n", log.display());
    std::fs::write(&path, text).expect("write script");
    let mut perm = std::fs::metadata(&path).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
    vec![path.display().to_string()]
}

fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
}

fn program(command: Vec<String>, timeout_ms: u64) -> Box<dyn Handler> {
    Box::new(ProgramHandler::new(
        "test",
        command,
        Duration::from_millis(timeout_ms),
        false,
    ))
}

fn pv(name: &str, value: Value) -> ParameterValueStruct {
    ParameterValueStruct {
        name: name.into(),
        value,
    }
}

fn stored(t: &Tree, path: &str) -> String {
    t.stored_value(path)
        .map(|v| v.as_text().into_owned())
        .unwrap_or_default()
}

const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
const NTP: &str = "Device.Time.NTPServer1";
const TZ: &str = "Device.Time.LocalTimeZone";

/// Logs every call (`verb path value ...`), exits with `$1`'s code for set.
const RECORD_OK: &str = "echo \"$*\" >> \"$LOG\"\nexit 0";

#[test]
fn each_subtree_goes_to_its_handler_with_an_argv() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.ManagementServer.",
        program(script(tmp.path(), "ms", RECORD_OK), 5000),
    );
    b.add(
        "Device.Time.",
        program(script(tmp.path(), "time", RECORD_OK), 5000),
    );
    let mut t = tree();
    // A value a shell would expand or split is passed as one argument, as is.
    let hostile = "a.example; touch /tmp/pwned $(id) `id` 'q' \"d\"";
    let status = t
        .set_parameter_values(
            &[
                pv(INTERVAL, Value::UnsignedInt(600)),
                pv(NTP, Value::String(hostile.into())),
            ],
            "k",
            &mut b,
        )
        .expect("applied");
    assert_eq!(status, ApplyStatus::Applied);
    assert_eq!(log(tmp.path(), "ms"), format!("set {INTERVAL} 600\n"));
    assert_eq!(log(tmp.path(), "time"), format!("set {NTP} {hostile}\n"));
    assert_eq!(stored(&t, NTP), hostile);
    assert!(!Path::new("/tmp/pwned").exists());
}

#[test]
fn a_handler_failing_mid_set_rolls_back_what_was_applied_and_faults_per_parameter() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.ManagementServer.",
        program(script(tmp.path(), "ms", RECORD_OK), 5000),
    );
    // Refuses LocalTimeZone by name (exit 20), says nothing of NTPServer1.
    let refuse = format!(
        "echo \"$*\" >> \"$LOG\"\nif [ \"$1\" = set ] && [ \"$4\" = '' ]; then exit 0; fi\n\
         printf '{TZ}\\tunknown zone\\n'\nexit 20"
    );
    b.add(
        "Device.Time.",
        program(script(tmp.path(), "time", &refuse), 5000),
    );
    let mut t = tree();
    let before = (stored(&t, INTERVAL), stored(&t, NTP), stored(&t, TZ));
    let fault = t
        .set_parameter_values(
            &[
                pv(INTERVAL, Value::UnsignedInt(77)),
                pv(NTP, Value::String("ntp.example".into())),
                pv(TZ, Value::String("Mars/Olympus".into())),
            ],
            "k",
            &mut b,
        )
        .expect_err("refused");
    assert_eq!(fault.code, FaultCode::INVALID_ARGUMENTS);
    assert_eq!(fault.parameters.len(), 1, "{fault:?}");
    assert_eq!(fault.parameters[0].name, TZ);
    assert_eq!(fault.parameters[0].code, FaultCode::INVALID_PARAMETER_VALUE);
    assert!(fault.parameters[0].message.contains("unknown zone"));
    // The tree did not change, and the handler that had applied its value got the old one back.
    assert_eq!(
        (stored(&t, INTERVAL), stored(&t, NTP), stored(&t, TZ)),
        before
    );
    assert_eq!(
        log(tmp.path(), "ms"),
        format!("set {INTERVAL} 77\nset {INTERVAL} {}\n", before.0)
    );
    let time_log = log(tmp.path(), "time");
    assert!(
        time_log.ends_with(&format!("set {NTP} {} {TZ} {}\n", before.1, before.2)),
        "{time_log}"
    );
}

#[test]
fn a_handler_that_hangs_is_killed_at_its_timeout_and_nothing_changes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.ManagementServer.",
        program(script(tmp.path(), "ms", RECORD_OK), 5000),
    );
    // Hangs on set (a child holding the output pipe too); answers the roll-back at once.
    let hang = "echo \"$*\" >> \"$LOG\"\ncase \"$3\" in hang) sleep 30 & sleep 30;; esac\nexit 0";
    b.add(
        "Device.Time.",
        program(script(tmp.path(), "time", hang), 2000),
    );
    let mut t = tree();
    let before = stored(&t, INTERVAL);
    let started = Instant::now();
    let fault = t
        .set_parameter_values(
            &[
                pv(INTERVAL, Value::UnsignedInt(99)),
                pv(NTP, Value::String("hang".into())),
            ],
            "k",
            &mut b,
        )
        .expect_err("timed out");
    assert!(started.elapsed() < Duration::from_secs(20), "bounded");
    assert_eq!(fault.code, FaultCode::INVALID_ARGUMENTS);
    assert_eq!(fault.parameters.len(), 1);
    assert_eq!(fault.parameters[0].name, NTP);
    assert_eq!(fault.parameters[0].code, FaultCode::INTERNAL_ERROR);
    assert!(fault.parameters[0].message.contains("killed"), "{fault:?}");
    assert_eq!(stored(&t, INTERVAL), before);
    assert!(log(tmp.path(), "ms").ends_with(&format!("set {INTERVAL} {before}\n")));
}

#[test]
fn a_handler_that_crashes_faults_9002_and_a_pending_exit_gives_status_1() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.Time.",
        program(script(tmp.path(), "t", "kill -9 $$"), 5000),
    );
    b.add(
        "Device.ManagementServer.",
        program(script(tmp.path(), "ms", "exit 10"), 5000),
    );
    let mut t = tree();
    let fault = t
        .set_parameter_values(&[pv(NTP, Value::String("x".into()))], "k", &mut b)
        .expect_err("failed");
    assert_eq!(fault.parameters[0].code, FaultCode::INTERNAL_ERROR);
    assert!(fault.parameters[0].message.contains("signal"), "{fault:?}");
    let status = t
        .set_parameter_values(&[pv(INTERVAL, Value::UnsignedInt(5))], "k", &mut b)
        .expect("applied");
    assert_eq!(status, ApplyStatus::Pending);
}

#[test]
fn the_longest_subtree_wins_and_add_delete_reach_the_handler() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.IP.",
        program(script(tmp.path(), "ip", RECORD_OK), 5000),
    );
    b.add(
        "Device.IP.Interface.{i}.IPv4Address.",
        program(script(tmp.path(), "addr", RECORD_OK), 5000),
    );
    let mut t = tree();
    let added = t
        .add_object("Device.IP.Interface.1.IPv4Address.", "k", &mut b)
        .expect("added");
    let row = format!(
        "Device.IP.Interface.1.IPv4Address.{}.",
        added.instance_number
    );
    t.delete_object(&row, "k", &mut b).expect("deleted");
    t.set_parameter_values(
        &[pv("Device.IP.Interface.1.Enable", Value::Boolean(false))],
        "k",
        &mut b,
    )
    .expect("applied");
    assert_eq!(
        log(tmp.path(), "addr"),
        format!("add {row}\ndelete {row}\n")
    );
    assert_eq!(
        log(tmp.path(), "ip"),
        "set Device.IP.Interface.1.Enable false\n"
    );
}

#[test]
fn a_live_program_answers_gets_and_a_failing_one_falls_back_to_the_stored_value() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut b = HandlerBackend::empty();
    let get = "if [ \"$1\" = get ] && [ \"$2\" = Device.Time.NTPServer1 ]; then echo live.example; exit 0; fi\nexit 1";
    b.add(
        "Device.Time.",
        Box::new(ProgramHandler::new(
            "time",
            script(tmp.path(), "t", get),
            Duration::from_secs(5),
            true,
        )),
    );
    let t = tree();
    let values = t.get_parameter_values(&[NTP, TZ], &b).expect("answered");
    let text = |name: &str| {
        values
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.to_string())
            .unwrap_or_default()
    };
    assert_eq!(text(NTP), "live.example");
    assert_eq!(text(TZ), stored(&t, TZ));
}

#[test]
fn the_builtin_linux_handlers_store_without_an_apply_program_and_use_it_when_given() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut t = tree();
    let mut plain = HandlerBackend::from_config(&HandlersConfig::default(), "Device.");
    t.set_parameter_values(
        &[pv(NTP, Value::String("a.example".into()))],
        "k",
        &mut plain,
    )
    .expect("stored");
    assert_eq!(stored(&t, NTP), "a.example");
    let config = HandlersConfig {
        apply_program: Some(script(tmp.path(), "apply", RECORD_OK)),
        ..HandlersConfig::default()
    };
    let mut applying = HandlerBackend::from_config(&config, "Device.");
    t.set_parameter_values(
        &[
            pv(NTP, Value::String("b.example".into())),
            pv("Device.Ethernet.Interface.1.Enable", Value::Boolean(false)),
            pv(INTERVAL, Value::UnsignedInt(1234)),
        ],
        "k",
        &mut applying,
    )
    .expect("applied");
    // ManagementServer is the agent's own: not given to the program.
    assert_eq!(
        log(tmp.path(), "apply"),
        format!("set {NTP} b.example\nset Device.Ethernet.Interface.1.Enable false\n")
    );
    // UpTime is read from /proc.
    assert!(applying.is_live("Device.DeviceInfo.UpTime"));
    assert!(applying.is_live("Device.IP.Interface.{i}.IPv4Address.{i}.IPAddress"));
}

#[test]
fn a_missing_program_is_a_9002_fault() {
    let mut b = HandlerBackend::empty();
    b.add(
        "Device.Time.",
        program(
            vec![PathBuf::from("/nonexistent/handler").display().to_string()],
            1000,
        ),
    );
    let mut t = tree();
    let fault = t
        .set_parameter_values(&[pv(NTP, Value::String("x".into()))], "k", &mut b)
        .expect_err("failed");
    assert_eq!(fault.parameters[0].code, FaultCode::INTERNAL_ERROR);
}
