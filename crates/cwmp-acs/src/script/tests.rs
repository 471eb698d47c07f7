//! Sandbox limits and the GenieACS API, run in the real engine.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::tree::{Row, Tree};
use super::*;
use crate::store::Timestamp;

fn row(path: &str, v: Option<cwmp::Value>, updated: i64) -> Row {
    Row {
        path: path.into(),
        value: v,
        writable: Some(true),
        updated: Timestamp(updated),
    }
}

fn tree() -> Tree {
    Tree::from_rows(vec![
        row(
            "DeviceID.SerialNumber",
            Some(cwmp::Value::String("SN42".into())),
            i64::MAX,
        ),
        row(
            "Device.DeviceInfo.SerialNumber",
            Some(cwmp::Value::String("SN42".into())),
            100,
        ),
        row("Device.WiFi.SSID.", None, 100),
        row("Device.WiFi.SSID.1.", None, 100),
        row(
            "Device.WiFi.SSID.1.SSID",
            Some(cwmp::Value::String("home".into())),
            100,
        ),
        row("Device.WiFi.SSID.2.", None, 100),
        row(
            "Device.WiFi.SSID.2.SSID",
            Some(cwmp::Value::String("guest".into())),
            100,
        ),
        row(
            "Device.WiFi.SSID.2.Enable",
            Some(cwmp::Value::Boolean(false)),
            100,
        ),
    ])
}

fn go(script: &str, limits: Limits) -> RunOutput {
    run(RunInput {
        script,
        args: &json!([]),
        now: 1000,
        device_id: "dev-1",
        tree: Arc::new(tree()),
        facts: Arc::new(Facts::default()),
        limits,
        ext: ExtCache::default(),
    })
}

/// The default limits with a wall time no loaded test machine reaches: tests that are not
/// about the time limit must not depend on the machine's speed.
fn roomy() -> Limits {
    Limits {
        wall_time: Duration::from_secs(30),
        ..Limits::default()
    }
}

fn check_default(script: &str) -> Result<(), ScriptFault> {
    check(script, &roomy())
}

fn fault(script: &str, limits: Limits) -> ScriptFault {
    go(script, limits).fault.expect("a fault")
}

#[test]
fn an_endless_loop_ends_with_a_timeout_fault() {
    let limits = Limits {
        wall_time: Duration::from_millis(50),
        ..roomy()
    };
    assert_eq!(fault("while (true) {}", limits).code, "script.timeout");
    // Catching does not help: the interrupt cannot be caught.
    assert_eq!(
        fault("for (;;) { try { while (true) {} } catch (e) {} }", limits).code,
        "script.timeout"
    );
}

#[test]
fn a_huge_allocation_ends_with_a_memory_fault() {
    let f = fault(
        "const a = []; for (let i = 0; i < 1e8; i++) a.push('x'.repeat(1000) + i);",
        Limits {
            wall_time: Duration::from_secs(20),
            ..roomy()
        },
    );
    assert_eq!(f.code, "script.memory", "{f:?}");
    let f = fault("new ArrayBuffer(100 * 1024 * 1024)", roomy());
    assert_eq!(f.code, "script.memory", "{f:?}");
}

#[test]
fn too_many_declarations_fault_even_when_the_script_catches() {
    // Time is not what this test limits (unoptimised builds are slow).
    let limits = Limits {
        wall_time: Duration::from_secs(30),
        ..roomy()
    };
    let f = fault(
        "for (let i = 0; i < 10001; i++) { try { declare('Device.X' + i, {value: 1}); } catch (e) {} }",
        limits,
    );
    assert_eq!(f.code, "script.declarations");
    assert!(
        go(
            "for (let i = 0; i < 10000; i++) declare('Tags.t' + i, {value: 1});",
            limits
        )
        .fault
        .is_none()
    );
}

#[test]
fn declarations_kept_outside_the_heap_count_against_the_memory_limit() {
    let limits = Limits {
        wall_time: Duration::from_secs(30),
        memory_bytes: 4 << 20,
        ..roomy()
    };
    let f = fault(
        "const big = 'x'.repeat(60000); for (let i = 0; i < 1000; i++) declare('Device.X', null, {value: big});",
        limits,
    );
    assert_eq!(f.code, "script.memory", "{f:?}");
}

