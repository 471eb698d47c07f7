//! The init files under `packaging/` start the agent with a command line the binary accepts
//! (`run --config FILE`), and the procd script is valid shell.

use std::path::Path;
use std::process::Command;

use clap::Parser as _;
use cwmp_cpe::cli::{Cli, Command as CpeCommand};

fn packaging(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packaging")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_runs(args: &[&str], what: &str) {
    let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{what}: {args:?}: {e}"));
    assert!(
        matches!(cli.command, CpeCommand::Run { ref config } if config.as_os_str() == "/etc/cwmp-cpe/cpe.toml"),
        "{what}: {cli:?}"
    );
}

#[test]
fn systemd_unit_starts_the_daemon() {
    let unit = packaging("cwmp-cpe.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[0], "/usr/sbin/cwmp-cpe");
    assert_runs(&args, "systemd");
    for key in [
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "StateDirectory=cwmp-cpe",
    ] {
        assert!(unit.lines().any(|l| l == key), "{key}");
    }
}

#[test]
fn procd_script_starts_the_daemon() {
    let script = packaging("cwmp-cpe.init");
    assert!(script.starts_with("#!/bin/sh /etc/rc.common\n"));
    assert!(script.contains("USE_PROCD=1"));
    let value = |name: &str| {
        script
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name}"))
            .to_owned()
    };
    let (prog, conf) = (value("PROG"), value("CONF"));
    let command = script
        .lines()
        .find_map(|l| l.trim().strip_prefix("procd_set_param command "))
        .expect("procd command");
    let expanded = command
        .replace("\"$PROG\"", &prog)
        .replace("\"$CONF\"", &conf);
    let args: Vec<&str> = expanded.split_whitespace().collect();
    assert_runs(&args, "procd");
    assert!(script.contains("procd_set_param respawn"));
    let syntax = Command::new("sh")
        .arg("-n")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/cwmp-cpe.init"))
        .status()
        .expect("sh");
    assert!(syntax.success(), "sh -n refuses the procd script");
}
