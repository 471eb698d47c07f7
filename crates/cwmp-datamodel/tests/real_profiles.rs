//! The shipped profiles against the real TR-181 and TR-098 files (skipped when absent).

mod common;

use std::sync::Arc;

use cwmp_datamodel::{LoadOptions, Model, ModelOptions, NoBackend, Profile, Schema, Tree};

fn model(file: &str, profile: Profile) -> Option<Arc<Model>> {
    let path = common::model_file(file)?;
    let schema = Arc::new(Schema::from_file(&path, &LoadOptions::default()).expect("loads"));
    match Model::new(schema, &profile, ModelOptions::default()) {
        Ok(m) => Some(Arc::new(m)),
        Err(e) => panic!("{file}: {e}"),
    }
}

#[test]
fn tr181_gateway_profile() {
    let Some(m) = model(
        "tr-181-2-17-0-cwmp-full.xml",
        Profile::tr181_gateway().expect("parses"),
    ) else {
        return;
    };
    let t = Tree::new(m.clone());
    let all = t.get_parameter_values(&[""], &NoBackend).expect("gpv");
    eprintln!(
        "tr181-gateway: {} objects, {} parameters in the model, {} parameter instances, {} object instances, {} bytes per device",
        m.object_count(),
        m.parameter_count(),
        all.len(),
        t.instance_count(),
        t.heap_size()
    );
    let get = |n: &str| {
        t.get_parameter_values(&[n], &NoBackend)
            .expect(n)
            .remove(0)
            .value
            .to_string()
    };
    assert_eq!(get("Device.WiFi.SSIDNumberOfEntries"), "2");
    assert_eq!(get("Device.WiFi.SSID.2.SSID"), "Example-5G");
    assert_eq!(
        get("Device.IP.Interface.1.IPv4Address.1.IPAddress"),
        "192.168.1.1"
    );
    assert_eq!(get("Device.IP.Interface.2.IPv4AddressNumberOfEntries"), "1");
    assert_eq!(get("Device.DNS.Client.ServerNumberOfEntries"), "1");
    assert_eq!(get("Device.X_00D09E_Diagnostics.X_00D09E_LedMode"), "On");
    let forced = t.forced_inform_values(&NoBackend);
    let names: Vec<&str> = forced.iter().map(|p| p.name.as_str()).collect();
    for n in [
        "Device.RootDataModelVersion",
        "Device.DeviceInfo.HardwareVersion",
        "Device.DeviceInfo.SoftwareVersion",
        "Device.DeviceInfo.ProvisioningCode",
        "Device.ManagementServer.ParameterKey",
        "Device.ManagementServer.ConnectionRequestURL",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let names = t.get_parameter_names("", false).expect("gpn");
    assert!(
        names
            .iter()
            .any(|i| i.name == "Device.WiFi.SSID." && i.writable)
    );
    assert!(
        names
            .iter()
            .any(|i| i.name == "Device.Ethernet.Interface." && !i.writable)
    );
}

#[test]
fn tr098_gateway_profile() {
    let Some(m) = model(
        "tr-098-1-8-0-full.xml",
        Profile::tr098_gateway().expect("parses"),
    ) else {
        return;
    };
    let t = Tree::new(m);
    let all = t.get_parameter_values(&[""], &NoBackend).expect("gpv");
    eprintln!("tr098-gateway: {} parameter instances", all.len());
    let v = t
        .get_parameter_values(
            &["InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress"],
            &NoBackend,
        )
        .expect("gpv");
    assert_eq!(v[0].value.to_string(), "203.0.113.10");
    let forced = t.forced_inform_values(&NoBackend);
    assert!(
        forced
            .iter()
            .any(|p| p.name == "InternetGatewayDevice.DeviceSummary")
    );
    assert!(
        forced
            .iter()
            .any(|p| p.name.ends_with("WANIPConnection.1.ExternalIPAddress"))
    );
}

#[test]
fn everything_profile_loads_whole_tr181() {
    let Some(m) = model(
        "tr-181-2-17-0-cwmp-full.xml",
        Profile::everything("Device."),
    ) else {
        return;
    };
    assert!(m.parameter_count() > 6000, "{}", m.parameter_count());
    let t = Tree::new(m);
    assert!(t.get_parameter_names("", false).expect("gpn").len() > 1000);
}