#[test]
fn date_now_with_an_interval_or_a_cron_expression() {
    // The session time is 1000 ms after the epoch: the last hour boundary is 0.
    let out = go(
        "return [Date.now(3600000, 0), Date.now('0 * * * *'), Date.now(1000, 0)];",
        roomy(),
    );
    assert_eq!(out.return_value, Some(json!([0, 0, 1000])), "{out:?}");
}

#[test]
fn an_exception_gives_its_message_line_and_column() {
    let f = fault("const a = 1;\n\n  null.x;\n", roomy());
    assert_eq!(f.code, "script.error");
    assert!(f.message.starts_with("TypeError"), "{f:?}");
    assert_eq!(f.line, Some(3), "{f:?}");
    let f = fault("throw new RangeError('no such thing');", roomy());
    assert_eq!(f.message, "RangeError: no such thing");
    assert_eq!(f.line, Some(1));
    assert_eq!(fault("throw 'plain';", roomy()).message, "uncaught plain");
}

#[test]
fn a_script_that_does_not_compile_is_refused_with_its_position() {
    assert!(check_default("declare('Device.X', {value: 1});").is_ok());
    assert!(check_default("return {writable: false, value: ['x', 'xsd:string']};").is_ok());
    let f = check_default("const a = 1;\nlet = = 2;").expect_err("syntax error");
    assert_eq!(f.code, "script.error");
    assert!(f.message.starts_with("SyntaxError"), "{f:?}");
    assert_eq!(f.line, Some(2), "{f:?}");
}

#[test]
fn no_file_network_process_or_clock_beyond_the_session_time() {
    for name in [
        "require",
        "process",
        "std",
        "os",
        "fetch",
        "XMLHttpRequest",
        "performance",
        "__host",
    ] {
        let out = go(&format!("return typeof {name};"), roomy());
        assert_eq!(out.return_value, Some(json!("undefined")), "{name}");
    }
    let out = go("return [Date.now(), new Date().getTime(), now];", roomy());
    assert_eq!(out.return_value, Some(json!([1000, 1000, 1000])));
    let out = go("return new Date(5).getTime();", roomy());
    assert_eq!(out.return_value, Some(json!(5)));
    // Deterministic per device.
    let a = go("return Math.random();", roomy()).return_value;
    assert_eq!(a, go("return Math.random();", roomy()).return_value);
}

#[test]
fn a_known_value_is_read_and_a_stale_one_stops_the_run() {
    // Known since t=100: {value: 1} is satisfied, the script goes on.
    let out = go(
        "const sn = declare('Device.DeviceInfo.SerialNumber', {value: 1}).value[0];\n\
         declare('Device.WiFi.SSID.1.SSID', null, {value: 'wifi-' + sn});",
        roomy(),
    );
    assert!(out.done, "{out:?}");
    assert_eq!(
        out.writes(&tree()),
        vec![Write::Set {
            path: "Device.WiFi.SSID.1.SSID".into(),
            desired: Desired {
                value: json!("wifi-SN42"),
                ty: None
            }
        }]
    );
    // Wanted fresh from this session (t=1000): the run stops at `.value` and asks to read it.
    let out = go(
        "const sn = declare('Device.DeviceInfo.SerialNumber', {value: Date.now()}).value[0];\n\
         declare('Device.WiFi.SSID.1.SSID', null, {value: 'wifi-' + sn});",
        roomy(),
    );
    assert!(!out.done);
    assert!(out.fault.is_none(), "{out:?}");
    assert_eq!(
        out.needs,
        vec![Need::Value("Device.DeviceInfo.SerialNumber".into())]
    );
    assert_eq!(out.declarations.len(), 1);
}

