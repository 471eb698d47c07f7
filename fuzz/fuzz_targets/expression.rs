//! Any text as a device query (GenieACS expression, or JSON when it starts with `{`): the
//! parser answers a query or an error with a position, never panics or runs away, and a
//! query it accepts evaluates on a fixed device without panicking.
#![no_main]

use std::sync::OnceLock;

use cwmp::Value;
use cwmp_acs::query::{DeviceView, Limits, parse_text};
use cwmp_acs::store::{Device, DeviceIdentity, Parameter, Timestamp};
use libfuzzer_sys::fuzz_target;

const T0: i64 = 1_700_000_000_000;

/// One device with a value of every class the language tells apart.
fn device() -> &'static (Device, Vec<Parameter>) {
    static DEVICE: OnceLock<(Device, Vec<Parameter>)> = OnceLock::new();
    DEVICE.get_or_init(|| {
        let identity = DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "P".into(),
            serial_number: "S1".into(),
        };
        let device = Device {
            id: identity.device_id(),
            identity,
            created: Timestamp(T0),
            last_inform: Some(Timestamp(T0 + 1000)),
            last_events: Vec::new(),
            ip: None,
            connection_request_url: None,
            udp_connection_request_address: None,
            last_connection_request: None,
            firmware: None,
            tags: vec!["a b".into(), "lab".into()],
        };
        let param = |path: &str, value: Option<Value>| Parameter {
            path: path.into(),
            value,
            writable: None,
            notification: None,
            access_list: None,
            updated: Timestamp(T0),
        };
        let mut params = vec![
            param("Device.A", Some(Value::UnsignedInt(10))),
            param("Device.B", Some(Value::string("10"))),
            param("Device.C", Some(Value::Boolean(true))),
            param("Device.D", Some(Value::from_wire(Some("dateTime"), "2024-01-01T00:00:00Z"))),
            param("Device.L", Some(Value::Long(-5))),
            param("Device.S", Some(Value::string("Hello_World%\né"))),
            param("Device.O", None),
        ];
        params.sort_by(|a, b| a.path.cmp(&b.path));
        (device, params)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_text(text, &Limits::default()) {
        Ok(q) => {
            let (device, params) = device();
            let view = DeviceView { device, params };
            for now in [0, T0, T0 + 2000, i64::MAX] {
                let _ = q.matches_at(view, Timestamp(now));
            }
            let _ = q.param_paths();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
