//! What a provision script hands to `declare()` (path, timestamps JSON, values JSON, split
//! at the first two NUL bytes): the path parser and the declaration reader answer a value or
//! an error, never panic; an accepted declaration is matched against a fixed device tree and
//! planned (reads, writes) without panicking, and a parsed path prints back to a path that
//! parses to the same thing.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;

use cwmp::Value;
use cwmp_acs::script::declaration::Known;
use cwmp_acs::script::tree::Row;
use cwmp_acs::script::{Declaration, Path, Tree};
use cwmp_acs::store::Timestamp;
use libfuzzer_sys::fuzz_target;

fn tree() -> &'static Tree {
    static TREE: OnceLock<Tree> = OnceLock::new();
    TREE.get_or_init(|| {
        let row = |path: &str, v: Option<Value>| Row {
            path: path.into(),
            value: v,
            writable: Some(true),
            updated: Timestamp(1000),
        };
        Tree::from_rows(vec![
            row("Device.WiFi.SSID.", None),
            row("Device.WiFi.SSID.1.", None),
            row("Device.WiFi.SSID.1.SSID", Some(Value::string("home"))),
            row("Device.WiFi.SSID.1.Enable", Some(Value::Boolean(true))),
            row("Device.WiFi.SSID.2.", None),
            row("Device.WiFi.SSID.2.SSID", Some(Value::string("guest"))),
            row("Device.ManagementServer.PeriodicInformInterval", Some(Value::UnsignedInt(60))),
            row("DeviceID.ID", Some(Value::string("x"))),
            row("Tags.lab", Some(Value::Boolean(true))),
            row("VirtualParameters.v", Some(Value::string("1"))),
        ])
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let path = parts.next().unwrap_or("");
    let json = |s: Option<&str>| {
        s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let ts = json(parts.next());
    let vals = json(parts.next());
    if let Ok(p) = Path::parse(path) {
        let again = Path::parse(&p.to_string()).expect("a printed path parses");
        assert_eq!(again, p);
        let _ = tree().expand(&p);
    }
    if let Ok(d) = Declaration::parse(path, &ts, &vals) {
        let empty = HashSet::new();
        let mut needs = Vec::new();
        d.needs(
            tree(),
            Known {
                enumerated: &empty,
                deep: &empty,
                read: &empty,
                virtual_pending: &empty,
            },
            &mut needs,
        );
        let mut writes = Vec::new();
        d.writes(tree(), &mut writes);
        let _ = d.to_json();
    }
});