#[test]
fn wildcards_aliases_size_and_iteration() {
    let out = go(
        "const all = declare('Device.WiFi.SSID.*.SSID', {value: 1});\n\
         const names = []; for (const s of all) names.push(s.value[0] + '@' + s.path);\n\
         const g = declare('Device.WiFi.SSID.[SSID:guest].Enable', {value: 1}, {value: true});\n\
         return {size: all.size, names, guest: g.value, none: declare('Device.WiFi.SSID.[SSID:x]', {path: 1}).size};",
        roomy(),
    );
    assert!(out.done, "{out:?}");
    assert_eq!(
        out.return_value,
        Some(json!({
            "size": 2,
            "names": ["home@Device.WiFi.SSID.1.SSID", "guest@Device.WiFi.SSID.2.SSID"],
            "guest": [false, "xsd:boolean"]
        }))
    );
    assert_eq!(
        out.writes(&tree()),
        vec![Write::Set {
            path: "Device.WiFi.SSID.2.Enable".into(),
            desired: Desired {
                value: json!(true),
                ty: None
            }
        }]
    );
}

#[test]
fn instance_counts_add_with_alias_and_delete_extra() {
    let out = go(
        "declare('Device.WiFi.SSID.[SSID:lab]', {path: 1}, {path: 1});\n\
         declare('Device.WiFi.SSID.[SSID:guest]', {path: 1}, {path: 0});",
        roomy(),
    );
    assert_eq!(
        out.writes(&tree()),
        vec![
            Write::Add {
                object: "Device.WiFi.SSID.".into(),
                alias: vec![("SSID".into(), "lab".into())]
            },
            Write::Delete {
                instance: "Device.WiFi.SSID.2.".into()
            }
        ]
    );
}

#[test]
fn tags_clear_log_and_args() {
    let out = run(RunInput {
        script: "declare('Tags.' + args[0], null, {value: true}); clear('Device', Date.now()); log('hi ' + args[1]);",
        args: &json!(["lab", 7]),
        now: 1000,
        device_id: "dev-1",
        tree: Arc::new(tree()),
        facts: Arc::new(Facts::default()),
        limits: roomy(),
        ext: ExtCache::default(),
    });
    assert!(out.fault.is_none(), "{out:?}");
    assert_eq!(out.logs, vec!["hi 7"]);
    assert_eq!(out.clears.len(), 1);
    assert_eq!(
        out.writes(&tree()),
        vec![Write::Tag {
            tag: "lab".into(),
            on: true
        }]
    );
}

#[test]
fn ext_without_a_directory_faults() {
    let f = fault("ext('x', 'y');", roomy());
    assert_eq!(f.code, "ext.disabled");
}

#[test]
fn ext_runs_the_named_program_with_a_bounded_reply() {
    let dir = tempfile::tempdir().expect("dir");
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        let mut perm = std::fs::metadata(&p).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).expect("chmod");
    };
    write(
        "echo-args",
        "#!/bin/sh\nprintf '{\"fn\":\"%s\",\"arg\":\"%s\"}' \"$1\" \"$2\"\n",
    );
    write("slow", "#!/bin/sh\nsleep 5\n");
    let config = Arc::new(ExtConfig {
        dir: dir.path().to_path_buf(),
        timeout: Duration::from_millis(300),
        max_reply_bytes: 1024,
    });
    let run_ext = |script: &str| {
        run(RunInput {
            script,
            args: &json!([]),
            now: 1000,
            device_id: "dev-1",
            tree: Arc::new(tree()),
            facts: Arc::new(Facts::default()),
            limits: roomy(),
            ext: ExtCache::new(Some(Arc::clone(&config))),
        })
    };
    let out = run_ext("return ext('echo-args', 'lookup', 42);");
    assert_eq!(
        out.return_value,
        Some(json!({"fn": "lookup", "arg": "42"})),
        "{out:?}"
    );
    assert_eq!(
        run_ext("ext('slow', 'x');").fault.expect("fault").code,
        "ext.timeout"
    );
    assert_eq!(
        run_ext("ext('../bin/sh', 'x');").fault.expect("fault").code,
        "ext.error"
    );
    assert_eq!(
        run_ext("ext('missing', 'x');").fault.expect("fault").code,
        "ext.error"
    );
}
