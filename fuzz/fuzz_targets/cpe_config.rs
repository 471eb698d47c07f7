//! Any text as the agent's TOML config file: parsing and validation never panic, and what
//! validates can be shown (`config check`) and gives its derived settings.
#![no_main]

use cwmp_cpe::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    let _ = config.to_masked_toml();
    let _ = config.management_server_seed();
    let _ = config.control_socket();
    let _ = config.root();
    let _ = config.timeout();
    assert!(config.periodic_time().is_ok(), "validated, so the start time parses");
});
