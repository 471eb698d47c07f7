//! Property tests: SPV atomicity and AddObject/DeleteObject numbering.

mod common;

use std::collections::BTreeSet;

use cwmp::Value;
use cwmp::rpc::ParameterValueStruct;
use cwmp_datamodel::{NoBackend, Tree};
use proptest::prelude::*;

const WRITABLE: &[&str] = &[
    "Device.ManagementServer.PeriodicInformInterval",
    "Device.ManagementServer.Even",
    "Device.ManagementServer.URL",
    "Device.ManagementServer.Mode",
    "Device.DeviceInfo.HostName",
    "Device.Interface.1.Enable",
    "Device.DeviceInfo.UpTime",
    "Device.Nope",
];

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u32>().prop_map(Value::UnsignedInt),
        (-20i32..20).prop_map(Value::Int),
        any::<bool>().prop_map(Value::Boolean),
        "[a-zA-Z0-9]{0,5}".prop_map(Value::String),
        prop_oneof![Just("On"), Just("Off"), Just("Auto"), Just("1"), Just("x")]
            .prop_map(|s| Value::Untyped(s.into())),
    ]
}

proptest! {
    #[test]
    fn spv_is_all_or_nothing(list in prop::collection::vec((0..WRITABLE.len(), arb_value()), 1..6)) {
        let mut t = common::mini_tree();
        let before = t.clone();
        let values: Vec<ParameterValueStruct> = list
            .iter()
            .map(|(i, v)| common::pv(WRITABLE[*i], v.clone()))
            .collect();
        match t.set_parameter_values(&values, "k", &mut NoBackend) {
            Err(f) => {
                prop_assert_eq!(&t, &before);
                prop_assert!(!f.parameters.is_empty());
            }
            Ok(_) => {
                prop_assert_eq!(t.parameter_key(), "k");
                // Every value given reads back (the last one for each name: none repeat).
                for pv in &values {
                    let got = t.get_parameter_values(&[pv.name.as_str()], &NoBackend);
                    prop_assert!(got.is_ok());
                }
            }
        }
    }

    #[test]
    fn numbering_grows_and_is_never_reused(ops in prop::collection::vec(any::<(bool, u8)>(), 1..40)) {
        let mut t = common::mini_tree();
        let mut issued: BTreeSet<u32> = [1].into();
        let mut live: BTreeSet<u32> = [1].into();
        let mut last = 1;
        for (add, pick) in ops {
            if add {
                match t.add_object("Device.Interface.", "", &mut NoBackend) {
                    Ok(r) => {
                        prop_assert!(r.instance_number > last);
                        prop_assert!(issued.insert(r.instance_number));
                        last = r.instance_number;
                        live.insert(r.instance_number);
                    }
                    Err(f) => {
                        prop_assert_eq!(f.code.value(), 9004);
                        prop_assert_eq!(live.len(), 3);
                    }
                }
            } else if !live.is_empty() {
                let n = *live.iter().nth(usize::from(pick) % live.len()).unwrap_or(&1);
                let path = format!("Device.Interface.{n}.");
                prop_assert!(t.delete_object(&path, "", &mut NoBackend).is_ok());
                live.remove(&n);
            }
            prop_assert_eq!(t.instance_numbers("Device.Interface."), Some(live.iter().copied().collect()));
            let count = t.get_parameter_values(&["Device.InterfaceNumberOfEntries"], &NoBackend).map(|v| v[0].value.clone());
            prop_assert_eq!(count, Ok(Value::UnsignedInt(live.len() as u32)));
        }
        // Round trip through persistence keeps the numbering.
        let back = Tree::from_bytes(t.model().clone(), &t.to_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&t));
    }
}
