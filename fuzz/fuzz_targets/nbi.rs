//! What the northbound API parses from an operator or a script: a task (JSON, GenieACS's
//! shapes), a preset precondition (JSON or its text), a preset schedule, a date in a query,
//! a preset configuration and an entry of the objects collection. Never a panic; a task that
//! parses plans its requests without one either, and a stored object reads back the same.
#![no_main]

use cwmp_acs::query::{Limits, date_millis, parse_precondition};
use cwmp_acs::session::{PresetConfig, PresetSchedule};
use cwmp_acs::store::PresetObject;
use cwmp_acs::task::{Facts, TaskRun, TaskSpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = date_millis(text);
    if let Ok(schedule) = PresetSchedule::parse(text) {
        let _ = schedule.active(cwmp_acs::store::Timestamp(1_700_000_000_000));
    }
    let _ = parse_precondition(&serde_json::Value::String(text.to_owned()), &Limits::default());
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let _ = parse_precondition(&json, &Limits::default());
    if let Ok(object) = PresetObject::from_document("o", &json) {
        let again = PresetObject::from_document("o", &object.to_document());
        assert_eq!(again.ok(), Some(object.clone()));
        if let Ok(mut config) = PresetConfig::parse(&serde_json::json!([
            {"type": "add_object", "name": "Device.X", "object": "o"}
        ])) {
            assert!(config.resolve(std::slice::from_ref(&object)).is_ok());
        }
    }
    if let Ok(mut config) = PresetConfig::parse(&json) {
        let _ = config.resolve(&[]);
    }
    if let Ok(spec) = TaskSpec::from_json(json) {
        assert_eq!(TaskSpec::from_stored(&spec.to_json()).ok(), Some(spec.clone()));
        if let Ok(mut run) = TaskRun::new(&spec, "0123456789abcdef01234567", Facts::default()) {
            let _ = run.start();
        }
    }
});
